#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <ticketing/domain/queue.hpp>
#include <ticketing/error.hpp>
#include <vector>

namespace ticketing::ports {

/// The waiting queues, one per concert. Every method is atomic with respect to every other caller,
/// in this process and in others sharing the store. Thread-safe. Backend failures are `kUnavailable`.
///
/// Settings are stored only once an operator changes them: `defaults` fill in the rest.
class QueueStore {
public:
    virtual ~QueueStore() = default;

    /// Adds the user to the concert's queue with `candidate_token`, or returns the user's live token
    /// (WAITING or ACTIVE) when there is one. Positions follow join order strictly.
    virtual Result<JoinOutcome> Join(
        ConcertId concert, UserId user, const std::string& candidate_token, Timestamp now, const QueueSettings& defaults
    ) = 0;

    struct JoinCall {
        ConcertId concert;
        UserId user;
        std::string candidate_token;
    };
    /// `Join` of several users (of any concerts) in one round trip where the store can: the joins of a
    /// crowd answered together. One result per call, in order; calls are applied in order.
    virtual std::vector<Result<JoinOutcome>> JoinMany(
        std::span<const JoinCall> calls, Timestamp now, const QueueSettings& defaults
    ) = 0;

    /// The token's state, or nullopt when unknown, left, dropped or expired. A WAITING token's idle
    /// timer restarts (polling is the heartbeat).
    virtual Result<std::optional<TokenView>> Lookup(
        std::string_view token, Timestamp now, const QueueSettings& defaults
    ) = 0;
    /// `Lookup` of several tokens (of any concerts) in one round trip where the store can: the status
    /// polls of many waiting users answered together. One result per token, in order.
    virtual std::vector<Result<std::optional<TokenView>>> LookupMany(
        std::span<const std::string_view> tokens, Timestamp now, const QueueSettings& defaults
    ) = 0;

    /// Removes the token wherever it is. Idempotent.
    virtual Result<void> Leave(std::string_view token) = 0;

    /// Ends an ACTIVE token (payment done); it stays visible as REVOKED until `keep_until`.
    virtual Result<void> Revoke(std::string_view token, Timestamp keep_until) = 0;

    /// One admission tick, run only if the concert's interval has elapsed: drops ACTIVE tokens past their
    /// time, then moves min(admit_per_tick, max_active - active) WAITING users to ACTIVE until
    /// `now + active_ttl` (none while paused).
    virtual Result<TickOutcome> Tick(
        ConcertId concert, Timestamp now, Millis active_ttl, const QueueSettings& defaults
    ) = 0;

    /// Drops WAITING tokens not polled since `idle_before`. Returns how many.
    virtual Result<std::int64_t> DropIdle(ConcertId concert, Timestamp idle_before) = 0;

    virtual Result<QueueStats> Stats(ConcertId concert, Timestamp now, const QueueSettings& defaults) = 0;

    /// Applies the patch; the next tick comes no later than the (new) interval from now.
    virtual Result<QueueSettings> UpdateSettings(
        ConcertId concert, const QueueSettingsPatch& patch, Timestamp now, const QueueSettings& defaults
    ) = 0;

    /// Concerts that have a queue.
    virtual Result<std::vector<ConcertId>> Concerts() = 0;
};

}  // namespace ticketing::ports
