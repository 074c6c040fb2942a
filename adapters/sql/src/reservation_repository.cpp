// Holds and their seats (ReservationRepository).
#include "schema.hpp"
#include "statements.hpp"
#include "unit_of_work.hpp"

namespace ticketing::sql::detail {
namespace {

// A text column that stores NULL for "" (reservation.live_token: NULLs do not collide in a unique index).
struct NullableText {
    std::string value;
};

}  // namespace
}  // namespace ticketing::sql::detail

template <>
struct soci::type_conversion<ticketing::sql::detail::NullableText> {
    using base_type = std::string;
    static void from_base(const std::string& in, indicator ind, ticketing::sql::detail::NullableText& out) {
        out.value = ind == i_null ? std::string{} : in;
    }
    static void to_base(const ticketing::sql::detail::NullableText& in, std::string& out, indicator& ind) {
        out = in.value;
        ind = in.value.empty() ? i_null : i_ok;
    }
};

namespace ticketing::sql::detail {
namespace {

struct ReservationRow {
    static constexpr std::string_view kColumns =
        "id, user_id, concert_id, schedule_id, amount, status, live_token, created_at, expires_at, version";
    Reservation reservation;
    int status{0};
    std::string live_token;
    soci::indicator live_token_ind{soci::i_ok};
    std::int64_t created_at{0};
    std::int64_t expires_at{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(reservation.id.value), soci::into(reservation.user_id.value),
            soci::into(reservation.concert_id.value), soci::into(reservation.schedule_id.value),
            soci::into(reservation.amount), soci::into(status), soci::into(live_token, live_token_ind),
            soci::into(created_at), soci::into(expires_at), soci::into(reservation.version);
    }
    Reservation ToEntity() const {
        auto out = reservation;
        out.status = static_cast<ReservationStatus>(status);
        out.live_token = live_token_ind == soci::i_null ? std::string{} : live_token;
        out.created_at = FromMs(created_at);
        out.expires_at = FromMs(expires_at);
        return out;
    }
};

struct ReservedSeatRow {
    static constexpr std::string_view kColumns = "seat_id, number, price";
    ReservedSeat seat;
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(seat.seat_id.value), soci::into(seat.number), soci::into(seat.price);
    }
    ReservedSeat ToEntity() const { return seat; }
};

// A reservation joined with one of its seats (none: NULLs), so a hold and its seats come in one query.
struct ReservationSeatRow {
    static constexpr std::string_view kColumns =
        "r.id, r.user_id, r.concert_id, r.schedule_id, r.amount, r.status, r.live_token, r.created_at, "
        "r.expires_at, r.version, s.seat_id, s.number, s.price";
    ReservationRow head;
    ReservedSeat seat;
    soci::indicator seat_ind{soci::i_ok};
    soci::indicator number_ind{soci::i_ok};
    soci::indicator price_ind{soci::i_ok};
    void Bind(soci::details::prepare_temp_type& p) {
        head.Bind(p);
        p, soci::into(seat.seat_id.value, seat_ind), soci::into(seat.number, number_ind),
            soci::into(seat.price, price_ind);
    }
    std::pair<Reservation, std::optional<ReservedSeat>> ToEntity() const {
        return {head.ToEntity(), seat_ind == soci::i_null ? std::nullopt : std::optional<ReservedSeat>{seat}};
    }
};

}  // namespace

Result<std::optional<Reservation>> SqlUnitOfWork::FindReservationImpl(
    const std::string& where, std::span<const std::string> params, bool for_update
) {
    // The same read twice in an optimistic unit of work, with no reservation written between (the
    // lease strategy's check of what it locked, then the work): the first answer, as a repeatable
    // read of that row would give. A change since is caught by the versioned write.
    const bool repeatable = mode_ == ports::TxMode::kOptimistic;
    std::string read_key = where;
    for (const auto& param : params) read_key += '|' + param;
    if (repeatable && !failed_ && !finished_ && last_read_ && last_read_->first == read_key) return last_read_->second;
    auto rows = FindReservationsWhere(where, params, for_update);
    if (!rows) return Forward(rows.error());
    std::optional<Reservation> found;
    if (!rows->empty()) found = std::move(rows->front());
    if (repeatable) last_read_.emplace(read_key, found);
    return found;
}

Result<std::vector<Reservation>> SqlUnitOfWork::FindReservationsWhere(
    const std::string& where, std::span<const std::string> params, bool for_update
) {
    return Read<std::vector<Reservation>>(
        "find reservation",
        [&](soci::session& sql) -> Result<std::vector<Reservation>> {
            // Each reservation with its seats in one query: one row per seat (a reservation without seats:
            // one row of NULLs), in reservation order.
            ReservationSeatRow row;
            soci::details::prepare_temp_type prep =
                (sql.prepare << SelectFrom<ReservationSeatRow>(
                                    "reservation r LEFT JOIN reservation_seat s ON s.reservation_id = r.id",
                                    where + " ORDER BY r.id, s.position"
                                ) + (for_update ? ForUpdate() : ""));
            for (const auto& param : params) prep, soci::use(param);
            row.Bind(prep);
            soci::statement st(prep);
            st.execute();
            std::vector<Reservation> out;
            while (st.fetch()) {
                auto [reservation, seat] = row.ToEntity();
                if (out.empty() || out.back().id != reservation.id) out.push_back(std::move(reservation));
                if (seat) out.back().seats.push_back(*seat);
            }
            for (const auto& found : out) known_seats_[found.id.value] = {found.version, found.seats};
            return out;
        }
    );
}

