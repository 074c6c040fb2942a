#pragma once

#include <functional>
#include <initializer_list>
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

/// Every aggregate a unit of work writes, named as a key ("seat:12", "user:7", "reservation:3"): those
/// known before it runs, and those only the database can tell (the seats of a reservation), which
/// `read` returns. Only a strategy that locks by key calls `read`: before it locks, and again inside
/// the locked unit of work, where a key the lock does not cover is a lost race (retried).
struct LockKeys {
    using Reader = std::function<Result<std::vector<std::string>>(ports::UnitOfWork&)>;

    LockKeys(std::initializer_list<std::string> known_keys) : known(known_keys) {}
    LockKeys(std::vector<std::string> known_keys, Reader read_keys, bool read_rarely_adds = false)
        : known(std::move(known_keys)), read(std::move(read_keys)), read_after_lock(read_rarely_adds) {}

    std::vector<std::string> known;
    Reader read;  ///< optional
    /// `read` seldom finds a key beyond `known` (a token's lapsed hold): a lease strategy locks `known`
    /// and reads only under it; when that finds more, it reads first and locks again at once.
    bool read_after_lock{false};
};

/// How a read-modify-write unit of work is protected. The business code is written once as `Work`;
/// the strategy decides what guards it:
/// - optimistic: no locks; versioned writes detect a lost race and the whole work is retried;
/// - pessimistic: the work's `*ForUpdate` reads lock their rows until commit;
/// - redis: a lease on every key (sorted), and each key's fencing token checked by the same
///   transaction; the work never writes a row outside its lease, so contended work is serialised.
/// Thread-safe.
class LockStrategy {
public:
    using Work = std::function<Result<void>(ports::UnitOfWork&)>;

    virtual ~LockStrategy() = default;
    virtual LockStrategyKind Kind() const = 0;

    /// Runs `work` and commits. `keys` name every aggregate the work writes.
    /// A lost race is retried with jittered backoff up to `max_attempts`, then `kConflict`.
    /// Any other error from `work` rolls back and is returned as is.
    virtual Result<void> Run(const LockKeys& keys, const Work& work) = 0;
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
Result<T> RunLocked(LockStrategy& strategy, const LockKeys& keys, F&& work) {
    std::optional<T> out;
    auto done = strategy.Run(keys, [&](ports::UnitOfWork& uow) -> Result<void> {
        auto value = work(uow);
        if (!value) return Forward(value.error());
        out = std::move(*value);
        return {};
    });
    if (!done) return Forward(done.error());
    return std::move(*out);
}

}  // namespace ticketing
