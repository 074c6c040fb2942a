#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <ticketing/app/settings.hpp>
#include <ticketing/error.hpp>
#include <ticketing/ports/distributed_lock.hpp>
#include <ticketing/ports/metrics.hpp>
#include <ticketing/ports/random.hpp>
#include <ticketing/ports/unit_of_work.hpp>
#include <vector>

namespace ticketing {

/// How a read-modify-write unit of work is protected. The business code is written once as `Work`;
/// the strategy decides what guards it:
/// - optimistic: no locks; versioned writes detect a lost race and the whole work is retried;
/// - pessimistic: the work's `*ForUpdate` reads lock their rows until commit;
/// - redis: a lease on `keys` (sorted), and each key's fencing token checked by the same transaction.
/// Thread-safe.
class LockStrategy {
public:
    using Work = std::function<Result<void>(ports::UnitOfWork&)>;

    virtual ~LockStrategy() = default;
    virtual LockStrategyKind Kind() const = 0;

    /// Runs `work` and commits. `keys` name the aggregates the work writes ("seat:12", "user:7").
    /// A lost race is retried with jittered backoff up to `max_attempts`, then `kConflict`.
    /// Any other error from `work` rolls back and is returned as is.
    virtual Result<void> Run(std::vector<std::string> keys, const Work& work) = 0;
};

/// The only place that chooses a strategy. `lock` is required for `kRedis`; `metrics` is optional and
/// counts every attempt, lost race, retry, lease wait and CONFLICT given up (see ports::LockEvent).
std::unique_ptr<LockStrategy> MakeLockStrategy(
    const LockSettings& settings,
    ports::UnitOfWorkFactory& db,
    ports::DistributedLock* lock,
    ports::Random& random,
    ports::Metrics* metrics = nullptr
);

/// `LockStrategy::Run` for work that produces a value.
template <class T, class F>
Result<T> RunLocked(LockStrategy& strategy, std::vector<std::string> keys, F&& work) {
    std::optional<T> out;
    auto done = strategy.Run(std::move(keys), [&](ports::UnitOfWork& uow) -> Result<void> {
        auto value = work(uow);
        if (!value) return Forward(value.error());
        out = std::move(*value);
        return {};
    });
    if (!done) return Forward(done.error());
    return std::move(*out);
}

}  // namespace ticketing