Result<ReservationId> SqlUnitOfWork::InsertReservation(const Reservation& r) {
    auto ids = InsertReservations({&r, 1});
    if (!ids) return Forward(ids.error());
    return ids->front();
}

Result<std::vector<ReservationId>> SqlUnitOfWork::InsertReservations(std::span<const Reservation> reservations) {
    return Write<std::vector<ReservationId>>(
        "insert reservation",
        [&](soci::session& sql) -> Result<std::vector<ReservationId>> {
            if (reservations.empty()) return std::vector<ReservationId>{};
            // One multi-row INSERT: the numbers written into the SQL text, the tokens bound.
            std::string query =
                "INSERT INTO reservation (user_id, concert_id, schedule_id, amount, status, live_token, created_at, "
                "expires_at, version) VALUES ";
            std::vector<NullableText> tokens;
            tokens.reserve(reservations.size());
            for (const auto& r : reservations) {
                const auto n = std::to_string(tokens.size());
                query += (tokens.empty() ? "(" : ", (") + std::to_string(r.user_id.value) + ", " +
                         std::to_string(r.concert_id.value) + ", " + std::to_string(r.schedule_id.value) + ", " +
                         std::to_string(r.amount) + ", " + std::to_string(static_cast<int>(r.status)) + ", :t" + n +
                         ", " + std::to_string(ToMs(r.created_at)) + ", " + std::to_string(ToMs(r.expires_at)) + ", 0)";
                tokens.push_back({r.live_token});
            }
            soci::details::prepare_temp_type prep = (sql.prepare << query + " RETURNING id");
            for (const auto& token : tokens) prep, soci::use(token);
            std::int64_t id = 0;
            prep, soci::into(id);
            soci::statement st(prep);
            const auto ids = InsertedIds(st, id, reservations.size());
            std::vector<Reservation> stored(reservations.begin(), reservations.end());
            std::vector<ReservationId> out;
            for (std::size_t i = 0; i < stored.size(); ++i) {
                stored[i].id = ReservationId{ids[i]};
                out.push_back(stored[i].id);
                known_seats_[ids[i]] = {0, stored[i].seats};
            }
            last_read_.reset();
            InsertReservedSeats(sql, stored);
            return out;
        }
    );
}

Result<std::optional<Reservation>> SqlUnitOfWork::FindReservation(ReservationId id) {
    return FindReservationImpl("WHERE r.id = " + std::to_string(id.value), {}, false);
}

Result<std::optional<Reservation>> SqlUnitOfWork::FindReservationForUpdate(ReservationId id) {
    return FindReservationImpl("WHERE r.id = " + std::to_string(id.value), {}, true);
}

Result<std::optional<Reservation>> SqlUnitOfWork::FindReservationByLiveTokenForUpdate(std::string_view token) {
    if (token.empty()) return std::optional<Reservation>{};  // "" is "no live hold", stored as NULL
    const std::string param(token);
    return FindReservationImpl("WHERE r.live_token = :token", {&param, 1}, true);
}

Result<std::vector<Reservation>> SqlUnitOfWork::FindReservationsForUpdate(std::span<const ReservationId> ids) {
    if (ids.empty()) return std::vector<Reservation>{};
    std::vector<std::int64_t> values;
    for (auto id : ids) values.push_back(id.value);
    return FindReservationsWhere("WHERE r.id IN " + IdList(values), {}, true);
}

Result<std::vector<Reservation>> SqlUnitOfWork::FindReservationsByLiveTokensForUpdate(
    std::span<const std::string> tokens
) {
    std::vector<std::string> live;
    std::string where;
    for (const auto& token : tokens) {
        if (token.empty()) continue;  // stored as NULL: never a live hold
        where += (where.empty() ? "WHERE r.live_token IN (:t" : ", :t") + std::to_string(live.size());
        live.push_back(token);
    }
    if (live.empty()) return std::vector<Reservation>{};
    return FindReservationsWhere(where + ")", live, true);
}

Result<void> SqlUnitOfWork::UpdateReservation(const Reservation& r) {
    return UpdateReservations({&r, 1});
}

