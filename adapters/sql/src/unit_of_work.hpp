#pragma once

// The unit of work: one transaction on one pooled session. Each repository's SQL lives in its own
// file (named next to its methods below); this class holds the transaction state they share.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "detail.hpp"

namespace ticketing::sql::detail {

class SqlUnitOfWork final : public ports::UnitOfWork {
public:
    SqlUnitOfWork(
        std::shared_ptr<Pool> pool, std::unique_ptr<soci::session> session, ports::TxMode mode, WriterGate::Turn turn
    );
    ~SqlUnitOfWork() override;
    SqlUnitOfWork(const SqlUnitOfWork&) = delete;
    SqlUnitOfWork& operator=(const SqlUnitOfWork&) = delete;

    // Users and the ledger: user_repository.cpp.
    Result<UserId> InsertUser(const User& user) override;
    Result<std::optional<User>> FindUser(UserId id) override;
    Result<std::optional<User>> FindUserForUpdate(UserId id) override;
    Result<std::vector<UserId>> FindExistingUsers(std::span<const UserId> ids) override;
    Result<void> UpdateUser(const User& user) override;
    Result<std::vector<User>> FindUsersForUpdate(std::span<const UserId> ids) override;
    Result<void> UpdateUsers(std::span<const User> users) override;
    Result<LedgerEntryId> InsertLedgerEntry(const LedgerEntry& entry) override;
    Result<void> InsertLedgerEntries(std::span<const LedgerEntry> entries) override;
    Result<std::optional<LedgerEntry>> ApplyBalanceChange(const LedgerEntry& entry) override;
    Result<std::vector<LedgerEntry>> ListLedger(UserId user, ports::PageRequest page) override;

    // Catalog: catalog_repository.cpp.
    Result<ConcertId> InsertConcert(const Concert& concert) override;
    Result<std::optional<Concert>> FindConcert(ConcertId id) override;
    Result<std::vector<Concert>> ListConcertsOpenAt(Timestamp at, ports::PageRequest page) override;
    Result<ScheduleId> InsertSchedule(const Schedule& schedule) override;
    Result<std::optional<Schedule>> FindSchedule(ScheduleId id) override;
    Result<std::vector<Schedule>> ListSchedules(ConcertId concert) override;

    // Seats: seat_repository.cpp.
    Result<void> InsertSeats(ScheduleId schedule, std::int32_t count, Money price) override;
    Result<std::vector<Seat>> ListSeats(ScheduleId schedule) override;
    Result<std::map<ScheduleId, std::int64_t>> CountAvailableSeats(ConcertId concert, Timestamp now) override;
    Result<std::vector<Seat>> FindSeatsForUpdate(std::span<const SeatId> ids) override;
    Result<void> UpdateSeat(const Seat& seat) override;
    Result<void> UpdateSeats(std::span<const Seat> seats) override;
    Result<std::int64_t> TransitionSeats(std::span<const SeatId> ids, ports::SeatHolding from, ports::SeatHolding to)
        override;

    // Reservations: reservation_repository.cpp.
    Result<ReservationId> InsertReservation(const Reservation& r) override;
    Result<std::optional<Reservation>> FindReservation(ReservationId id) override;
    Result<std::optional<Reservation>> FindReservationForUpdate(ReservationId id) override;
    Result<std::optional<Reservation>> FindReservationByLiveTokenForUpdate(std::string_view token) override;
    Result<void> UpdateReservation(const Reservation& r) override;
    Result<std::vector<ReservationId>> InsertReservations(std::span<const Reservation> reservations) override;
    Result<std::vector<Reservation>> FindReservationsForUpdate(std::span<const ReservationId> ids) override;
    Result<std::vector<Reservation>> FindReservationsByLiveTokensForUpdate(std::span<const std::string> tokens
    ) override;
    Result<void> UpdateReservations(std::span<const Reservation> reservations) override;
    Result<std::vector<ReservationId>> ListExpiredHolds(Timestamp now, std::int64_t limit) override;
    Result<std::int64_t> CountLiveHolds(Timestamp now) override;

    // Payments and tickets: payment_repository.cpp.
    Result<PaymentId> InsertPayment(const Payment& p) override;
    Result<std::optional<Payment>> FindPayment(PaymentId id) override;
    Result<std::optional<Payment>> FindPaymentForUpdate(PaymentId id) override;
    Result<void> UpdatePayment(const Payment& p) override;
    Result<std::optional<Payment>> FindPaymentByReservation(ReservationId reservation) override;
    Result<TicketId> InsertTicket(const Ticket& t) override;
    Result<std::vector<TicketId>> InsertTickets(std::span<const Ticket> tickets) override;
    Result<std::vector<Ticket>> ListTicketsByPayment(PaymentId payment) override;
    Result<std::vector<Ticket>> ListTicketsByUser(UserId user, ports::PageRequest page) override;
    Result<void> UpdateTicket(const Ticket& t) override;

