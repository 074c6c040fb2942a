#pragma once

// How domain enums are stored: small integers. The migrations' partial indexes and generated
// columns use these values (ticket status 0 = ISSUED), so they are fixed here and checked against
// the domain enums at compile time.

#include <ticketing/domain/entities.hpp>

namespace ticketing::sql::detail {

inline constexpr int kSeatAvailable = 0;
inline constexpr int kSeatHeld = 1;
inline constexpr int kSeatSold = 2;
static_assert(static_cast<int>(SeatStatus::kAvailable) == kSeatAvailable);
static_assert(static_cast<int>(SeatStatus::kHeld) == kSeatHeld);
static_assert(static_cast<int>(SeatStatus::kSold) == kSeatSold);

inline constexpr int kReservationHeld = 0;
inline constexpr int kReservationPaid = 1;
inline constexpr int kReservationExpired = 2;
inline constexpr int kReservationCancelled = 3;
static_assert(static_cast<int>(ReservationStatus::kHeld) == kReservationHeld);
static_assert(static_cast<int>(ReservationStatus::kPaid) == kReservationPaid);
static_assert(static_cast<int>(ReservationStatus::kExpired) == kReservationExpired);
static_assert(static_cast<int>(ReservationStatus::kCancelled) == kReservationCancelled);

inline constexpr int kPaymentCompleted = 0;
inline constexpr int kPaymentRefunded = 1;
static_assert(static_cast<int>(PaymentStatus::kCompleted) == kPaymentCompleted);
static_assert(static_cast<int>(PaymentStatus::kRefunded) == kPaymentRefunded);

/// ticket_live_seat (SQLite partial index, MariaDB generated column) keys on this value.
inline constexpr int kTicketIssued = 0;
inline constexpr int kTicketRefunded = 1;
static_assert(static_cast<int>(TicketStatus::kIssued) == kTicketIssued);
static_assert(static_cast<int>(TicketStatus::kRefunded) == kTicketRefunded);

inline constexpr int kLedgerCharge = 0;
inline constexpr int kLedgerPayment = 1;
inline constexpr int kLedgerRefund = 2;
static_assert(static_cast<int>(LedgerType::kCharge) == kLedgerCharge);
static_assert(static_cast<int>(LedgerType::kPayment) == kLedgerPayment);
static_assert(static_cast<int>(LedgerType::kRefund) == kLedgerRefund);

inline constexpr int kOutboxPending = 0;
inline constexpr int kOutboxPublished = 1;
inline constexpr int kOutboxDead = 2;
static_assert(static_cast<int>(OutboxStatus::kPending) == kOutboxPending);
static_assert(static_cast<int>(OutboxStatus::kPublished) == kOutboxPublished);
static_assert(static_cast<int>(OutboxStatus::kDead) == kOutboxDead);

}  // namespace ticketing::sql::detail
