#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <ticketing/domain/time.hpp>
#include <ticketing/error.hpp>
#include <vector>

namespace ticketing::ports {

/// A fencing token for one locked resource: it grows with every acquisition of that resource.
struct Fence {
    std::string resource;
    std::uint64_t token{0};
};

/// A held lease on one or more keys. Destroying it releases the keys it still owns (token-checked,
/// never someone else's). Thread-safe.
class Lease {
public:
    virtual ~Lease() = default;
    virtual const std::vector<Fence>& Fences() const = 0;
    /// False once the lease is known lost: its time ran out or a renewal failed.
    virtual bool Held() const = 0;
};

/// A lease lock shared by every process that uses the same backend. Thread-safe.
class DistributedLock {
public:
    virtual ~DistributedLock() = default;
    /// Acquires all `keys` (taken in sorted order, so overlapping callers cannot deadlock) for `ttl`,
    /// waiting at most `wait` with jittered retries. The lease is renewed while held.
    /// `kConflict` when still busy after `wait`; `kUnavailable` when the backend is down.
    virtual Result<std::unique_ptr<Lease>> Acquire(std::vector<std::string> keys, Millis ttl, Millis wait) = 0;
};

}  // namespace ticketing::ports
