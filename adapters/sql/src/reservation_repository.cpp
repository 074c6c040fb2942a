// Holds and their seats (ReservationRepository).
#include <type_traits>

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

template <class Key>
Result<std::optional<Reservation>> SqlUnitOfWork::FindReservationImpl(
    std::string_view where, const Key& key, bool for_update
) {
    // The same read twice in an optimistic unit of work, with no reservation written between (the
    // lease strategy's check of what it locked, then the work): the first answer, as a repeatable
    // read of that row would give. A change since is caught by the versioned write.
    const bool repeatable = mode_ == ports::TxMode::kOptimistic;
    std::string read_key = std::string(where) + '|';
    if constexpr (std::is_same_v<Key, std::string>) {
        read_key += key;
    } else {
        read_key += std::to_string(key);
    }
    if (repeatable && !failed_ && !finished_ && last_read_ && last_read_->first == read_key) return last_read_->second;
    return Read<std::optional<Reservation>>(
        "find reservation",
        [&](soci::session& sql) -> Result<std::optional<Reservation>> {
            const auto rows = Select<ReservationSeatRow>(
                sql,
                SelectFrom<ReservationSeatRow>(
                    "reservation r LEFT JOIN reservation_seat s ON s.reservation_id = r.id",
                    std::string(where) + " ORDER BY s.position"
                ) + (for_update ? ForUpdate() : ""),
                key
            );
            std::optional<Reservation> found;
            if (!rows.empty()) {
                found = rows.front().first;
                for (const auto& [reservation, seat] : rows) {
                    if (seat) found->seats.push_back(*seat);
                }
                known_seats_[found->id.value] = {found->version, found->seats};
            }
            if (repeatable) last_read_.emplace(read_key, found);
            return found;
        }
    );
}

Result<ReservationId> SqlUnitOfWork::InsertReservation(const Reservation& r) {
    return Write<ReservationId>("insert reservation", [&](soci::session& sql) -> Result<ReservationId> {
        const NullableText token{r.live_token};
        Exec(
            sql,
            "INSERT INTO reservation (user_id, concert_id, schedule_id, amount, status, live_token, created_at, "
            "expires_at, version) VALUES (:user, :concert, :schedule, :amount, :status, :token, :created, "
            ":expires, 0)",
            r.user_id.value,
            r.concert_id.value,
            r.schedule_id.value,
            r.amount,
            static_cast<int>(r.status),
            token,
            ToMs(r.created_at),
            ToMs(r.expires_at)
        );
        last_read_.reset();
        const auto id = LastId(sql);
        InsertReservedSeats(sql, id, r.seats);
        known_seats_[id] = {0, r.seats};
        return ReservationId{id};
    });
}

Result<std::optional<Reservation>> SqlUnitOfWork::FindReservation(ReservationId id) {
    return FindReservationImpl("WHERE r.id = :id", id.value, false);
}

Result<std::optional<Reservation>> SqlUnitOfWork::FindReservationForUpdate(ReservationId id) {
    return FindReservationImpl("WHERE r.id = :id", id.value, true);
}

Result<std::optional<Reservation>> SqlUnitOfWork::FindReservationByLiveTokenForUpdate(std::string_view token) {
    if (token.empty()) return std::optional<Reservation>{};  // "" is "no live hold", stored as NULL
    return FindReservationImpl("WHERE r.live_token = :token", std::string(token), true);
}

Result<void> SqlUnitOfWork::UpdateReservation(const Reservation& r) {
    return Write<void>("update reservation", [&](soci::session& sql) -> Result<void> {
        last_read_.reset();
        const NullableText token{r.live_token};
        auto updated = UpdateVersioned(
            sql,
            "reservation",
            "user_id = :user, concert_id = :concert, schedule_id = :schedule, amount = :amount, "
            "status = :status, live_token = :token, created_at = :created, expires_at = :expires",
            r.id.value,
            r.version,
            r.user_id.value,
            r.concert_id.value,
            r.schedule_id.value,
            r.amount,
            static_cast<int>(r.status),
            token,
            ToMs(r.created_at),
            ToMs(r.expires_at)
        );
        if (!updated) return updated;
        // The seats of a hold do not change in practice: rewrite them only when they differ. Seats read
        // in this unit of work at the version just overwritten are what is stored (a seat write always
        // comes with a versioned reservation write), so they need not be read again.
        const auto known = known_seats_.find(r.id.value);
        const bool same = known != known_seats_.end() && known->second.first == r.version
                              ? known->second.second == r.seats
                              : LoadReservedSeats(sql, r.id.value) == r.seats;
        if (!same) {
            Exec(sql, "DELETE FROM reservation_seat WHERE reservation_id = :id", r.id.value);
            InsertReservedSeats(sql, r.id.value, r.seats);
        }
        known_seats_[r.id.value] = {r.version + 1, r.seats};
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

void SqlUnitOfWork::InsertReservedSeats(
    soci::session& sql, std::int64_t reservation, const std::vector<ReservedSeat>& seats
) {
    if (seats.empty()) return;
    // One multi-row INSERT; positions are the seats' indexes, written into the SQL text.
    std::string query = "INSERT INTO reservation_seat (reservation_id, position, seat_id, number, price) VALUES ";
    for (std::size_t i = 0; i < seats.size(); ++i) {
        const auto n = std::to_string(i);
        query += (i == 0 ? "(:r" : ", (:r") + n + ", " + n + ", :s" + n + ", :n" + n + ", :p" + n + ")";
    }
    soci::details::prepare_temp_type prep = (sql.prepare << query);
    for (const auto& seat : seats) {
        prep, soci::use(reservation), soci::use(seat.seat_id.value), soci::use(seat.number), soci::use(seat.price);
    }
    soci::statement st(prep);
    st.execute(true);
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
