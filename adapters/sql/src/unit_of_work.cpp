// The unit of work: one transaction on one pooled session, every repository of the ports.
#include <algorithm>
#include <limits>
#include <optional>

#include "detail.hpp"
#include "schema.hpp"

namespace ticketing::sql::detail {
namespace {

std::int64_t ToMs(Timestamp t) {
    return t.time_since_epoch().count();
}
Timestamp FromMs(std::int64_t ms) {
    return Timestamp{Millis{ms}};
}

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

// soci::use keeps references to its arguments (and to a default name string): build the use
// elements inside the one expression that consumes them.
template <class... Params>
soci::details::prepare_temp_type Prepare(soci::session& sql, const std::string& query, const Params&... params) {
    soci::details::prepare_temp_type prep = (sql.prepare << query);
    (void)(prep, ..., soci::use(params));
    return prep;
}

// Runs a write; returns the affected row count.
template <class... Params>
long long Exec(soci::session& sql, const std::string& query, const Params&... params) {
    soci::statement st(Prepare(sql, query, params...));
    st.execute(true);
    return st.get_affected_rows();
}

// Runs a query, converting each fetched row with Row::ToEntity.
template <class Row, class... Params>
auto Select(soci::session& sql, const std::string& query, const Params&... params) {
    Row row;
    auto prep = Prepare(sql, query, params...);
    row.Bind(prep);
    soci::statement st(prep);
    st.execute();
    std::vector<decltype(row.ToEntity())> out;
    while (st.fetch()) out.push_back(row.ToEntity());
    return out;
}

template <class Row, class... Params>
auto SelectOne(soci::session& sql, const std::string& query, const Params&... params) {
    auto rows = Select<Row>(sql, query, params...);
    using Entity = typename decltype(rows)::value_type;
    return rows.empty() ? std::optional<Entity>{} : std::optional<Entity>{std::move(rows.front())};
}

// Row buffers: SOCI fetches into plain variables, then the entity is built from them.
struct IdRow {
    static constexpr std::string_view kColumns = "id";
    std::int64_t id{0};
    void Bind(soci::details::prepare_temp_type& p) { p, soci::into(id); }
    std::int64_t ToEntity() const { return id; }
};

struct CountRow {
    static constexpr std::string_view kColumns = "key, count";
    std::int64_t key{0};
    std::int64_t count{0};
    void Bind(soci::details::prepare_temp_type& p) { p, soci::into(key), soci::into(count); }
    std::pair<std::int64_t, std::int64_t> ToEntity() const { return {key, count}; }
};

struct UserRow {
    static constexpr std::string_view kColumns = "id, name, balance, version";
    User user;
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(user.id.value), soci::into(user.name), soci::into(user.balance), soci::into(user.version);
    }
    User ToEntity() const { return user; }
};

struct LedgerRow {
    static constexpr std::string_view kColumns = "id, user_id, type, amount, balance_after, created_at";
    LedgerEntry entry;
    int type{0};
    std::int64_t created_at{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(entry.id.value), soci::into(entry.user_id.value), soci::into(type), soci::into(entry.amount),
            soci::into(entry.balance_after), soci::into(created_at);
    }
    LedgerEntry ToEntity() const {
        auto out = entry;
        out.type = static_cast<LedgerType>(type);
        out.created_at = FromMs(created_at);
        return out;
    }
};

struct ConcertRow {
    static constexpr std::string_view kColumns = "id, title, reservation_opens_at, reservation_closes_at";
    Concert concert;
    std::int64_t opens{0};
    std::int64_t closes{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(concert.id.value), soci::into(concert.title), soci::into(opens), soci::into(closes);
    }
    Concert ToEntity() const {
        auto out = concert;
        out.reservation_opens_at = FromMs(opens);
        out.reservation_closes_at = FromMs(closes);
        return out;
    }
};

struct ScheduleRow {
    static constexpr std::string_view kColumns = "id, concert_id, starts_at, price, total_seats";
    Schedule schedule;
    std::int64_t starts_at{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(schedule.id.value), soci::into(schedule.concert_id.value), soci::into(starts_at),
            soci::into(schedule.price), soci::into(schedule.total_seats);
    }
    Schedule ToEntity() const {
        auto out = schedule;
        out.starts_at = FromMs(starts_at);
        return out;
    }
};

struct SeatRow {
    static constexpr std::string_view kColumns = "id, schedule_id, number, price, status, held_by, held_until, version";
    Seat seat;
    int status{0};
    std::int64_t held_until{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(seat.id.value), soci::into(seat.schedule_id.value), soci::into(seat.number),
            soci::into(seat.price), soci::into(status), soci::into(seat.held_by.value), soci::into(held_until),
            soci::into(seat.version);
    }
    Seat ToEntity() const {
        auto out = seat;
        out.status = static_cast<SeatStatus>(status);
        out.held_until = FromMs(held_until);
        return out;
    }
};

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

struct PaymentRow {
    static constexpr std::string_view kColumns = "id, reservation_id, user_id, amount, status, created_at, version";
    Payment payment;
    int status{0};
    std::int64_t created_at{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(payment.id.value), soci::into(payment.reservation_id.value), soci::into(payment.user_id.value),
            soci::into(payment.amount), soci::into(status), soci::into(created_at), soci::into(payment.version);
    }
    Payment ToEntity() const {
        auto out = payment;
        out.status = static_cast<PaymentStatus>(status);
        out.created_at = FromMs(created_at);
        return out;
    }
};

struct TicketRow {
    static constexpr std::string_view kColumns =
        "id, payment_id, user_id, concert_id, schedule_id, seat_id, seat_number, price, status, version";
    Ticket ticket;
    int status{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(ticket.id.value), soci::into(ticket.payment_id.value), soci::into(ticket.user_id.value),
            soci::into(ticket.concert_id.value), soci::into(ticket.schedule_id.value), soci::into(ticket.seat_id.value),
            soci::into(ticket.seat_number), soci::into(ticket.price), soci::into(status), soci::into(ticket.version);
    }
    Ticket ToEntity() const {
        auto out = ticket;
        out.status = static_cast<TicketStatus>(status);
        return out;
    }
};

struct OutboxRow {
    static constexpr std::string_view kColumns =
        "id, event_id, aggregate, type, payload, status, attempts, created_at, next_attempt_at, last_error, version";
    OutboxEvent event;
    int status{0};
    std::int64_t created_at{0};
    std::int64_t next_attempt_at{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(event.id.value), soci::into(event.event_id), soci::into(event.aggregate), soci::into(event.type),
            soci::into(event.payload), soci::into(status), soci::into(event.attempts), soci::into(created_at),
            soci::into(next_attempt_at), soci::into(event.last_error), soci::into(event.version);
    }
    OutboxEvent ToEntity() const {
        auto out = event;
        out.status = static_cast<OutboxStatus>(status);
        out.created_at = FromMs(created_at);
        out.next_attempt_at = FromMs(next_attempt_at);
        return out;
    }
};

struct IdempotencyRow {
    static constexpr std::string_view kColumns = "user_id, idem_key, request_hash, response, created_at";
    IdempotencyRecord record;
    std::int64_t created_at{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(record.user_id.value), soci::into(record.key), soci::into(record.request_hash),
            soci::into(record.response), soci::into(created_at);
    }
    IdempotencyRecord ToEntity() const {
        auto out = record;
        out.created_at = FromMs(created_at);
        return out;
    }
};

// "SELECT <Row's columns> FROM <table> <rest>"
template <class Row>
std::string SelectFrom(std::string_view table, std::string_view rest) {
    std::string out = "SELECT ";
    out += Row::kColumns;
    out += " FROM ";
    out += table;
    out += ' ';
    out += rest;
    return out;
}

// The versioned write every Update* is: the row changes only if it still has `version`, and its
// version grows by one; otherwise ABORTED (a lost race the lock strategy retries).
template <class... Values>
Result<void> UpdateVersioned(
    soci::session& sql,
    std::string_view table,
    std::string_view assignments,
    std::int64_t id,
    Version version,
    const Values&... values
) {
    const auto affected = Exec(
        sql,
        "UPDATE " + std::string(table) + " SET " + std::string(assignments) +
            ", version = version + 1 WHERE id = :id AND version = :version",
        values...,
        id,
        version
    );
    if (affected == 1) return {};
    return MakeError(Errc::kAborted, std::string(table) + " " + std::to_string(id) + " changed since it was read");
}

// The inbox key columns' width (VARBINARY(191) on MySQL: a primary key of two fits InnoDB's limit).
constexpr std::size_t kMaxInboxKey = 191;

class SqlUnitOfWork final : public ports::UnitOfWork {
public:
    SqlUnitOfWork(std::shared_ptr<Pool> pool, std::unique_ptr<soci::session> session, ports::TxMode mode)
        : pool_(std::move(pool)), dialect_(*pool_->endpoint().dialect), session_(std::move(session)), mode_(mode) {}

