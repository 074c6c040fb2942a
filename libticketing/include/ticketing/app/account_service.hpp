#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <ticketing/app/context.hpp>

namespace ticketing {

struct ChargeResult {
    UserId user_id;
    Money balance{0};  ///< right after this charge
    bool replayed{false};
};

inline constexpr std::size_t kMaxUserNameLength = 100;
inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

/// Users, balances, the ledger and users' tickets. Thread-safe.
class AccountService {
public:
    explicit AccountService(const Context& ctx) : ctx_(ctx) {}

    Result<User> CreateUser(std::string_view name);
    Result<User> GetUser(UserId id);
    /// Adds 1..10 000 000 to the balance with a CHARGE ledger row, in one transaction.
    /// With an idempotency key: the same request replays the first result, another is 422.
    Result<ChargeResult> Charge(UserId user, Money amount, std::optional<std::string_view> idempotency_key);
    /// Newest first.
    Result<Page<LedgerEntry>> History(UserId user, PageQuery page);
    Result<Page<Ticket>> Tickets(UserId user, PageQuery page);

private:
    Context ctx_;
};

/// Idempotency-Key handling shared by the use cases that take one: inside the caller's transaction,
/// after the user's row is locked. Returns the stored response for a replay, nullopt for a new request.
Result<std::optional<std::string>> CheckIdempotency(
    ports::UnitOfWork& uow, UserId user, std::string_view key, std::string_view request_hash, Timestamp now, Millis ttl
);

/// INVALID_ARGUMENT for an empty or over-long key.
Result<void> ValidateIdempotencyKey(std::string_view key);

}  // namespace ticketing
