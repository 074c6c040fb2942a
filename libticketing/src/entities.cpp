#include <ticketing/domain/entities.hpp>
#include <ticketing/domain/queue.hpp>

namespace ticketing {
namespace {

// `from` owned by `owner` -> AVAILABLE.
bool Free(Seat& seat, SeatStatus from, ReservationId owner) {
    if (seat.status != from || seat.held_by != owner) return false;
    seat.status = SeatStatus::kAvailable;
    seat.held_by = {};
    seat.held_until = {};
    return true;
}

}  // namespace

void Seat::HoldFor(ReservationId hold, Timestamp until) {
    status = SeatStatus::kHeld;
    held_by = hold;
    held_until = until;
}

bool Seat::Release(ReservationId hold) {
    return Free(*this, SeatStatus::kHeld, hold);
}

bool Seat::SellTo(ReservationId hold) {
    if (status != SeatStatus::kHeld || held_by != hold) return false;
    status = SeatStatus::kSold;
    return true;
}

bool Seat::Refund(ReservationId paid) {
    return Free(*this, SeatStatus::kSold, paid);
}

std::string_view ToString(SeatStatus s) {
    switch (s) {
        case SeatStatus::kAvailable:
            return "AVAILABLE";
        case SeatStatus::kHeld:
            return "HELD";
        case SeatStatus::kSold:
            return "SOLD";
    }
    return "?";
}

std::string_view ToString(ReservationStatus s) {
    switch (s) {
        case ReservationStatus::kHeld:
            return "HELD";
        case ReservationStatus::kPaid:
            return "PAID";
        case ReservationStatus::kExpired:
            return "EXPIRED";
        case ReservationStatus::kCancelled:
            return "CANCELLED";
    }
    return "?";
}

std::string_view ToString(PaymentStatus s) {
    return s == PaymentStatus::kCompleted ? "COMPLETED" : "REFUNDED";
}

std::string_view ToString(TicketStatus s) {
    return s == TicketStatus::kIssued ? "ISSUED" : "REFUNDED";
}

std::string_view ToString(LedgerType t) {
    switch (t) {
        case LedgerType::kCharge:
            return "CHARGE";
        case LedgerType::kPayment:
            return "PAYMENT";
        case LedgerType::kRefund:
            return "REFUND";
    }
    return "?";
}

std::string_view ToString(OutboxStatus s) {
    switch (s) {
        case OutboxStatus::kPending:
            return "PENDING";
        case OutboxStatus::kPublished:
            return "PUBLISHED";
        case OutboxStatus::kDead:
            return "DEAD";
    }
    return "?";
}

std::string_view ToString(TokenStatus s) {
    switch (s) {
        case TokenStatus::kWaiting:
            return "WAITING";
        case TokenStatus::kActive:
            return "ACTIVE";
        case TokenStatus::kRevoked:
            return "REVOKED";
    }
    return "?";
}

}  // namespace ticketing
