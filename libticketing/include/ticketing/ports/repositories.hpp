#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <ticketing/domain/entities.hpp>
#include <ticketing/error.hpp>
#include <ticketing/ports/distributed_lock.hpp>
#include <vector>

/// The repositories a unit of work offers. Each method runs inside its unit of work's transaction.
///
/// Conventions shared by every adapter (the contract suites check them):
/// - `Find*` returns nullopt when the row does not exist.
/// - `*ForUpdate` reads a row the caller is about to write; under a pessimistic unit of work it also
///   takes the row's lock until the end of the transaction.
/// - `Update*` is a versioned write: it succeeds only if the stored version equals the argument's
///   `version`, and stores `version + 1`; otherwise it returns `kAborted`.
/// - `Insert*` assigns and returns a new id; a broken unique constraint returns `kAborted`.
/// - Backend failures return `kUnavailable`.
/// - `Delete*Before` / `DeleteFencesBelow` are retention: each deletes at most `limit` rows in one
///   bounded statement and returns how many it deleted; the caller repeats until fewer come back.
namespace ticketing::ports {

struct PageRequest {
    std::int64_t after{0};  ///< cursor: the last id of the previous page, 0 for the first
    std::int64_t limit{30};
};

class UserRepository {
public:
    virtual ~UserRepository() = default;
    virtual Result<UserId> InsertUser(const User& user) = 0;
    virtual Result<std::optional<User>> FindUser(UserId id) = 0;
    virtual Result<std::optional<User>> FindUserForUpdate(UserId id) = 0;
    /// Those of `ids` that exist, in any order: one query for many existence checks.
    virtual Result<std::vector<UserId>> FindExistingUsers(std::span<const UserId> ids) = 0;
    virtual Result<void> UpdateUser(const User& user) = 0;
    /// Many users in one go (a batch of charges answered together).
    /// The existing ones among `ids`, each once, by id (locked in id order).
    virtual Result<std::vector<User>> FindUsersForUpdate(std::span<const UserId> ids) = 0;
    /// `UpdateUser` for each (each once), all or nothing: `kAborted` when any stored version differs.
    virtual Result<void> UpdateUsers(std::span<const User> users) = 0;

    virtual Result<LedgerEntryId> InsertLedgerEntry(const LedgerEntry& entry) = 0;
    /// `InsertLedgerEntry` for each, in order, all or nothing.
    virtual Result<void> InsertLedgerEntries(std::span<const LedgerEntry> entries) = 0;
    /// Adds `entry.amount` (signed) to the balance of `entry.user_id` unless it would fall below zero,
    /// bumps the user's version and appends `entry` with `balance_after` set: one conditional write in
    /// place of FindUserForUpdate + UpdateUser + InsertLedgerEntry. The entry as stored, or nullopt
    /// (nothing written) when the balance is too low or the user does not exist.
    virtual Result<std::optional<LedgerEntry>> ApplyBalanceChange(const LedgerEntry& entry) = 0;
    /// Newest first; `page.after` is a ledger id: entries older than it.
    virtual Result<std::vector<LedgerEntry>> ListLedger(UserId user, PageRequest page) = 0;
};

class CatalogRepository {
public:
    virtual ~CatalogRepository() = default;
    virtual Result<ConcertId> InsertConcert(const Concert& concert) = 0;
    virtual Result<std::optional<Concert>> FindConcert(ConcertId id) = 0;
    /// Concerts whose reservation window contains `at`, by id; `page.after` is a concert id.
    virtual Result<std::vector<Concert>> ListConcertsOpenAt(Timestamp at, PageRequest page) = 0;

