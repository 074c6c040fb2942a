#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <ticketing/domain/ids.hpp>
#include <ticketing/domain/time.hpp>

namespace ticketing {

/// Per-concert admission settings; operators change them live.
struct QueueSettings {
    std::int64_t max_active{300};
    std::int64_t admit_per_tick{50};
    Seconds tick_interval{60};
    bool paused{false};

    friend bool operator==(const QueueSettings&, const QueueSettings&) = default;
};

/// A partial update of QueueSettings: unset fields keep their value.
struct QueueSettingsPatch {
    std::optional<std::int64_t> max_active;
    std::optional<std::int64_t> admit_per_tick;
    std::optional<Seconds> tick_interval;
    std::optional<bool> paused;
};

enum class TokenStatus : std::uint8_t {
    kWaiting,
    kActive,
    /// Given up by payment: grants nothing, but still names its user so a payment replay can be answered.
    kRevoked,
};

std::string_view ToString(TokenStatus s);

/// What the queue store knows of one token.
struct TokenInfo {
    std::string token;
    ConcertId concert_id;
    UserId user_id;
    TokenStatus status{TokenStatus::kWaiting};
    std::int64_t position{0};  ///< 1-based while WAITING, 0 otherwise
    Timestamp active_until;    ///< while ACTIVE
};

/// A token lookup with what an ETA needs, read in one step.
struct TokenView {
    TokenInfo info;
    QueueSettings settings;
    Timestamp next_tick_at;
};

struct JoinOutcome {
    TokenView view;
    bool created{false};
};

struct TickOutcome {
    bool ran{false};  ///< false when the interval has not elapsed (another instance ticked)
    std::int64_t admitted{0};
    std::int64_t expired{0};
};

struct QueueStats {
    std::int64_t waiting{0};
    std::int64_t active{0};
    std::int64_t admitted_total{0};
    QueueSettings settings;
    Timestamp next_tick_at;
};

/// Seconds until `position` is admitted, given the admission rate and the next tick.
std::int64_t EstimateWaitSeconds(
    std::int64_t position, const QueueSettings& settings, Timestamp next_tick_at, Timestamp now
);

}  // namespace ticketing

namespace ticketing {

/// Tokens are "<concert id>.<32 hex digits>": 128 random bits, bound to one concert, so a store can
/// find the concert's keys from the token alone. Opaque to clients.
std::string MakeQueueToken(ConcertId concert, std::string_view random_hex);
/// The concert a well-formed token belongs to; nullopt when malformed.
std::optional<ConcertId> QueueTokenConcert(std::string_view token);

}  // namespace ticketing
