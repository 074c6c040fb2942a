#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <ticketing/runtime/config.hpp>
#include <ticketing/ticketing.hpp>
#include <vector>

namespace ticketing::runtime {

/// One backend's answer to a readiness probe.
struct Probe {
    std::string backend;  ///< "database", "redis"
    bool ok{false};
    std::string message;  ///< why it is down, or what was found; never a password
};

/// The database schema: the version applied and the newest one this build knows.
struct SchemaInfo {
    std::string dialect;  ///< "sqlite" or "mysql"
    int version{0};
    int latest{0};
};

/// Reaches every backend `config` names, each on its own, without migrating or changing anything:
/// what an operator's `doctor` needs when the runtime itself cannot open. Blocking.
std::vector<Probe> ProbeBackends(const Config& config);

/// Lock-strategy counters since start, for one strategy.
struct LockCounters {
    std::int64_t attempts{0};
    std::int64_t version_conflicts{0};
    std::int64_t retries{0};
    std::int64_t lock_waits{0};
    std::int64_t conflicts{0};  ///< CONFLICTs given up
};

/// Counters of this process since start.
struct Counters {
    std::array<LockCounters, kLockStrategyKindCount> locks;  ///< indexed by LockStrategyKind
    std::int64_t seats_sold{0};
};

/// Values read from the backends: the same from every instance.
struct Gauges {
    std::int64_t holds_active{0};
    OutboxStats outbox;
    std::vector<std::pair<ConcertId, QueueStats>> queues;
};

/// Runs of one background job in this process.
struct JobStatus {
    /// "admission", "hold_expiry", "outbox_relay", "sales_consumer" (with Kafka), "retention"
    std::string name;
    std::int64_t runs{0};     ///< runs that did the work (held the lease)
    std::int64_t skipped{0};  ///< runs that found another instance holding the lease
    std::int64_t failures{0};
    std::int64_t items{0};  ///< users admitted, holds expired, events relayed, rows deleted
    std::string last_error;
};

/// The composition root: owns the backends the configuration names and one Ticketing over them,
/// plus the background jobs. The server, the CLI and embedding services all start here. Thread-safe.
class Runtime {
public:
    /// Opens (and migrates) the database, connects Redis when configured, validates settings.
    /// Jobs are not started. UNAVAILABLE when a backend cannot be reached, INVALID_ARGUMENT for a
    /// configuration the backends refuse.
    static Result<std::unique_ptr<Runtime>> Open(Config config);
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    Ticketing& App();
    const Config& GetConfig() const;
    const ports::Clock& Clock() const;

    /// The schema the database is at (Open has migrated it).
    Result<SchemaInfo> Schema();
    /// Where the outbox relay job publishes, for a relay run by hand: Kafka when configured, else the
    /// event log followed by the sales projection.
    ports::EventSink& Sink();

    /// Every configured backend, reached now. Blocking (bounded by the backends' timeouts).
    std::vector<Probe> CheckReadiness();
    Counters ReadCounters() const;
    /// Blocking: reads the database and the queue store.
    Result<Gauges> ReadGauges();

    /// Seeds a demo concert (reservation open now, schedules of 50 seats) and users with balance,
    /// only when the database has no concert yet. Returns whether it seeded.
    Result<bool> SeedDemo();

    /// Starts the background jobs (admission, hold expiry, outbox relay, the sales consumer when Kafka
    /// is configured, retention) on their own threads; each run is guarded by a lease so that N
    /// instances do the work once, but the sales consumer, which the consumer group shares out.
    void StartJobs();
    /// Stops them, waiting for a run in progress. Idempotent; the destructor calls it.
    void StopJobs();
    std::vector<JobStatus> Jobs() const;

    struct State;

private:
    explicit Runtime(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace ticketing::runtime
