#pragma once

#include <memory>
#include <ticketing/ports/clock.hpp>
#include <ticketing/ports/distributed_lock.hpp>
#include <ticketing/ports/random.hpp>
#include <ticketing/sql/sql_database.hpp>

namespace ticketing::sql {

/// A lease lock in the database itself (table `job_lease`), so the background jobs of several
/// instances sharing one MariaDB (or one SQLite file) without Redis run once. Each acquisition is
/// one short pessimistic transaction over all keys (all or nothing, keys in sorted order); release
/// is token-checked, so a holder whose lease lapsed never frees the next holder's key. Fencing
/// tokens are max(last + 1, clock µs), like the Redis and memory locks, and are stored with the
/// key. Times come from `clock`: instances need synchronised clocks (NTP), as for any TTL lease.
///
/// Like MemoryLock, a lease is not renewed: pick a TTL longer than the guarded job; Held() turns
/// false once it lapses. Thread-safe; the database must outlive the lock and its leases.
class SqlLeaseLock final : public ports::DistributedLock {
public:
    SqlLeaseLock(SqlDatabase& db, const ports::Clock& clock, ports::Random& random);
    ~SqlLeaseLock() override;

    /// CONFLICT when a key is still held after `wait`; UNAVAILABLE when the database is down.
    Result<std::unique_ptr<ports::Lease>> Acquire(std::vector<std::string> keys, Millis ttl, Millis wait) override;

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace ticketing::sql