    ~SqlUnitOfWork() override {
        // A connection already known dead is dropped without a ROLLBACK that could block on it.
        if (session_ && !finished_ && !discard_) {
            try {
                *session_ << "ROLLBACK";
            } catch (...) {
                discard_ = true;  // unknown state: never hand this connection out again
            }
        }
        ReleaseSession();
    }

    SqlUnitOfWork(const SqlUnitOfWork&) = delete;
    SqlUnitOfWork& operator=(const SqlUnitOfWork&) = delete;

    // Users and the ledger.
    Result<UserId> InsertUser(const User& user) override {
        return Write<UserId>("insert user", [&](soci::session& sql) -> Result<UserId> {
            Exec(
                sql, "INSERT INTO users (name, balance, version) VALUES (:name, :balance, 0)", user.name, user.balance
            );
            return UserId{LastId(sql)};
        });
    }
    Result<std::optional<User>> FindUser(UserId id) override { return FindUserImpl(id, false); }
    Result<std::optional<User>> FindUserForUpdate(UserId id) override { return FindUserImpl(id, true); }
    Result<void> UpdateUser(const User& user) override {
        return Write<void>("update user", [&](soci::session& sql) {
            return UpdateVersioned(
                sql, "users", "name = :name, balance = :balance", user.id.value, user.version, user.name, user.balance
            );
        });
    }

