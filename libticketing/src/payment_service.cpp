#include <algorithm>
#include <string>
#include <ticketing/app/account_service.hpp>
#include <ticketing/app/payment_service.hpp>

#include "internal.hpp"
#include "seat_map_cache.hpp"

namespace ticketing {
namespace {

std::string TicketsJson(const std::vector<Ticket>& tickets) {
    std::vector<std::string> items;
    for (const auto& t : tickets) {
        items.push_back(JsonWriter{}
                            .Field("ticketId", t.id.value)
                            .Field("seatId", t.seat_id.value)
                            .Field("seatNumber", t.seat_number)
                            .Field("price", t.price)
                            .Done());
    }
    return internal::JoinJsonArray(items);
}

OutboxEvent PaymentEvent(
    std::string_view type,
    const Payment& payment,
    const Reservation& reservation,
    const std::vector<Ticket>& tickets,
    Money balance,
    Timestamp now,
    ports::Random& random
) {
    OutboxEvent event;
    event.event_id = random.Uuid();
    event.aggregate = "payment:" + std::to_string(payment.id.value);
    event.type = std::string(type);
    event.payload = JsonWriter{}
                        .Field("eventId", event.event_id)
                        .Field("type", type)
                        .Field("occurredAt", FormatRfc3339(now))
                        .Field("paymentId", payment.id.value)
                        .Field("reservationId", payment.reservation_id.value)
                        .Field("userId", payment.user_id.value)
                        .Field("concertId", reservation.concert_id.value)
                        .Field("scheduleId", reservation.schedule_id.value)
                        .Field("amount", payment.amount)
                        .Field("balance", balance)
                        .RawField("tickets", TicketsJson(tickets))
                        .Done();
    event.status = OutboxStatus::kPending;
    event.created_at = now;
    event.next_attempt_at = now;
    return event;
}

std::string PayRequestHash(ReservationId reservation) {
    return "pay|reservation=" + std::to_string(reservation.value);
}

}  // namespace

Result<Receipt> PaymentService::Replay(ports::UnitOfWork& uow, std::string_view stored) {
    const auto payment_id = internal::RecordField(stored, "payment");
    const auto balance = internal::RecordField(stored, "balance");
    if (!payment_id || !balance) return MakeError(Errc::kInternal, "unreadable idempotency record");
    auto payment = internal::RequireFound(uow.FindPayment(PaymentId{*payment_id}), "payment");
    if (!payment) return Forward(payment.error());
    auto tickets = uow.ListTicketsByPayment(payment->id);
    if (!tickets) return Forward(tickets.error());
    // The first response as it was: a later refund does not change what the payment answered.
    payment->status = PaymentStatus::kCompleted;
    for (auto& ticket : *tickets) ticket.status = TicketStatus::kIssued;
    return Receipt{std::move(*payment), std::move(*tickets), *balance, true};
}

Result<Receipt> PaymentService::Pay(
    std::string_view token, ReservationId reservation_id, std::optional<std::string_view> key
) {
    auto view = queue_.Lookup(token);
    if (!view) return Forward(view.error());
    const auto& info = view->info;
    const auto request_hash = PayRequestHash(reservation_id);
    if (info.status == TokenStatus::kRevoked) {
        // The payment this token made may be asked for again: answer a replay, refuse anything else.
        const auto refused = MakeError(Errc::kUnauthenticated, "the queue token was used for a payment; join again");
        if (!key || !ValidateIdempotencyKey(*key)) return refused;
        auto uow = ctx_.db.Begin(ports::TxMode::kRead);
        if (!uow) return Forward(uow.error());
        auto check =
            CheckIdempotency(**uow, info.user_id, *key, request_hash, ctx_.clock.Now(), ctx_.settings.idempotency_ttl);
        if (!check) return Forward(check.error());
        if (!check->replay) return refused;
        return Replay(**uow, *check->replay);
    }
    // Token first (401/403), then the request (400).
    auto grant = queue_.Authorize(*view);  // the view just read: one lookup per payment
    if (!grant) return Forward(grant.error());
    if (key) {
        if (auto valid = ValidateIdempotencyKey(*key); !valid) return Forward(valid.error());
    }

    auto receipt = RunLocked<Receipt>(
        ctx_.locks,
        internal::ReservationLockKeys(reservation_id, {internal::LockKey("user", grant->user_id.value)}),
        [&](ports::UnitOfWork& uow) -> Result<Receipt> {
            const auto now = ctx_.clock.Now();
            IdempotencyCheck check;
            auto reservation = internal::RequireFound(
                uow.FindReservationForUpdate(reservation_id), "reservation " + std::to_string(reservation_id.value)
            );
            if (!reservation) return Forward(reservation.error());
            if (reservation->user_id != grant->user_id || reservation->concert_id != grant->concert_id) {
                return MakeError(Errc::kForbidden, "not your reservation");
            }
            if (key) {
                auto checked =
                    CheckIdempotency(uow, grant->user_id, *key, request_hash, now, ctx_.settings.idempotency_ttl);
                if (!checked) return Forward(checked.error());
                check = std::move(*checked);
                if (check.replay) return Replay(uow, *check.replay);
            }
            switch (reservation->StatusAt(now)) {
                case ReservationStatus::kHeld:
                    break;
                case ReservationStatus::kExpired:
                    return MakeError(
                        Errc::kHoldExpired, "the hold expired at " + FormatRfc3339(reservation->expires_at)
                    );
                case ReservationStatus::kPaid:
                    return MakeError(Errc::kConflict, "the reservation is already paid");
                case ReservationStatus::kCancelled:
                    return MakeError(Errc::kConflict, "the reservation was cancelled");
            }

            // The debit and its ledger row in one conditional write: no balance is read first.
            const LedgerEntry debit{{}, grant->user_id, LedgerType::kPayment, -reservation->amount, 0, now};
            auto entry = uow.ApplyBalanceChange(debit);
            if (!entry) return Forward(entry.error());
            if (!*entry) {
                auto user = internal::RequireFound(uow.FindUser(grant->user_id), "user");
                if (!user) return Forward(user.error());
                if (user->balance >= reservation->amount) {
                    return MakeError(Errc::kAborted, "the balance changed while paying");
                }
                return MakeError(
                    Errc::kInsufficientBalance,
                    "balance " + std::to_string(user->balance) + " is below the amount " +
                        std::to_string(reservation->amount)
                );
            }

            Receipt out;
            out.balance = (*entry)->balance_after;
            out.payment =
                Payment{{}, reservation->id, grant->user_id, reservation->amount, PaymentStatus::kCompleted, now, 0};
            auto payment_id = uow.InsertPayment(out.payment);
            if (!payment_id) return Forward(payment_id.error());
            out.payment.id = *payment_id;

            // One ticket per seat of the hold, at the price it was held at, in seat id order.
            std::vector<SeatId> seat_ids;
            for (const auto& s : reservation->seats) {
                seat_ids.push_back(s.seat_id);
                out.tickets.push_back(Ticket{
                    {},
                    out.payment.id,
                    grant->user_id,
                    reservation->concert_id,
                    reservation->schedule_id,
                    s.seat_id,
                    s.number,
                    s.price,
                    TicketStatus::kIssued,
                    0});
            }
            std::sort(seat_ids.begin(), seat_ids.end());
            std::sort(out.tickets.begin(), out.tickets.end(), [](const Ticket& a, const Ticket& b) {
                return a.seat_id < b.seat_id;
            });
            auto ticket_ids = uow.InsertTickets(out.tickets);
            if (!ticket_ids) return Forward(ticket_ids.error());
            for (std::size_t i = 0; i < out.tickets.size(); ++i) out.tickets[i].id = ticket_ids->at(i);

            // HELD by this hold -> SOLD to it (Seat::SellTo), all in one write. A live hold always holds
            // its seats: fewer means the reservation read is stale (another payment won meanwhile), a
            // lost race to retry.
            const ports::SeatHolding held{SeatStatus::kHeld, reservation->id, reservation->expires_at};
            const ports::SeatHolding sold{SeatStatus::kSold, reservation->id, reservation->expires_at};
            auto changed = uow.TransitionSeats(seat_ids, held, sold);
            if (!changed) return Forward(changed.error());
            if (*changed != static_cast<std::int64_t>(seat_ids.size())) {
                return MakeError(Errc::kAborted, "a seat changed while paying");
            }

            reservation->status = ReservationStatus::kPaid;
            reservation->live_token.clear();
            if (auto updated = uow.UpdateReservation(*reservation); !updated) return Forward(updated.error());

            auto event = PaymentEvent(
                "payment.completed", out.payment, *reservation, out.tickets, out.balance, now, ctx_.random
            );
            if (auto inserted = uow.InsertOutboxEvent(event); !inserted) return Forward(inserted.error());
            if (key) {
                IdempotencyRecord record{
                    grant->user_id,
                    std::string(*key),
                    request_hash,
                    "payment=" + std::to_string(out.payment.id.value) + ";balance=" + std::to_string(out.balance),
                    now};
                if (auto saved = SaveIdempotency(uow, check, record); !saved) return Forward(saved.error());
            }
            return out;
        }
    );
    if (receipt && !receipt->replayed) {
        if (ctx_.metrics != nullptr) ctx_.metrics->OnSeatsSold(static_cast<std::int64_t>(receipt->tickets.size()));
        if (!receipt->tickets.empty()) internal::SeatsChanged(ctx_, receipt->tickets.front().schedule_id);
        // Best effort: the token also lapses by itself, and the paid hold can never be paid again.
        (void)queue_.Revoke(token);
    }
    return receipt;
}

Result<Payment> PaymentService::FindByReservation(ReservationId reservation) {
    auto uow = ctx_.db.Begin(ports::TxMode::kRead);
    if (!uow) return Forward(uow.error());
    return internal::RequireFound(
        (*uow)->FindPaymentByReservation(reservation), "payment of reservation " + std::to_string(reservation.value)
    );
}

Result<RefundResult> PaymentService::Refund(PaymentId payment_id) {
    // A refund writes the payment and its tickets, its user, and the seats of its tickets.
    const LockKeys keys{
        {internal::LockKey("payment", payment_id.value)},
        [payment_id](ports::UnitOfWork& uow) -> Result<std::vector<std::string>> {
            auto payment = uow.FindPayment(payment_id);
            if (!payment) return Forward(payment.error());
            if (!*payment) return std::vector<std::string>{};
            std::vector<std::string> found{internal::LockKey("user", (*payment)->user_id.value)};
            auto tickets = uow.ListTicketsByPayment(payment_id);
            if (!tickets) return Forward(tickets.error());
            for (const auto& t : *tickets) found.push_back(internal::LockKey("seat", t.seat_id.value));
            return found;
        }};
    std::optional<ScheduleId> freed;
    auto refunded = RunLocked<RefundResult>(ctx_.locks, keys, [&](ports::UnitOfWork& uow) -> Result<RefundResult> {
        const auto now = ctx_.clock.Now();
        auto payment =
            internal::RequireFound(uow.FindPaymentForUpdate(payment_id), "payment " + std::to_string(payment_id.value));
        if (!payment) return Forward(payment.error());
        if (payment->status == PaymentStatus::kRefunded) {
            return MakeError(Errc::kConflict, "the payment is already refunded");
        }
        auto user = internal::RequireFound(uow.FindUserForUpdate(payment->user_id), "user");
        if (!user) return Forward(user.error());
        if (user->balance > kMaxBalance - payment->amount) {
            return MakeError(Errc::kBalanceLimitExceeded, "a balance cannot exceed 1000000000000");
        }
        auto reservation = internal::RequireFound(uow.FindReservation(payment->reservation_id), "reservation");
        if (!reservation) return Forward(reservation.error());
        auto tickets = uow.ListTicketsByPayment(payment_id);
        if (!tickets) return Forward(tickets.error());
        freed = reservation->schedule_id;

        std::vector<SeatId> seat_ids;
        for (const auto& t : *tickets) seat_ids.push_back(t.seat_id);
        std::sort(seat_ids.begin(), seat_ids.end());
        auto seats = uow.FindSeatsForUpdate(seat_ids);
        if (!seats) return Forward(seats.error());
        for (auto& seat : *seats) {
            if (!seat.Refund(payment->reservation_id)) continue;
            if (auto updated = uow.UpdateSeat(seat); !updated) return Forward(updated.error());
        }
        for (auto& ticket : *tickets) {
            ticket.status = TicketStatus::kRefunded;
            if (auto updated = uow.UpdateTicket(ticket); !updated) return Forward(updated.error());
        }

        user->balance += payment->amount;
        if (auto updated = uow.UpdateUser(*user); !updated) return Forward(updated.error());
        LedgerEntry entry{{}, user->id, LedgerType::kRefund, payment->amount, user->balance, now};
        if (auto inserted = uow.InsertLedgerEntry(entry); !inserted) return Forward(inserted.error());

        payment->status = PaymentStatus::kRefunded;
        if (auto updated = uow.UpdatePayment(*payment); !updated) return Forward(updated.error());
        ++payment->version;
        auto event =
            PaymentEvent("payment.refunded", *payment, *reservation, *tickets, user->balance, now, ctx_.random);
        if (auto inserted = uow.InsertOutboxEvent(event); !inserted) return Forward(inserted.error());
        return RefundResult{*payment, user->balance};
    });
    if (refunded && freed) internal::SeatsChanged(ctx_, *freed);
    return refunded;
}

}  // namespace ticketing
