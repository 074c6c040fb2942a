#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>
#include <ticketing/app/lock_strategy.hpp>

namespace ticketing {
namespace {

// The retry loop all strategies share: a lost race (kAborted) reruns the whole unit of work after a
// jittered exponential backoff, so two losers do not collide again in step.
class RetryingStrategy : public LockStrategy {
public:
    RetryingStrategy(
        const LockSettings& settings, ports::UnitOfWorkFactory& db, ports::Random& random, ports::Metrics* metrics
    )
        : settings_(settings), db_(db), random_(random), metrics_(metrics) {}

    LockStrategyKind Kind() const override { return settings_.kind; }

    Result<void> Run(const LockKeys& keys, const Work& work) final {
        Error last{Errc::kAborted, "not attempted"};
        for (std::int32_t attempt = 0; attempt < settings_.max_attempts; ++attempt) {
            if (attempt > 0) {
                Count(ports::LockEvent::kRetry);
                Backoff(attempt);
            }
            Count(ports::LockEvent::kAttempt);
            auto done = Attempt(keys, work);
            if (done || done.error().code != Errc::kAborted) return done;
            Count(ports::LockEvent::kVersionConflict);
            last = done.error();
        }
        Count(ports::LockEvent::kConflictGivenUp);
        return MakeError(
            Errc::kConflict, "gave up after " + std::to_string(settings_.max_attempts) + " attempts: " + last.message
        );
    }

protected:
    virtual Result<void> Attempt(const LockKeys& keys, const Work& work) = 0;

    void Count(ports::LockEvent event) {
        if (metrics_ != nullptr) metrics_->OnLock(settings_.kind, event);
    }

    Result<void> RunInTransaction(ports::TxMode mode, const Work& work, const ports::Lease* lease) {
        auto uow = db_.Begin(mode);
        if (!uow) return Forward(uow.error());
        if (lease != nullptr) {
            if (auto fenced = (*uow)->AdvanceFences(lease->Fences()); !fenced) return fenced;
        }
        if (auto done = work(**uow); !done) return done;
        if (lease != nullptr && !lease->Held()) {
            return MakeError(Errc::kAborted, "the lease lapsed before commit");
        }
        return (*uow)->Commit();
    }

    const LockSettings& Settings() const { return settings_; }
    ports::UnitOfWorkFactory& Db() { return db_; }

private:
    void Backoff(std::int32_t attempt) {
        const auto cap = std::min<std::int64_t>(
            settings_.backoff_max.count(), settings_.backoff_base.count() << std::min(attempt, 20)
        );
        const auto micros = random_.Below(static_cast<std::uint64_t>(cap) * 1000 + 1);
        std::this_thread::sleep_for(std::chrono::microseconds(micros));
    }

