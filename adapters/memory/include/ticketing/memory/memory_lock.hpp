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
/// clock, token-checked release and per-key fencing tokens, max(last + 1, clock in µs) like Redis's. A lease lapses
/// when its TTL passes; it is not renewed (in-process holders do not stall the way a remote one can). Thread-safe.
class MemoryLock final : public ports::DistributedLock {
public:
    MemoryLock(const ports::Clock& clock, ports::Random& random);
    ~MemoryLock() override;

    Result<std::unique_ptr<ports::Lease>> Acquire(std::vector<std::string> keys, Millis ttl, Millis wait) override;

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace ticketing::memory
