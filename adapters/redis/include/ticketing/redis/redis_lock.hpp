#pragma once

#include <memory>
#include <string>
#include <ticketing/ports/distributed_lock.hpp>
#include <ticketing/redis/redis_client.hpp>

namespace ticketing::redis {

struct RedisLockOptions {
    /// Prepended to every key; must not contain '{' or '}'.
    std::string key_prefix;
    /// Extend held leases at ~ttl/3 from one background thread. Off only to simulate a stalled holder.
    bool renew{true};
};

/// The lease lock on Redis: per key `SET P{key} <128-bit random token> NX PX ttl`, every key in one
/// pipelined round trip, all or nothing (a busy key releases those taken, then a jittered retry), and
/// a fencing token per key kept in `P fence:{key}` (same slot): max(last + 1, server time in µs), so it
/// never goes back even if Redis loses the key. Release and renewal compare the token
/// in Lua, so a holder never frees or extends someone else's lease. Lease::Held() is false once the
/// TTL has passed on the steady clock since the last successful (re)acquisition, or a renewal found
/// the key taken by another. Thread-safe; leases may outlive the lock (they are no longer renewed).
class RedisLock final : public ports::DistributedLock {
public:
    explicit RedisLock(std::shared_ptr<RedisClient> client, RedisLockOptions options = {});
    ~RedisLock() override;
    RedisLock(const RedisLock&) = delete;
    RedisLock& operator=(const RedisLock&) = delete;

    Result<std::unique_ptr<ports::Lease>> Acquire(std::vector<std::string> keys, Millis ttl, Millis wait) override;

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace ticketing::redis