    Result<LedgerEntryId> InsertLedgerEntry(const LedgerEntry& entry) override {
        return Write<LedgerEntryId>("insert ledger entry", [&](soci::session& sql) -> Result<LedgerEntryId> {
            Exec(
                sql,
                "INSERT INTO ledger (user_id, type, amount, balance_after, created_at) "
                "VALUES (:user, :type, :amount, :after, :at)",
                entry.user_id.value,
                static_cast<int>(entry.type),
                entry.amount,
                entry.balance_after,
                ToMs(entry.created_at)
            );
            return LedgerEntryId{LastId(sql)};
        });
    }
    Result<std::vector<LedgerEntry>> ListLedger(UserId user, ports::PageRequest page) override {
        return Read<std::vector<LedgerEntry>>(
            "list ledger",
            [&](soci::session& sql) -> Result<std::vector<LedgerEntry>> {
                const std::int64_t before = page.after > 0 ? page.after : std::numeric_limits<std::int64_t>::max();
                return Select<LedgerRow>(
                    sql,
                    SelectFrom<LedgerRow>("ledger", "WHERE user_id = :user AND id < :before ORDER BY id DESC LIMIT :n"),
                    user.value,
                    before,
                    page.limit
                );
            }
        );
    }

    // Catalog.
    Result<ConcertId> InsertConcert(const Concert& concert) override {
        return Write<ConcertId>("insert concert", [&](soci::session& sql) -> Result<ConcertId> {
            Exec(
                sql,
                "INSERT INTO concert (title, reservation_opens_at, reservation_closes_at) VALUES (:title, :opens, "
                ":closes)",
                concert.title,
                ToMs(concert.reservation_opens_at),
                ToMs(concert.reservation_closes_at)
            );
            return ConcertId{LastId(sql)};
        });
    }
    Result<std::optional<Concert>> FindConcert(ConcertId id) override {
        return Read<std::optional<Concert>>("find concert", [&](soci::session& sql) -> Result<std::optional<Concert>> {
            return SelectOne<ConcertRow>(sql, SelectFrom<ConcertRow>("concert", "WHERE id = :id"), id.value);
        });
    }
    Result<std::vector<Concert>> ListConcertsOpenAt(Timestamp at, ports::PageRequest page) override {
        return Read<std::vector<Concert>>("list concerts", [&](soci::session& sql) -> Result<std::vector<Concert>> {
            const auto ms = ToMs(at);
            return Select<ConcertRow>(
                sql,
                SelectFrom<ConcertRow>(
                    "concert",
                    "WHERE reservation_closes_at > :at1 AND reservation_opens_at <= :at2 AND id > :after "
                    "ORDER BY id LIMIT :n"
                ),
                ms,
                ms,
                page.after,
                page.limit
            );
        });
    }
    Result<ScheduleId> InsertSchedule(const Schedule& schedule) override {
        return Write<ScheduleId>("insert schedule", [&](soci::session& sql) -> Result<ScheduleId> {
            Exec(
                sql,
                "INSERT INTO schedule (concert_id, starts_at, price, total_seats) VALUES (:concert, :starts, :price, "
                ":seats)",
                schedule.concert_id.value,
                ToMs(schedule.starts_at),
                schedule.price,
                schedule.total_seats
            );
            return ScheduleId{LastId(sql)};
        });
    }
    Result<std::optional<Schedule>> FindSchedule(ScheduleId id) override {
        return Read<std::optional<Schedule>>(
            "find schedule",
            [&](soci::session& sql) -> Result<std::optional<Schedule>> {
                return SelectOne<ScheduleRow>(sql, SelectFrom<ScheduleRow>("schedule", "WHERE id = :id"), id.value);
            }
        );
    }
    Result<std::vector<Schedule>> ListSchedules(ConcertId concert) override {
        return Read<std::vector<Schedule>>("list schedules", [&](soci::session& sql) -> Result<std::vector<Schedule>> {
            return Select<ScheduleRow>(
                sql,
                SelectFrom<ScheduleRow>("schedule", "WHERE concert_id = :concert ORDER BY starts_at, id"),
                concert.value
            );
        });
    }

