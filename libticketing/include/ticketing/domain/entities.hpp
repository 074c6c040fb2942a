#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <ticketing/domain/ids.hpp>
#include <ticketing/domain/money.hpp>
#include <ticketing/domain/time.hpp>
#include <vector>

namespace ticketing {

/// Every mutable row carries a version: each write checks it and bumps it (optimistic concurrency,
/// and an assertion under the other strategies).
using Version = std::int64_t;

struct User {
    UserId id;
    std::string name;
    Money balance{0};
    Version version{0};
};

enum class LedgerType : std::uint8_t { kCharge, kPayment, kRefund };

/// One balance change. `amount` is signed: CHARGE and REFUND positive, PAYMENT negative.
struct LedgerEntry {
    LedgerEntryId id;
    UserId user_id;
    LedgerType type{LedgerType::kCharge};
    Money amount{0};
    Money balance_after{0};
    Timestamp created_at;
};

struct Concert {
    ConcertId id;
    std::string title;
    Timestamp reservation_opens_at;
    Timestamp reservation_closes_at;

    /// The reservation window is [opens, closes).
    bool IsOpenAt(Timestamp at) const { return reservation_opens_at <= at && at < reservation_closes_at; }
};

struct Schedule {
    ScheduleId id;
    ConcertId concert_id;
    Timestamp starts_at;
    Money price{0};
    std::int32_t total_seats{0};
};

enum class SeatStatus : std::uint8_t { kAvailable, kHeld, kSold };

struct Seat {
    SeatId id;
    ScheduleId schedule_id;
    std::int32_t number{0};
    Money price{0};
    SeatStatus status{SeatStatus::kAvailable};
    ReservationId held_by;  ///< the hold (HELD) or the paid reservation (SOLD)
    Timestamp held_until;
    Version version{0};

    /// A hold past its time frees the seat even before any sweeper has run.
    SeatStatus StatusAt(Timestamp now) const {
        return status == SeatStatus::kHeld && held_until <= now ? SeatStatus::kAvailable : status;
    }

    // The seat's transitions. Each but HoldFor returns false, and leaves the seat as it was, when the
    // seat is not in the state it names: a seat is only ever freed or sold by the reservation owning it.

    /// -> HELD by `hold` until `until`; the caller has checked that StatusAt(now) is AVAILABLE.
    void HoldFor(ReservationId hold, Timestamp until);
    /// HELD by `hold` -> AVAILABLE: the hold was cancelled or lapsed.
    bool Release(ReservationId hold);
    /// HELD by `hold` -> SOLD to it: the hold was paid.
    bool SellTo(ReservationId hold);
    /// SOLD to `paid` -> AVAILABLE: the payment was refunded.
    bool Refund(ReservationId paid);
};

enum class ReservationStatus : std::uint8_t { kHeld, kPaid, kExpired, kCancelled };

struct ReservedSeat {
    SeatId seat_id;
    std::int32_t number{0};
    Money price{0};

    friend bool operator==(const ReservedSeat&, const ReservedSeat&) = default;
};

struct Reservation {
    ReservationId id;
    UserId user_id;
    ConcertId concert_id;
    ScheduleId schedule_id;
    std::vector<ReservedSeat> seats;
    Money amount{0};
    ReservationStatus status{ReservationStatus::kHeld};
    /// The queue token that made the hold while it is HELD; empty once it is not. Unique among rows:
    /// one live hold per token.
    std::string live_token;
    Timestamp created_at;
    Timestamp expires_at;
    Version version{0};

    ReservationStatus StatusAt(Timestamp now) const {
        return status == ReservationStatus::kHeld && expires_at <= now ? ReservationStatus::kExpired : status;
    }
};

enum class PaymentStatus : std::uint8_t { kCompleted, kRefunded };

struct Payment {
    PaymentId id;
    ReservationId reservation_id;
    UserId user_id;
    Money amount{0};
    PaymentStatus status{PaymentStatus::kCompleted};
    Timestamp created_at;
    Version version{0};
};

enum class TicketStatus : std::uint8_t { kIssued, kRefunded };

struct Ticket {
    TicketId id;
    PaymentId payment_id;
    UserId user_id;
    ConcertId concert_id;
    ScheduleId schedule_id;
    SeatId seat_id;
    std::int32_t seat_number{0};
    Money price{0};
    TicketStatus status{TicketStatus::kIssued};
    Version version{0};
};

enum class OutboxStatus : std::uint8_t { kPending, kPublished, kDead };

/// A domain event written in the business transaction, relayed later at least once.
struct OutboxEvent {
    OutboxEventId id;       ///< store order
    std::string event_id;   ///< UUID, the de-duplication key for consumers
    std::string aggregate;  ///< e.g. "payment:42": the Kafka key, ordering is per aggregate
    std::string type;       ///< e.g. "payment.completed"
    std::string payload;    ///< JSON
    OutboxStatus status{OutboxStatus::kPending};
    std::int32_t attempts{0};
    Timestamp created_at;
    Timestamp next_attempt_at;
    std::string last_error;
    Version version{0};
    /// The relay holding it (ClaimOutboxEvents) until `claim_until`; empty when unclaimed.
    std::string claimed_by;
    Timestamp claim_until;
};

/// The sales projection of one schedule, built from payment events (SalesProjection).
struct ScheduleSales {
    ScheduleId schedule_id;
    std::int64_t seats_sold{0};           ///< seats paid for and not refunded
    Money revenue{0};                     ///< payments minus refunds
    std::int64_t refunds{0};              ///< refunded payments
    std::optional<Timestamp> updated_at;  ///< the last event applied; none before the first
};

/// What one payment event adds to its schedule's sales.
struct SalesDelta {
    std::int64_t seats_sold{0};
    Money revenue{0};
    std::int64_t refunds{0};
};

/// What an Idempotency-Key stored: the request's fingerprint and enough of the result to replay it.
struct IdempotencyRecord {
    UserId user_id;
    std::string key;
    std::string request_hash;
    std::string response;  ///< the use case's own encoding of its result
    Timestamp created_at;
};

std::string_view ToString(SeatStatus s);
std::string_view ToString(ReservationStatus s);
std::string_view ToString(PaymentStatus s);
std::string_view ToString(TicketStatus s);
std::string_view ToString(LedgerType t);
std::string_view ToString(OutboxStatus s);

}  // namespace ticketing
