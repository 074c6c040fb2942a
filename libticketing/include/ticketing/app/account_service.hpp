#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <ticketing/app/context.hpp>
#include <vector>

namespace ticketing {

struct ChargeResult {
    UserId user_id;
    Money balance{0};  ///< right after this charge
    bool replayed{false};
};

/// One request of AccountService::ChargeMany.
struct ChargeRequest {
    UserId user;
    Money amount{0};
    std::optional<std::string_view> idempotency_key;
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
    /// `Charge` for each request, decided together in one unit of work (one read of the users, one
    /// write of their balances, one insert of the ledger rows) and each answered on its own, in the
    /// order given: two charges of one user add up. One answer per request, in order.
    std::vector<Result<ChargeResult>> ChargeMany(std::span<const ChargeRequest> requests);
    /// Newest first.
    Result<Page<LedgerEntry>> History(UserId user, PageQuery page);
    Result<Page<Ticket>> Tickets(UserId user, PageQuery page);

private:
    Context ctx_;
};

/// What an Idempotency-Key found for a request. Read inside the caller's transaction, after the
/// user's row is locked, so concurrent requests with one key are serialized.
struct IdempotencyCheck {
    std::optional<std::string> replay;  ///< the stored response: the same request came first
    bool lapsed{false};                 ///< a record past its time is in the way; SaveIdempotency replaces it
};

/// IDEMPOTENCY_KEY_REUSED when the key was used for another request. Reads only.
Result<IdempotencyCheck> CheckIdempotency(
    ports::UnitOfWork& uow, UserId user, std::string_view key, std::string_view request_hash, Timestamp now, Millis ttl
);

/// Stores `record` for a request `check` found new, in the caller's transaction.
Result<void> SaveIdempotency(ports::UnitOfWork& uow, const IdempotencyCheck& check, const IdempotencyRecord& record);

/// INVALID_ARGUMENT for an empty or over-long key.
Result<void> ValidateIdempotencyKey(std::string_view key);

}  // namespace ticketing