Result<void> SqlUnitOfWork::UpdateReservations(std::span<const Reservation> reservations) {
    return Write<void>("update reservation", [&](soci::session& sql) -> Result<void> {
        if (reservations.empty()) return {};
        last_read_.reset();
        const auto text = [](std::int64_t v) { return std::to_string(v); };
        // The numbers written into the SQL text, the tokens bound.
        std::vector<NullableText> tokens;
        for (const auto& r : reservations) tokens.push_back({r.live_token});
        std::size_t bound = 0;
        const auto token = [&](const Reservation&) { return ":t" + std::to_string(bound++); };
        soci::details::prepare_temp_type prep =
            (sql.prepare
             << "UPDATE reservation SET user_id = " +
                    CaseById(reservations, [&](const Reservation& r) { return text(r.user_id.value); }) +
                    ", concert_id = " +
                    CaseById(reservations, [&](const Reservation& r) { return text(r.concert_id.value); }) +
                    ", schedule_id = " +
                    CaseById(reservations, [&](const Reservation& r) { return text(r.schedule_id.value); }) +
                    ", amount = " + CaseById(reservations, [&](const Reservation& r) { return text(r.amount); }) +
                    ", status = " +
                    CaseById(reservations, [&](const Reservation& r) { return text(static_cast<int>(r.status)); }) +
                    ", live_token = " + CaseById(reservations, token) + ", created_at = " +
                    CaseById(reservations, [&](const Reservation& r) { return text(ToMs(r.created_at)); }) +
                    ", expires_at = " +
                    CaseById(reservations, [&](const Reservation& r) { return text(ToMs(r.expires_at)); }) +
                    ", version = version + 1 WHERE " + AtVersionsRead(reservations));
        for (const auto& t : tokens) prep, soci::use(t);
        soci::statement st(prep);
        st.execute(true);
        if (auto written = AllWritten(st.get_affected_rows(), reservations.size(), "reservation"); !written) {
            return written;
        }
        // The seats of a hold do not change in practice: rewrite them only when they differ. Seats read
        // in this unit of work at the version just overwritten are what is stored (a seat write always
        // comes with a versioned reservation write), so they need not be read again.
        for (const auto& r : reservations) {
            const auto known = known_seats_.find(r.id.value);
            const bool same = known != known_seats_.end() && known->second.first == r.version
                                  ? known->second.second == r.seats
                                  : LoadReservedSeats(sql, r.id.value) == r.seats;
            if (!same) {
                Exec(sql, "DELETE FROM reservation_seat WHERE reservation_id = :id", r.id.value);
                InsertReservedSeats(sql, {&r, 1});
            }
            known_seats_[r.id.value] = {r.version + 1, r.seats};
        }
        return {};
    });
}

Result<std::vector<ReservationId>> SqlUnitOfWork::ListExpiredHolds(Timestamp now, std::int64_t limit) {
    return Read<std::vector<ReservationId>>(
        "list expired holds",
        [&](soci::session& sql) -> Result<std::vector<ReservationId>> {
            auto ids = Select<IdRow>(
                sql,
                "SELECT id FROM reservation WHERE status = :held AND expires_at <= :now "
                "ORDER BY expires_at, id LIMIT :n",
                kReservationHeld,
                ToMs(now),
                limit
            );
            std::vector<ReservationId> out;
            out.reserve(ids.size());
            for (auto id : ids) out.emplace_back(id);
            return out;
        }
    );
}

std::vector<ReservedSeat> SqlUnitOfWork::LoadReservedSeats(soci::session& sql, std::int64_t reservation) {
    return Select<ReservedSeatRow>(
        sql,
        SelectFrom<ReservedSeatRow>("reservation_seat", "WHERE reservation_id = :id ORDER BY position"),
        reservation
    );
}

void SqlUnitOfWork::InsertReservedSeats(soci::session& sql, std::span<const Reservation> reservations) {
    // One multi-row INSERT, every value a number written into the SQL text; positions are the seats'
    // indexes.
    std::string values;
    for (const auto& r : reservations) {
        for (std::size_t i = 0; i < r.seats.size(); ++i) {
            const auto& seat = r.seats[i];
            values += (values.empty() ? "(" : ", (") + std::to_string(r.id.value) + ", " + std::to_string(i) + ", " +
                      std::to_string(seat.seat_id.value) + ", " + std::to_string(seat.number) + ", " +
                      std::to_string(seat.price) + ")";
        }
    }
    if (values.empty()) return;
    sql << "INSERT INTO reservation_seat (reservation_id, position, seat_id, number, price) VALUES " + values;
}

Result<std::int64_t> SqlUnitOfWork::CountLiveHolds(Timestamp now) {
    return Read<std::int64_t>("count live holds", [&](soci::session& sql) -> Result<std::int64_t> {
        std::int64_t live = 0;
        const auto at = ToMs(now);
        // reservation_expiry (status, expires_at): a range of the index, no row is read.
        sql << "SELECT COUNT(*) FROM reservation WHERE status = :held AND expires_at > :now",
            soci::use(kReservationHeld), soci::use(at), soci::into(live);
        return live;
    });
}

}  // namespace ticketing::sql::detail