    virtual Result<ScheduleId> InsertSchedule(const Schedule& schedule) = 0;
    virtual Result<std::optional<Schedule>> FindSchedule(ScheduleId id) = 0;
    /// By start time then id.
    virtual Result<std::vector<Schedule>> ListSchedules(ConcertId concert) = 0;
};

/// The part of a seat that a hold, a sale or a release changes.
struct SeatHolding {
    SeatStatus status{SeatStatus::kAvailable};
    ReservationId held_by;
    Timestamp held_until;
};

class SeatRepository {
public:
    virtual ~SeatRepository() = default;
    /// Creates seats numbered 1..count at `price`.
    virtual Result<void> InsertSeats(ScheduleId schedule, std::int32_t count, Money price) = 0;
    /// By number.
    virtual Result<std::vector<Seat>> ListSeats(ScheduleId schedule) = 0;
    /// Seats free at `now` in each schedule of the concert, in one query (a hold past its time counts as
    /// free). A schedule with none free may be absent.
    virtual Result<std::map<ScheduleId, std::int64_t>> CountAvailableSeats(ConcertId concert, Timestamp now) = 0;
    /// The existing ones among `ids`, each once, by id; rows are locked in id order.
    virtual Result<std::vector<Seat>> FindSeatsForUpdate(std::span<const SeatId> ids) = 0;
    virtual Result<void> UpdateSeat(const Seat& seat) = 0;
    /// `UpdateSeat` for many seats (each once) at once, all or nothing: `kAborted` (nothing written)
    /// when any stored version differs from its argument's.
    virtual Result<void> UpdateSeats(std::span<const Seat> seats) = 0;
    /// Sets `to` on each seat of `ids` whose status and holder are `from`'s (its `held_until` is not
    /// compared), bumping its version; returns how many changed. The caller compares that with the
    /// number of ids: fewer means some seat was not as expected (it then rolls back).
    virtual Result<std::int64_t> TransitionSeats(std::span<const SeatId> ids, SeatHolding from, SeatHolding to) = 0;
};

class ReservationRepository {
public:
    virtual ~ReservationRepository() = default;
    /// A second row with the same non-empty `live_token` breaks a unique constraint.
    virtual Result<ReservationId> InsertReservation(const Reservation& reservation) = 0;
    virtual Result<std::optional<Reservation>> FindReservation(ReservationId id) = 0;
    virtual Result<std::optional<Reservation>> FindReservationForUpdate(ReservationId id) = 0;
    virtual Result<std::optional<Reservation>> FindReservationByLiveTokenForUpdate(std::string_view token) = 0;
    virtual Result<void> UpdateReservation(const Reservation& reservation) = 0;
    /// Many holds in one go (a batch of requests answered together).
    /// `InsertReservation` for each, all or nothing; their ids in the same order.
    virtual Result<std::vector<ReservationId>> InsertReservations(std::span<const Reservation> reservations) = 0;
    /// The existing ones among `ids`, each once, by id (locked in id order).
    virtual Result<std::vector<Reservation>> FindReservationsForUpdate(std::span<const ReservationId> ids) = 0;
    /// The reservations that hold any of `tokens` live, by id (locked in token order).
    virtual Result<std::vector<Reservation>> FindReservationsByLiveTokensForUpdate(std::span<const std::string> tokens
    ) = 0;
    /// `UpdateReservation` for each (each once), all or nothing: `kAborted` when any stored version
    /// differs.
    virtual Result<void> UpdateReservations(std::span<const Reservation> reservations) = 0;
    /// HELD reservations with `expires_at <= now`, oldest expiry first.
    virtual Result<std::vector<ReservationId>> ListExpiredHolds(Timestamp now, std::int64_t limit) = 0;
    /// HELD reservations not yet expired at `now` (`expires_at > now`).
    virtual Result<std::int64_t> CountLiveHolds(Timestamp now) = 0;
};

class PaymentRepository {
public:
    virtual ~PaymentRepository() = default;
    virtual Result<PaymentId> InsertPayment(const Payment& payment) = 0;
    virtual Result<std::optional<Payment>> FindPayment(PaymentId id) = 0;
    virtual Result<std::optional<Payment>> FindPaymentForUpdate(PaymentId id) = 0;
    virtual Result<void> UpdatePayment(const Payment& payment) = 0;
    /// The payment of a reservation (a reservation is paid at most once).
    virtual Result<std::optional<Payment>> FindPaymentByReservation(ReservationId reservation) = 0;

