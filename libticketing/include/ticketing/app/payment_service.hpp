#pragma once

#include <optional>
#include <string_view>
#include <ticketing/app/context.hpp>
#include <ticketing/app/queue_service.hpp>
#include <vector>

namespace ticketing {

struct Receipt {
    Payment payment;
    std::vector<Ticket> tickets;
    Money balance{0};  ///< right after the payment
    bool replayed{false};
};

struct RefundResult {
    Payment payment;
    Money balance{0};
};

/// Payments and refunds. Thread-safe.
class PaymentService {
public:
    PaymentService(const Context& ctx, QueueService& queue) : ctx_(ctx), queue_(queue) {}

    /// Pays a live hold in one transaction (debit, ledger row, tickets, seats SOLD, outbox event),
    /// then revokes the token. Charges once however often it is called; with an idempotency key a
    /// replay returns the first receipt, even after the token was revoked.
    Result<Receipt> Pay(
        std::string_view token, ReservationId reservation, std::optional<std::string_view> idempotency_key
    );
    /// Cancels the tickets, frees the seats and credits the balance, in one transaction.
    Result<RefundResult> Refund(PaymentId payment);
    /// The payment of a reservation (what a refund needs); NOT_FOUND when it was never paid.
    Result<Payment> FindByReservation(ReservationId reservation);

private:
    Result<Receipt> Replay(ports::UnitOfWork& uow, std::string_view stored_response);

    Context ctx_;
    QueueService& queue_;
};

}  // namespace ticketing