    // Seats.
    Result<void> InsertSeats(ScheduleId schedule, std::int32_t count, Money price) override {
        return Write<void>("insert seats", [&](soci::session& sql) -> Result<void> {
            std::int32_t number = 0;
            soci::statement st =
                (sql.prepare << "INSERT INTO seat (schedule_id, number, price, status, held_by, "
                                "held_until, version) VALUES (:schedule, :number, :price, 0, 0, 0, 0)",
                 soci::use(schedule.value),
                 soci::use(number),
                 soci::use(price));
            for (number = 1; number <= count; ++number) st.execute(true);
            return {};
        });
    }
    Result<std::vector<Seat>> ListSeats(ScheduleId schedule) override {
        return Read<std::vector<Seat>>("list seats", [&](soci::session& sql) -> Result<std::vector<Seat>> {
            return Select<SeatRow>(
                sql, SelectFrom<SeatRow>("seat", "WHERE schedule_id = :schedule ORDER BY number"), schedule.value
            );
        });
    }
    Result<std::map<ScheduleId, std::int64_t>> CountAvailableSeats(ConcertId concert, Timestamp now) override {
        return Read<std::map<ScheduleId, std::int64_t>>(
            "count seats",
            [&](soci::session& sql) -> Result<std::map<ScheduleId, std::int64_t>> {
                const auto rows = Select<CountRow>(
                    sql,
                    "SELECT seat.schedule_id, COUNT(*) FROM schedule JOIN seat ON seat.schedule_id = schedule.id "
                    "WHERE schedule.concert_id = :concert AND (seat.status = :available OR "
                    "(seat.status = :held AND seat.held_until <= :now)) GROUP BY seat.schedule_id",
                    concert.value,
                    kSeatAvailable,
                    kSeatHeld,
                    ToMs(now)
                );
                std::map<ScheduleId, std::int64_t> out;
                for (const auto& [schedule, count] : rows) out[ScheduleId{schedule}] = count;
                return out;
            }
        );
    }
    Result<std::vector<Seat>> FindSeatsForUpdate(std::span<const SeatId> ids) override {
        return Read<std::vector<Seat>>("find seats for update", [&](soci::session& sql) -> Result<std::vector<Seat>> {
            std::vector<std::int64_t> sorted;
            sorted.reserve(ids.size());
            for (auto id : ids) sorted.push_back(id.value);
            std::sort(sorted.begin(), sorted.end());
            sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
            // One row at a time, in id order: two lockers of overlapping sets cannot deadlock.
            const auto query = SelectFrom<SeatRow>("seat", "WHERE id = :id") + ForUpdate();
            std::vector<Seat> out;
            for (auto id : sorted) {
                if (auto seat = SelectOne<SeatRow>(sql, query, id)) out.push_back(std::move(*seat));
            }
            return out;
        });
    }
    Result<void> UpdateSeat(const Seat& seat) override {
        return Write<void>("update seat", [&](soci::session& sql) {
            return UpdateVersioned(
                sql,
                "seat",
                "price = :price, status = :status, held_by = :held_by, held_until = :held_until",
                seat.id.value,
                seat.version,
                seat.price,
                static_cast<int>(seat.status),
                seat.held_by.value,
                ToMs(seat.held_until)
            );
        });
    }

