#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <ticketing/app/context.hpp>
#include <ticketing/domain/queue.hpp>
#include <ticketing/group_commit.hpp>
#include <vector>

namespace ticketing {

namespace internal {
class KnownIds;
}

struct QueuePosition {
    TokenInfo info;
    std::int64_t estimated_wait_seconds{0};  ///< 0 once ACTIVE
    bool paused{false};                      ///< the operator paused admissions to this concert
};

struct QueueJoin {
    ConcertId concert;
    UserId user;
};

struct JoinResult {
    QueuePosition position;
    bool created{false};
};

/// What an ACTIVE token proves: this user may act on this concert until `active_until`.
struct Grant {
    std::string token;
    UserId user_id;
    ConcertId concert_id;
    Timestamp active_until;
};

/// The waiting room. Thread-safe.
class QueueService {
public:
    explicit QueueService(const Context& ctx);
    ~QueueService();
    QueueService(const QueueService&) = delete;
    QueueService& operator=(const QueueService&) = delete;

    /// Idempotent per user and concert. NOT_FOUND for an unknown user or concert.
    Result<JoinResult> Join(ConcertId concert, UserId user);
    /// `Join` of several users: the unknown users looked up in one read, the joins sent to the store
    /// together (one round trip on a shared store). One result per join, in order.
    std::vector<Result<JoinResult>> JoinMany(std::span<const QueueJoin> joins);
    /// UNAUTHENTICATED for a malformed, unknown, expired or revoked token.
    Result<QueuePosition> Status(std::string_view token);
    /// `Status` of several tokens, looked up together (one round trip on a shared store).
    std::vector<Result<QueuePosition>> StatusMany(std::span<const std::string_view> tokens);
    Result<void> Leave(std::string_view token);
    /// The gate of every token route: UNAUTHENTICATED, or NOT_ADMITTED while WAITING.
    Result<Grant> Authorize(std::string_view token);
    /// `Authorize` for each token, in one queue-store round trip.
    std::vector<Result<Grant>> AuthorizeMany(std::span<const std::string_view> tokens);
    /// `Authorize` for a token already looked up.
    Result<Grant> Authorize(const TokenView& view) const;
    /// Ends the token after payment.
    Result<void> Revoke(std::string_view token);
    /// The token as the store has it, REVOKED included. UNAUTHENTICATED when malformed or unknown.
    Result<TokenView> Lookup(std::string_view token);

    /// One admission tick for a concert, then idle WAITING tokens are dropped.
    Result<TickOutcome> Tick(ConcertId concert);
    /// `Tick` for every concert with a queue; returns how many users were admitted.
    Result<std::int64_t> TickAll();

    Result<QueueStats> Stats(ConcertId concert);
    /// INVALID_ARGUMENT for a negative limit or an interval under one second.
    Result<QueueSettings> UpdateSettings(ConcertId concert, const QueueSettingsPatch& patch);

private:
    QueuePosition ToPosition(const TokenView& view) const;
    /// Whether the user exists: known, or looked up together with the other joins crowding in.
    Result<bool> UserExists(UserId user);
    /// Reads which of `users` exist; those that do become known.
    Result<std::vector<UserId>> FindUsers(std::span<const UserId> users);
    /// NOT_FOUND for an unknown concert (read from memory once found).
    Result<void> RequireConcert(ConcertId concert);
    /// The store's answer for a token: UNAUTHENTICATED when malformed or unknown.
    static Result<TokenView> Found(std::string_view token, Result<std::optional<TokenView>> view);
    /// UNAUTHENTICATED for a revoked token.
    Result<QueuePosition> Position(const TokenView& view) const;

    Context ctx_;
    // Users are never deleted: one that was found once needs no lookup on the next join.
    std::unique_ptr<internal::KnownIds> known_users_;
    struct UserCheck {
        UserId user;
        Result<bool> exists;
    };
    GroupCommit<UserCheck> user_checks_{2};
};

}  // namespace ticketing
