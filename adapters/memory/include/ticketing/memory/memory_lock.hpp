#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <ticketing/ports/clock.hpp>
#include <ticketing/ports/distributed_lock.hpp>
#include <ticketing/ports/random.hpp>

namespace ticketing::memory {

/// An in-process lease lock with the Redis lock's semantics: random owner tokens, TTLs on the given
/// clock, token-checked release and per-key fencing tokens of max(last + 1, clock time in µs), so a
/// restarted process never issues a fence the database has already seen. A lease lapses when its TTL
/// passes; it is not renewed (in-process holders do not stall the way a remote one can). Thread-safe.
class MemoryLock final : public ports::DistributedLock {
public:
    MemoryLock(const ports::Clock& clock, ports::Random& random);
    ~MemoryLock() override;

    Result<std::unique_ptr<ports::Lease>> Acquire(std::vector<std::string> keys, Millis ttl, Millis wait) override;

    /// For a retention job: forgets the fence of every key not held whose last fence is older than
    /// `older_than`, and returns how many. Safe because fences derive from the clock: the key's next
    /// fence is still larger than the forgotten one.
    std::int64_t Forget(Millis older_than);

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace ticketing::memory