    // Outbox and inbox: outbox_repository.cpp.
    Result<OutboxEventId> InsertOutboxEvent(const OutboxEvent& e) override;
    Result<std::vector<OutboxEvent>> ClaimOutboxEvents(const ports::OutboxClaim& claim) override;
    Result<std::int64_t> MarkOutboxEvents(std::string_view owner, std::span<const ports::OutboxMark> marks) override;
    Result<std::optional<OutboxEvent>> FindOutboxEvent(std::string_view event_id) override;
    Result<void> UpdateOutboxEvent(const OutboxEvent& e) override;
    Result<ports::OutboxCounts> CountOutbox() override;
    Result<std::vector<OutboxEvent>> ListDeadOutboxEvents(std::int64_t limit) override;
    Result<bool> RecordInbox(std::string_view consumer, std::string_view event_id, Timestamp now) override;
    Result<std::int64_t> DeletePublishedOutboxBefore(Timestamp cutoff, std::int64_t limit) override;
    Result<std::int64_t> DeleteInboxBefore(Timestamp cutoff, std::int64_t limit) override;

    // Projections: projection_repository.cpp.
    Result<std::optional<ScheduleSales>> FindScheduleSales(ScheduleId schedule) override;
    Result<void> AddScheduleSales(ScheduleId schedule, const SalesDelta& delta, Timestamp at) override;

    // Idempotency: idempotency_repository.cpp.
    Result<std::optional<IdempotencyRecord>> FindIdempotency(UserId user, std::string_view key) override;
    Result<void> InsertIdempotency(const IdempotencyRecord& record) override;
    Result<void> DeleteIdempotency(UserId user, std::string_view key) override;
    Result<std::int64_t> DeleteIdempotencyBefore(Timestamp cutoff, std::int64_t limit) override;

    // Fences: fence_repository.cpp.
    Result<void> AdvanceFence(std::string_view resource, std::uint64_t token) override;
    Result<void> AdvanceFences(std::span<const ports::Fence> fences) override;
    Result<std::int64_t> DeleteFencesBelow(std::uint64_t token, std::int64_t limit) override;

    Result<void> Commit() override;

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
            for (std::size_t tries = pool_->options().pool_size + 1;; --tries) {
                try {
                    auto out = body(*session_);
                    untried_ = false;
                    return out;
                } catch (const soci::soci_error& e) {
                    // Begin sent nothing (autocommit reads): a pooled connection that died while idle
                    // shows here, and is replaced as Begin would have, since nothing ran on it yet.
                    if (!untried_ || tries <= 1 || !Translate(dialect_, *session_, e, what).discard_session) throw;
                    if (auto reconnected = Reconnect(); !reconnected) {
                        failed_ = reconnected.error();
                        return tl::unexpected<Error>(reconnected.error());
                    }
                }
            }
        } catch (const soci::soci_error& e) {
            auto failure = Translate(dialect_, *session_, e, what);
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

    std::string ForUpdate() const;
    // A write of `rows` rows in one statement: kAborted unless all were written (some rows written
    // poison the unit of work).
    Result<void> AllWritten(long long affected, std::size_t rows, std::string_view table);
    // From the client library (mysql_insert_id, sqlite3_last_insert_rowid): no round trip.
    static std::int64_t LastId(soci::session& sql);
    void ReleaseSession();
    // Swaps a dead session for a fresh one from the pool (UNAVAILABLE when none can be had).
    Result<void> Reconnect();

    Result<std::optional<User>> FindUserImpl(UserId id, bool for_update);
    // `where` may hold placeholders, bound to `params` in order.
    Result<std::optional<Reservation>> FindReservationImpl(
        const std::string& where, std::span<const std::string> params, bool for_update
    );
    Result<std::vector<Reservation>> FindReservationsWhere(
        const std::string& where, std::span<const std::string> params, bool for_update
    );
    static std::vector<ReservedSeat> LoadReservedSeats(soci::session& sql, std::int64_t reservation);
    static void InsertReservedSeats(soci::session& sql, std::span<const Reservation> reservations);
    Result<std::optional<Payment>> FindPaymentImpl(PaymentId id, bool for_update);

    std::shared_ptr<Pool> pool_;
    const Dialect& dialect_;
    std::unique_ptr<soci::session> session_;
    WriterGate::Turn turn_;  ///< SQLite writers: held to COMMIT or ROLLBACK
    ports::TxMode mode_;
    bool finished_{false};
    bool discard_{false};
    // True until a statement succeeds, when Begin sent none: the session is not known alive yet.
    bool untried_{false};
    std::optional<Error> failed_;
    // Reservation id -> (version, seats) as read or written in this unit of work: UpdateReservations
    // then knows whether the seats changed without reading them again.
    std::map<std::int64_t, std::pair<Version, std::vector<ReservedSeat>>> known_seats_;
    // The last reservation read (its query and key) and its answer, for FindReservationImpl.
    std::optional<std::pair<std::string, std::optional<Reservation>>> last_read_;
};

}  // namespace ticketing::sql::detail
