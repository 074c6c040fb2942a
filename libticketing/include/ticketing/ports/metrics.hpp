#pragma once

#include <cstddef>
#include <cstdint>
#include <ticketing/domain/lock_strategy_kind.hpp>

namespace ticketing::ports {

/// What a lock strategy counts, per unit of work it runs.
enum class LockEvent : std::uint8_t {
    kAttempt,          ///< every try of a unit of work, first or retried
    kVersionConflict,  ///< a try that lost a race: version check, unique key, stale fence, lapsed lease
    kRetry,            ///< a try after a lost race
    kLockWait,         ///< a lease busy on the first try, then waited for (redis strategy only: row-lock
                       ///< waits happen inside the database and are not seen)
    kConflictGivenUp,  ///< CONFLICT returned by the strategy: lost races past max_attempts, or a lease
                       ///< still busy after lease_wait
};

inline constexpr std::size_t kLockEventCount = 5;

/// Counters the core reports to. Optional (Backends::metrics); implementations must be thread-safe
/// and cheap, as they are called on every unit of work.
class Metrics {
public:
    virtual ~Metrics() = default;
    virtual void OnLock(LockStrategyKind strategy, LockEvent event) = 0;
    /// After a payment commits: the number of seats it sold.
    virtual void OnSeatsSold(std::int64_t seats) = 0;
};

}  // namespace ticketing::ports