    LockSettings settings_;
    ports::UnitOfWorkFactory& db_;
    ports::Random& random_;
    ports::Metrics* metrics_;
};

// Optimistic and pessimistic differ only in the unit of work they begin: no row locks, or row locks.
class TransactionStrategy final : public RetryingStrategy {
public:
    TransactionStrategy(
        const LockSettings& settings,
        ports::UnitOfWorkFactory& db,
        ports::Random& random,
        ports::Metrics* metrics,
        ports::TxMode mode
    )
        : RetryingStrategy(settings, db, random, metrics), mode_(mode) {}

protected:
    Result<void> Attempt(const LockKeys&, const Work& work) override { return RunInTransaction(mode_, work, nullptr); }

private:
    ports::TxMode mode_;
};

class LeaseStrategy final : public RetryingStrategy {
public:
    LeaseStrategy(
        const LockSettings& settings,
        ports::UnitOfWorkFactory& db,
        ports::DistributedLock& lock,
        ports::Random& random,
        ports::Metrics* metrics
    )
        : RetryingStrategy(settings, db, random, metrics), lock_(lock) {}

protected:
    Result<void> Attempt(const LockKeys& keys, const Work& work) override {
        if (keys.read && keys.read_after_lock) {
            bool more = false;
            auto done = Leased(keys, SortedUnique(keys.known), work, &more);
            // Found a key beyond the known ones: not a lost race; read first and go again at once.
            if (!more) return done;
        }
        Result<std::vector<std::string>> named = SortedUnique(keys.known);
        if (keys.read) {
            // Read before the lease, in a transaction of its own that is not held while waiting.
            auto uow = Db().Begin(ports::TxMode::kRead);
            if (!uow) return Forward(uow.error());
            named = Resolve(keys, **uow);
            if (!named) return Forward(named.error());
        }
        return Leased(keys, *named, work, nullptr);
    }

private:
    // Runs `work` under a lease on `named`; when `keys` has a reader, the keys it finds under the lease
    // must be among them (`more` is then set when they are not).
    Result<void> Leased(const LockKeys& keys, const std::vector<std::string>& named, const Work& work, bool* more) {
        std::vector<std::string> lock_keys;
        lock_keys.reserve(named.size());
        for (const auto& key : named) lock_keys.push_back("lock:" + key);
        // One try first, so that a lease busy elsewhere is counted as a wait.
        auto lease = lock_.Acquire(lock_keys, Settings().lease_ttl, Millis{0});
        if (!lease && lease.error().code == Errc::kConflict) {
            Count(ports::LockEvent::kLockWait);
            lease = lock_.Acquire(std::move(lock_keys), Settings().lease_ttl, Settings().lease_wait);
            if (!lease && lease.error().code == Errc::kConflict) Count(ports::LockEvent::kConflictGivenUp);
        }
        if (!lease) return Forward(lease.error());
        if (!keys.read) return RunInTransaction(ports::TxMode::kOptimistic, work, lease->get());
        // What was read may have changed before the lease was taken: the lease must still cover all of
        // it (fewer rows, e.g. a hold tidied meanwhile, need no retry).
        const Work checked = [&](ports::UnitOfWork& uow) -> Result<void> {
            auto now = Resolve(keys, uow);
            if (!now) return Forward(now.error());
            if (!std::includes(named.begin(), named.end(), now->begin(), now->end())) {
                if (more != nullptr) *more = true;
                return MakeError(Errc::kAborted, "the rows to lock changed before the lease was taken");
            }
            return work(uow);
        };
        return RunInTransaction(ports::TxMode::kOptimistic, checked, lease->get());
    }

    static std::vector<std::string> SortedUnique(std::vector<std::string> keys) {
        std::sort(keys.begin(), keys.end());
        keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
        return keys;
    }

    // The known keys and those read in `uow`.
    static Result<std::vector<std::string>> Resolve(const LockKeys& keys, ports::UnitOfWork& uow) {
        auto read = keys.read(uow);
        if (!read) return Forward(read.error());
        read->insert(read->end(), keys.known.begin(), keys.known.end());
        return SortedUnique(std::move(*read));
    }

    ports::DistributedLock& lock_;
};

}  // namespace

std::unique_ptr<LockStrategy> MakeLockStrategy(
    const LockSettings& settings,
    ports::UnitOfWorkFactory& db,
    ports::DistributedLock* lock,
    ports::Random& random,
    ports::Metrics* metrics
) {
    switch (settings.kind) {
        case LockStrategyKind::kOptimistic:
            return std::make_unique<TransactionStrategy>(settings, db, random, metrics, ports::TxMode::kOptimistic);
        case LockStrategyKind::kPessimistic:
            return std::make_unique<TransactionStrategy>(settings, db, random, metrics, ports::TxMode::kPessimistic);
        case LockStrategyKind::kRedis:
            if (lock == nullptr) throw std::invalid_argument("the redis lock strategy needs a DistributedLock");
            return std::make_unique<LeaseStrategy>(settings, db, *lock, random, metrics);
    }
    throw std::invalid_argument("unknown lock strategy");
}

}  // namespace ticketing