    /// An ISSUED ticket for a seat that already has one breaks a unique constraint (a seat is sold once).
    virtual Result<TicketId> InsertTicket(const Ticket& ticket) = 0;
    /// `InsertTicket` for each, all or nothing; their ids in the same order.
    virtual Result<std::vector<TicketId>> InsertTickets(std::span<const Ticket> tickets) = 0;
    /// By id.
    virtual Result<std::vector<Ticket>> ListTicketsByPayment(PaymentId payment) = 0;
    /// By id; `page.after` is a ticket id.
    virtual Result<std::vector<Ticket>> ListTicketsByUser(UserId user, PageRequest page) = 0;
    virtual Result<void> UpdateTicket(const Ticket& ticket) = 0;
};

struct OutboxCounts {
    std::int64_t pending{0};
    std::int64_t dead{0};
    std::optional<Timestamp> oldest_pending_at;
};

/// A relay's claim on due events (ClaimOutboxEvents).
struct OutboxClaim {
    std::string owner;  ///< unique per claim: only its holder marks the events
    Timestamp now;
    Timestamp until;  ///< the claim lapses then, and the events can be claimed again
    std::int64_t limit{0};
};

/// What a relay learnt about one event it claimed. A kPublished mark changes the status only.
struct OutboxMark {
    OutboxEventId id;
    OutboxStatus status{OutboxStatus::kPending};  ///< kPending: failed, retried at next_attempt_at
    std::int32_t attempts{0};
    Timestamp next_attempt_at;
    std::string last_error;
};

class OutboxRepository {
public:
    virtual ~OutboxRepository() = default;
    virtual Result<OutboxEventId> InsertOutboxEvent(const OutboxEvent& event) = 0;
    /// Claims up to `limit` PENDING events that are due (`next_attempt_at <= now`) and not claimed
    /// (`claim_until <= now`), by due time then id, stamping `owner` and `until` on them. Only the
    /// first PENDING event of each aggregate (by id) is claimable, so an aggregate's events go out
    /// in commit order, one per claim. Rows another unit of work is claiming are skipped, not
    /// waited for (MariaDB `FOR UPDATE SKIP LOCKED`; SQLite and memory serialize claims): two
    /// relays never hold the same event. Run it in a pessimistic unit of work and commit.
    virtual Result<std::vector<OutboxEvent>> ClaimOutboxEvents(const OutboxClaim& claim) = 0;
    /// Applies every mark, in one statement, to its event if `owner` still holds its claim (a lapsed
    /// claim taken by another relay is left alone), and releases the claim. Returns the events marked.
    /// Run it in a pessimistic unit of work (SQLite then waits for a claim instead of losing to it).
    virtual Result<std::int64_t> MarkOutboxEvents(std::string_view owner, std::span<const OutboxMark> marks) = 0;
    virtual Result<std::optional<OutboxEvent>> FindOutboxEvent(std::string_view event_id) = 0;
    virtual Result<void> UpdateOutboxEvent(const OutboxEvent& event) = 0;
    virtual Result<OutboxCounts> CountOutbox() = 0;
    /// Up to `limit` DEAD events, newest first (by creation, then id): what an operator may retry.
    virtual Result<std::vector<OutboxEvent>> ListDeadOutboxEvents(std::int64_t limit) = 0;
    /// True the first time `consumer` records `event_id`, false after (the consumer's inbox).
    virtual Result<bool> RecordInbox(std::string_view consumer, std::string_view event_id, Timestamp now) = 0;

    /// Retention: PUBLISHED events created before `cutoff`, oldest first (PENDING and DEAD stay).
    virtual Result<std::int64_t> DeletePublishedOutboxBefore(Timestamp cutoff, std::int64_t limit) = 0;
    /// Retention: inbox rows recorded before `cutoff`. A consumer de-duplicates only within that age.
    virtual Result<std::int64_t> DeleteInboxBefore(Timestamp cutoff, std::int64_t limit) = 0;
};

/// The read models that event consumers build (in the same transaction as their inbox row).
class ProjectionRepository {
public:
    virtual ~ProjectionRepository() = default;
    virtual Result<std::optional<ScheduleSales>> FindScheduleSales(ScheduleId schedule) = 0;
    /// Adds `delta` to the schedule's sales (a row from zero the first time) in one statement, so
    /// concurrent consumers never lose an addition; stamps `at`.
    virtual Result<void> AddScheduleSales(ScheduleId schedule, const SalesDelta& delta, Timestamp at) = 0;
};

class IdempotencyRepository {
public:
    virtual ~IdempotencyRepository() = default;
    virtual Result<std::optional<IdempotencyRecord>> FindIdempotency(UserId user, std::string_view key) = 0;
    /// (user, key) is unique.
    virtual Result<void> InsertIdempotency(const IdempotencyRecord& record) = 0;
    virtual Result<void> DeleteIdempotency(UserId user, std::string_view key) = 0;
    /// Retention: records created before `cutoff` (past their TTL: a replay would no longer use them).
    virtual Result<std::int64_t> DeleteIdempotencyBefore(Timestamp cutoff, std::int64_t limit) = 0;
};

class FenceRepository {
public:
    virtual ~FenceRepository() = default;
    /// Records that the holder of fencing token `token` writes `resource`. Refused with `kAborted`
    /// when a newer token has already written it: a holder whose lease lapsed cannot write (the lease
    /// strategy then retries with a fresh lease). Tokens are at most INT64_MAX (INVALID_ARGUMENT beyond).
    virtual Result<void> AdvanceFence(std::string_view resource, std::uint64_t token) = 0;
    /// `AdvanceFence` for every fence of a lease at once: all advanced, or `kAborted` when any is stale.
    virtual Result<void> AdvanceFences(std::span<const Fence> fences) = 0;
    /// Retention: fences whose stored token is below `token`. Safe for `token` = the clock in µs a
    /// good while ago, because every lock issues fencing tokens as max(last + 1, clock µs): any token
    /// issued since is larger than the forgotten row's, so the row no longer refuses anyone. Only a
    /// holder paused for longer than that while holding a lease could then write unfenced.
    virtual Result<std::int64_t> DeleteFencesBelow(std::uint64_t token, std::int64_t limit) = 0;
};

}  // namespace ticketing::ports