    // Reservations.
    Result<ReservationId> InsertReservation(const Reservation& r) override {
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
            const auto id = LastId(sql);
            InsertReservedSeats(sql, id, r.seats);
            return ReservationId{id};
        });
    }
    Result<std::optional<Reservation>> FindReservation(ReservationId id) override {
        return FindReservationImpl("WHERE id = :id", id.value, false);
    }
    Result<std::optional<Reservation>> FindReservationForUpdate(ReservationId id) override {
        return FindReservationImpl("WHERE id = :id", id.value, true);
    }
    Result<std::optional<Reservation>> FindReservationByLiveTokenForUpdate(std::string_view token) override {
        if (token.empty()) return std::optional<Reservation>{};  // "" is "no live hold", stored as NULL
        return FindReservationImpl("WHERE live_token = :token", std::string(token), true);
    }
    Result<void> UpdateReservation(const Reservation& r) override {
        return Write<void>("update reservation", [&](soci::session& sql) -> Result<void> {
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
            // The seats of a hold do not change in practice: rewrite them only when they differ.
            if (LoadReservedSeats(sql, r.id.value) != r.seats) {
                Exec(sql, "DELETE FROM reservation_seat WHERE reservation_id = :id", r.id.value);
                InsertReservedSeats(sql, r.id.value, r.seats);
            }
            return {};
        });
    }
    Result<std::vector<ReservationId>> ListExpiredHolds(Timestamp now, std::int64_t limit) override {
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

    // Payments and tickets.
    Result<PaymentId> InsertPayment(const Payment& p) override {
        return Write<PaymentId>("insert payment", [&](soci::session& sql) -> Result<PaymentId> {
            Exec(
                sql,
                "INSERT INTO payment (reservation_id, user_id, amount, status, created_at, version) "
                "VALUES (:reservation, :user, :amount, :status, :created, 0)",
                p.reservation_id.value,
                p.user_id.value,
                p.amount,
                static_cast<int>(p.status),
                ToMs(p.created_at)
            );
            return PaymentId{LastId(sql)};
        });
    }
    Result<std::optional<Payment>> FindPayment(PaymentId id) override { return FindPaymentImpl(id, false); }
    Result<std::optional<Payment>> FindPaymentForUpdate(PaymentId id) override { return FindPaymentImpl(id, true); }
    Result<void> UpdatePayment(const Payment& p) override {
        return Write<void>("update payment", [&](soci::session& sql) {
            return UpdateVersioned(
                sql,
                "payment",
                "amount = :amount, status = :status",
                p.id.value,
                p.version,
                p.amount,
                static_cast<int>(p.status)
            );
        });
    }
    Result<TicketId> InsertTicket(const Ticket& t) override {
        return Write<TicketId>("insert ticket", [&](soci::session& sql) -> Result<TicketId> {
            Exec(
                sql,
                "INSERT INTO ticket (payment_id, user_id, concert_id, schedule_id, seat_id, seat_number, price, "
                "status, version) VALUES (:payment, :user, :concert, :schedule, :seat, :number, :price, :status, 0)",
                t.payment_id.value,
                t.user_id.value,
                t.concert_id.value,
                t.schedule_id.value,
                t.seat_id.value,
                t.seat_number,
                t.price,
                static_cast<int>(t.status)
            );
            return TicketId{LastId(sql)};
        });
    }
    Result<std::vector<Ticket>> ListTicketsByPayment(PaymentId payment) override {
        return Read<std::vector<Ticket>>("list tickets", [&](soci::session& sql) -> Result<std::vector<Ticket>> {
            return Select<TicketRow>(
                sql, SelectFrom<TicketRow>("ticket", "WHERE payment_id = :payment ORDER BY id"), payment.value
            );
        });
    }
    Result<std::vector<Ticket>> ListTicketsByUser(UserId user, ports::PageRequest page) override {
        return Read<std::vector<Ticket>>("list tickets", [&](soci::session& sql) -> Result<std::vector<Ticket>> {
            return Select<TicketRow>(
                sql,
                SelectFrom<TicketRow>("ticket", "WHERE user_id = :user AND id > :after ORDER BY id LIMIT :n"),
                user.value,
                page.after,
                page.limit
            );
        });
    }
    Result<void> UpdateTicket(const Ticket& t) override {
        return Write<void>("update ticket", [&](soci::session& sql) {
            return UpdateVersioned(
                sql,
                "ticket",
                "price = :price, status = :status",
                t.id.value,
                t.version,
                t.price,
                static_cast<int>(t.status)
            );
        });
    }

    // Outbox and inbox.
    Result<OutboxEventId> InsertOutboxEvent(const OutboxEvent& e) override {
        return Write<OutboxEventId>("insert outbox event", [&](soci::session& sql) -> Result<OutboxEventId> {
            Exec(
                sql,
                "INSERT INTO outbox (event_id, aggregate, type, payload, status, attempts, created_at, "
                "next_attempt_at, last_error, version) VALUES (:event, :aggregate, :type, :payload, :status, "
                ":attempts, :created, :next, :error, 0)",
                e.event_id,
                e.aggregate,
                e.type,
                e.payload,
                static_cast<int>(e.status),
                e.attempts,
                ToMs(e.created_at),
                ToMs(e.next_attempt_at),
                e.last_error
            );
            return OutboxEventId{LastId(sql)};
        });
    }
    Result<std::vector<OutboxEvent>> ListPendingOutboxEvents(std::int64_t limit) override {
        return Read<std::vector<OutboxEvent>>(
            "list outbox",
            [&](soci::session& sql) -> Result<std::vector<OutboxEvent>> {
                return Select<OutboxRow>(
                    sql,
                    SelectFrom<OutboxRow>("outbox", "WHERE status = :pending ORDER BY id LIMIT :n"),
                    kOutboxPending,
                    limit
                );
            }
        );
    }
    Result<std::optional<OutboxEvent>> FindOutboxEvent(std::string_view event_id) override {
        return Read<std::optional<OutboxEvent>>(
            "find outbox event",
            [&](soci::session& sql) -> Result<std::optional<OutboxEvent>> {
                return SelectOne<OutboxRow>(
                    sql, SelectFrom<OutboxRow>("outbox", "WHERE event_id = :event"), std::string(event_id)
                );
            }
        );
    }
    Result<void> UpdateOutboxEvent(const OutboxEvent& e) override {
        return Write<void>("update outbox event", [&](soci::session& sql) {
            return UpdateVersioned(
                sql,
                "outbox",
                "aggregate = :aggregate, type = :type, payload = :payload, status = :status, attempts = :attempts, "
                "next_attempt_at = :next, last_error = :error",
                e.id.value,
                e.version,
                e.aggregate,
                e.type,
                e.payload,
                static_cast<int>(e.status),
                e.attempts,
                ToMs(e.next_attempt_at),
                e.last_error
            );
        });
    }
    Result<ports::OutboxCounts> CountOutbox() override {
        return Read<ports::OutboxCounts>("count outbox", [&](soci::session& sql) -> Result<ports::OutboxCounts> {
            ports::OutboxCounts out;
            sql << "SELECT COUNT(*) FROM outbox WHERE status = :pending", soci::use(kOutboxPending),
                soci::into(out.pending);
            sql << "SELECT COUNT(*) FROM outbox WHERE status = :dead", soci::use(kOutboxDead), soci::into(out.dead);
            std::int64_t oldest = 0;
            soci::indicator oldest_ind = soci::i_null;
            // The first pending row by id: served by outbox_status (status, id), no scan of the backlog.
            sql << "SELECT created_at FROM outbox WHERE status = :pending ORDER BY id LIMIT 1",
                soci::use(kOutboxPending), soci::into(oldest, oldest_ind);
            if (oldest_ind == soci::i_ok) out.oldest_pending_at = FromMs(oldest);
            return out;
        });
    }
    Result<bool> RecordInbox(std::string_view consumer, std::string_view event_id, Timestamp now) override {
        if (consumer.size() > kMaxInboxKey || event_id.size() > kMaxInboxKey) {
            return MakeError(Errc::kInvalidArgument, "inbox consumer and event id are at most 191 bytes");
        }
        return Write<bool>("record inbox", [&](soci::session& sql) -> Result<bool> {
            const auto inserted =
                Exec(sql, std::string(dialect_.inbox_insert), std::string(consumer), std::string(event_id), ToMs(now));
            return inserted == 1;
        });
    }

    // Idempotency.
    Result<std::optional<IdempotencyRecord>> FindIdempotency(UserId user, std::string_view key) override {
        return Read<std::optional<IdempotencyRecord>>(
            "find idempotency key",
            [&](soci::session& sql) -> Result<std::optional<IdempotencyRecord>> {
                return SelectOne<IdempotencyRow>(
                    sql,
                    SelectFrom<IdempotencyRow>("idempotency", "WHERE user_id = :user AND idem_key = :key"),
                    user.value,
                    std::string(key)
                );
            }
        );
    }
    Result<void> InsertIdempotency(const IdempotencyRecord& record) override {
        return Write<void>("insert idempotency key", [&](soci::session& sql) -> Result<void> {
            Exec(
                sql,
                "INSERT INTO idempotency (user_id, idem_key, request_hash, response, created_at) "
                "VALUES (:user, :key, :hash, :response, :created)",
                record.user_id.value,
                record.key,
                record.request_hash,
                record.response,
                ToMs(record.created_at)
            );
            return {};
        });
    }
    Result<void> DeleteIdempotency(UserId user, std::string_view key) override {
        return Write<void>("delete idempotency key", [&](soci::session& sql) -> Result<void> {
            Exec(
                sql, "DELETE FROM idempotency WHERE user_id = :user AND idem_key = :key", user.value, std::string(key)
            );
            return {};
        });
    }

    // Fences.
    Result<void> AdvanceFence(std::string_view resource, std::uint64_t token) override {
        return Write<void>("advance fence", [&](soci::session& sql) -> Result<void> {
            if (token > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                return MakeError(Errc::kInvalidArgument, "fencing token out of range");
            }
            const std::string name(resource);
            const auto given = static_cast<std::int64_t>(token);
            // The upsert keeps the larger token and locks the row to the end of the transaction, so
            // a concurrent holder with a newer token is either seen here or waits for us.
            Exec(sql, std::string(dialect_.fence_upsert), name, given);
            std::int64_t stored = 0;
            sql << "SELECT token FROM lock_fence WHERE resource = :resource", soci::use(name), soci::into(stored);
            if (stored > given) {
                return MakeError(Errc::kAborted, "stale fencing token for " + name);
            }
            return {};
        });
    }

    Result<void> Commit() override {
        if (mode_ == ports::TxMode::kRead) return MakeError(Errc::kInternal, "a read unit of work cannot commit");
        auto done = Write<void>("commit", [](soci::session& sql) -> Result<void> {
            sql << "COMMIT";
            return {};
        });
        if (!done) return done;
        finished_ = true;
        ReleaseSession();
        return {};
    }

private:
    // Every repository call goes through here: state checks, then SOCI errors become values. A
    // database error poisons the unit of work (the server may have rolled it back already), so
    // nothing after it can commit a half-done change.
    template <class T, class F>
    Result<T> Guarded(std::string_view what, bool write, F&& body) {
        if (finished_) return MakeError(Errc::kInternal, "the unit of work has already committed");
        if (failed_) return MakeError(failed_->code, "the unit of work failed earlier: " + failed_->message);
        if (write && mode_ == ports::TxMode::kRead) {
            return MakeError(Errc::kInternal, "a read unit of work cannot write");
        }
        try {
            return body(*session_);
        } catch (const soci::soci_error& e) {
            auto failure = Translate(dialect_, e, what);
            discard_ = discard_ || failure.discard_session;
            failed_ = failure.error;
            return tl::unexpected<Error>(std::move(failure.error));
        } catch (const std::exception& e) {
            failed_ = Error{Errc::kInternal, std::string(what) + ": " + e.what()};
            return tl::unexpected<Error>(*failed_);
        }
    }
    template <class T, class F>
    Result<T> Read(std::string_view what, F&& body) {
        return Guarded<T>(what, false, std::forward<F>(body));
    }
    template <class T, class F>
    Result<T> Write(std::string_view what, F&& body) {
        return Guarded<T>(what, true, std::forward<F>(body));
    }

    std::string ForUpdate() const {
        return mode_ == ports::TxMode::kPessimistic ? std::string(dialect_.for_update) : std::string{};
    }

    // From the client library (mysql_insert_id, sqlite3_last_insert_rowid): no round trip.
    static std::int64_t LastId(soci::session& sql) {
        long long id = 0;
        if (!sql.get_last_insert_id("", id)) throw std::logic_error("the backend cannot tell the inserted id");
        return static_cast<std::int64_t>(id);
    }

    void ReleaseSession() {
        if (session_) pool_->Release(std::move(session_), !discard_);
    }

    Result<std::optional<User>> FindUserImpl(UserId id, bool for_update) {
        return Read<std::optional<User>>("find user", [&](soci::session& sql) -> Result<std::optional<User>> {
            return SelectOne<UserRow>(
                sql, SelectFrom<UserRow>("users", "WHERE id = :id") + (for_update ? ForUpdate() : ""), id.value
            );
        });
    }

    Result<std::optional<Payment>> FindPaymentImpl(PaymentId id, bool for_update) {
        return Read<std::optional<Payment>>("find payment", [&](soci::session& sql) -> Result<std::optional<Payment>> {
            return SelectOne<PaymentRow>(
                sql, SelectFrom<PaymentRow>("payment", "WHERE id = :id") + (for_update ? ForUpdate() : ""), id.value
            );
        });
    }

    template <class Key>
    Result<std::optional<Reservation>> FindReservationImpl(std::string_view where, const Key& key, bool for_update) {
        return Read<std::optional<Reservation>>(
            "find reservation",
            [&](soci::session& sql) -> Result<std::optional<Reservation>> {
                auto found = SelectOne<ReservationRow>(
                    sql, SelectFrom<ReservationRow>("reservation", where) + (for_update ? ForUpdate() : ""), key
                );
                if (found) found->seats = LoadReservedSeats(sql, found->id.value);
                return found;
            }
        );
    }

    static std::vector<ReservedSeat> LoadReservedSeats(soci::session& sql, std::int64_t reservation) {
        return Select<ReservedSeatRow>(
            sql,
            SelectFrom<ReservedSeatRow>("reservation_seat", "WHERE reservation_id = :id ORDER BY position"),
            reservation
        );
    }

    static void InsertReservedSeats(
        soci::session& sql, std::int64_t reservation, const std::vector<ReservedSeat>& seats
    ) {
        for (std::size_t i = 0; i < seats.size(); ++i) {
            Exec(
                sql,
                "INSERT INTO reservation_seat (reservation_id, position, seat_id, number, price) "
                "VALUES (:reservation, :position, :seat, :number, :price)",
                reservation,
                static_cast<int>(i),
                seats[i].seat_id.value,
                seats[i].number,
                seats[i].price
            );
        }
    }

    std::shared_ptr<Pool> pool_;
    const Dialect& dialect_;
    std::unique_ptr<soci::session> session_;
    ports::TxMode mode_;
    bool finished_{false};
    bool discard_{false};
    std::optional<Error> failed_;
};

}  // namespace

std::unique_ptr<ports::UnitOfWork> MakeUnitOfWork(
    std::shared_ptr<Pool> pool, std::unique_ptr<soci::session> session, ports::TxMode mode
) {
    return std::make_unique<SqlUnitOfWork>(std::move(pool), std::move(session), mode);
}

}  // namespace ticketing::sql::detail
