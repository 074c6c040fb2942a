#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <ticketing/app/system.hpp>
#include <ticketing/kafka/kafka_consumer.hpp>
#include <ticketing/kafka/kafka_event_sink.hpp>
#include <ticketing/memory/memory_catalog_cache.hpp>
#include <ticketing/memory/memory_lock.hpp>
#include <ticketing/memory/memory_queue_store.hpp>
#include <ticketing/redis/redis_catalog_cache.hpp>
#include <ticketing/redis/redis_client.hpp>
#include <ticketing/redis/redis_lock.hpp>
#include <ticketing/redis/redis_queue_store.hpp>
#include <ticketing/runtime/runtime.hpp>
#include <ticketing/sql/sql_database.hpp>
#include <ticketing/sql/sql_lease_lock.hpp>

#include "log_event_sink.hpp"
#include "projecting_sink.hpp"

namespace ticketing::runtime {
namespace {

/// A background job: every `interval` it tries to take the job's lease and, holding it, runs `work`.
/// The lease is kept (and renewed by the lock) between runs, so one instance does the work while the
/// others skip; a stopped instance releases it, a crashed one loses it when its TTL passes. Without
/// a lock (`lock` null) every instance runs it: work that shares itself out (a consumer group).
class Job {
public:
    using Work = std::function<Result<std::int64_t>()>;  ///< returns the items it processed

    Job(std::string name, Millis interval, ports::DistributedLock* lock, Millis lease_ttl, Work work)
        : name_(std::move(name)), interval_(interval), lock_(lock), lease_ttl_(lease_ttl), work_(std::move(work)) {
        status_.name = name_;
    }
    ~Job() { Stop(); }

    void Start() {
        std::lock_guard lock(mutex_);
        if (thread_.joinable()) return;
        stopping_ = false;
        thread_ = std::thread([this] { Loop(); });
    }

    void Stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    JobStatus Status() const {
        std::lock_guard lock(mutex_);
        return status_;
    }

private:
    void Loop() {
        std::unique_ptr<ports::Lease> lease;
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            RunOnce(lease);
            lock.lock();
            wake_.wait_for(lock, interval_, [this] { return stopping_; });
        }
        lock.unlock();
        lease.reset();  // released at once, so another instance takes the job over without waiting
    }

    void RunOnce(std::unique_ptr<ports::Lease>& lease) {
        if (lock_ != nullptr && (!lease || !lease->Held())) {
            lease.reset();
            auto acquired = lock_->Acquire({"job:" + name_}, lease_ttl_, Millis{0});
            if (!acquired) {
                std::lock_guard lock(mutex_);
                if (acquired.error().code == Errc::kConflict) {
                    ++status_.skipped;
                } else {
                    ++status_.failures;
                    status_.last_error = acquired.error().message;
                }
                return;
            }
            lease = std::move(*acquired);
        }
        auto done = work_();
        std::lock_guard lock(mutex_);
        ++status_.runs;
        if (done) {
            status_.items += *done;
        } else {
            ++status_.failures;
            status_.last_error = done.error().message;
        }
    }

    const std::string name_;
    const Millis interval_;
    ports::DistributedLock* lock_;
    const Millis lease_ttl_;
    const Work work_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_{false};
    JobStatus status_;
    std::thread thread_;
};

std::filesystem::path EmbeddedDatabase(const std::string& data_dir) {
    return std::filesystem::path(data_dir) / "ticketing.db";
}

std::string DatabaseUrl(const Config& c) {
    return c.database.empty() ? "sqlite://" + std::filesystem::absolute(EmbeddedDatabase(c.data_dir)).string()
                              : c.database;
}

/// A probe from what reaching the backend gave: a detail when up, the reason when down.
Probe MakeProbe(std::string backend, const Result<std::string>& reached) {
    return {
        .backend = std::move(backend),
        .ok = reached.has_value(),
        .message = reached ? *reached : reached.error().message};
}

Probe PingRedis(redis::RedisClient& client) {
    auto ping = client.Ping();
    return MakeProbe("redis", ping ? Result<std::string>() : tl::unexpected(ping.error()));
}

/// Holds expired per run of the expiry job, and in one database round trip of the relay.
constexpr std::int64_t kExpiryBatch = 500;
/// Messages the sales consumer handles per poll, and how long a poll waits for the first.
constexpr std::int64_t kConsumeBatch = 500;
constexpr Millis kConsumeWait{200};

kafka::KafkaOptions KafkaOptionsOf(const Config& c) {
    return {
        .brokers = c.kafka,
        .topic = c.kafka_topic,
        .client = c.kafka_client,
        .delivery_timeout = c.kafka_delivery_timeout,
    };
}

}  // namespace

struct Runtime::State {
    Config config;
    SystemClock clock;
    SystemRandom random;
    std::unique_ptr<sql::SqlDatabase> db;
    std::shared_ptr<redis::RedisClient> redis;
    std::unique_ptr<ports::QueueStore> queue;
    AtomicMetrics metrics;
    std::unique_ptr<ports::DistributedLock> lock;  ///< the redis strategy's lease lock
    memory::MemoryLock* memory_lock{nullptr};      ///< `lock` when in-process: its fences need trimming
    /// Guards the jobs: Redis when configured, else the database, so every process sharing it agrees.
    ports::DistributedLock* job_lock{nullptr};
    std::unique_ptr<sql::SqlLeaseLock> sql_lease_lock;
    std::unique_ptr<ports::CatalogCache> cache;
    std::unique_ptr<LogEventSink> event_log;
    std::unique_ptr<ports::EventSink> sink;          ///< the relay's: Kafka, or the event log and the projection
    std::unique_ptr<kafka::KafkaConsumer> consumer;  ///< the sales consumer's, opened by its job
    std::optional<Ticketing> app;
    std::vector<std::unique_ptr<Job>> jobs;
};

Result<std::unique_ptr<Runtime>> Runtime::Open(Config config) {
    auto state = std::make_unique<State>();
    state->config = std::move(config);
    const Config& c = state->config;

    std::error_code dir_error;
    std::filesystem::create_directories(c.data_dir, dir_error);
    if (dir_error) {
        return MakeError(Errc::kUnavailable, "cannot create the data dir " + c.data_dir + ": " + dir_error.message());
    }
    auto db = sql::SqlDatabase::Open({
        .url = DatabaseUrl(c),
        .pool_size = static_cast<std::size_t>(DbPoolSize(c)),
    });
    if (!db) return MakeError(db.error().code, "database: " + db.error().message);
    state->db = std::move(*db);

    if (c.redis.empty()) {
        state->queue = std::make_unique<memory::MemoryQueueStore>();
        auto memory_lock = std::make_unique<memory::MemoryLock>(state->clock, state->random);
        state->memory_lock = memory_lock.get();
        state->lock = std::move(memory_lock);
        state->sql_lease_lock = std::make_unique<sql::SqlLeaseLock>(*state->db, state->clock, state->random);
        state->job_lock = state->sql_lease_lock.get();
        state->cache = std::make_unique<memory::MemoryCatalogCache>(state->clock);
    } else {
        auto options = redis::ParseRedisUrl(c.redis);
        if (!options) return Forward(options.error());
        options->pool_size = static_cast<std::size_t>(c.redis_pool_size);
        state->redis = std::make_shared<redis::RedisClient>(std::move(*options));
        state->queue =
            std::make_unique<redis::RedisQueueStore>(state->redis, redis::RedisQueueStoreOptions{c.redis_prefix});
        state->lock = std::make_unique<redis::RedisLock>(
            state->redis, redis::RedisLockOptions{.key_prefix = c.redis_prefix, .renew = true}
        );
        state->job_lock = state->lock.get();
        state->cache =
            std::make_unique<redis::RedisCatalogCache>(state->redis, redis::RedisCatalogCacheOptions{c.redis_prefix});
    }

    auto app = Ticketing::Create(
        Backends{
            .db = *state->db,
            .queue = *state->queue,
            .clock = state->clock,
            .random = state->random,
            .lock = state->lock.get(),
            .cache = state->cache.get(),
            .metrics = &state->metrics,
        },
        c.settings
    );
    if (!app) return Forward(app.error());
    state->app.emplace(std::move(*app));

    if (c.kafka.empty()) {
        // No broker to consume back from: the relay's one code path feeds the projection in process,
        // once the event is in the log, through the same inbox a Kafka consumer uses.
        auto log = LogEventSink::Open(
            c.event_log.empty() ? (std::filesystem::path(c.data_dir) / "events.log").string() : c.event_log
        );
        if (!log) return Forward(log.error());
        state->event_log = std::move(*log);
        state->sink = std::make_unique<ProjectingSink>(*state->event_log, state->app->Sales());
    } else {
        if (c.kafka_delivery_timeout >= c.settings.outbox.claim_ttl) {
            return MakeError(
                Errc::kInvalidArgument,
                "kafka_delivery_timeout must be below outbox.claim_ttl: a batch still in flight would be claimed again"
            );
        }
        auto sink = kafka::KafkaEventSink::Open(KafkaOptionsOf(c));
        if (!sink) return Forward(sink.error());
        state->sink = std::move(*sink);
    }
    return std::unique_ptr<Runtime>(new Runtime(std::move(state)));
}

Runtime::Runtime(std::unique_ptr<State> state) : state_(std::move(state)) {
    State& s = *state_;
    const JobSettings& jobs = s.config.jobs;
    auto add = [&](std::string name, Millis interval, Job::Work work, bool leased = true) {
        s.jobs.push_back(std::make_unique<Job>(
            std::move(name), interval, leased ? s.job_lock : nullptr, jobs.lease_ttl, std::move(work)
        ));
    };
    add("admission", jobs.admission_interval, [&s] { return s.app->Queue().TickAll(); });
    add("hold_expiry", jobs.hold_expiry_interval, [&s]() -> Result<std::int64_t> {
        std::int64_t total = 0;
        for (;;) {
            auto expired = s.app->Reservations().ExpireHolds(kExpiryBatch);
            if (!expired) return Forward(expired.error());
            total += *expired;
            if (*expired < kExpiryBatch) return total;
        }
    });
    add("outbox_relay", jobs.outbox_relay_interval, [&s]() -> Result<std::int64_t> {
        std::int64_t total = 0;
        for (;;) {
            auto relayed = s.app->Outbox().RelayOnce(*s.sink, s.config.jobs.outbox_batch);
            if (!relayed) return Forward(relayed.error());
            total += relayed->published;
            // A short batch means the due events are drained; a failure waits for its backoff.
            auto handled = relayed->published + relayed->failed + relayed->dead;
            if (handled < s.config.jobs.outbox_batch || relayed->failed > 0) return total;
        }
    });
    if (!s.config.kafka.empty()) {
        // Every instance consumes: the consumer group shares the partitions out among them.
        add(
            "sales_consumer",
            jobs.outbox_relay_interval,
            [&s]() -> Result<std::int64_t> {
                if (!s.consumer) {
                    auto opened = kafka::KafkaConsumer::Open(KafkaOptionsOf(s.config), s.config.kafka_group);
                    if (!opened) return Forward(opened.error());
                    s.consumer = std::move(*opened);
                }
                std::int64_t total = 0;
                for (;;) {
                    auto consumed = s.consumer->Poll(
                        [&s](const OutboxEvent& event) -> Result<void> {
                            auto applied = s.app->Sales().Apply(event);
                            if (!applied) return Forward(applied.error());
                            return {};
                        },
                        kConsumeBatch,
                        kConsumeWait
                    );
                    if (!consumed) return Forward(consumed.error());
                    total += consumed->handled;
                    if (consumed->handled + consumed->skipped < kConsumeBatch) return total;
                }
            },
            false
        );
    }
    add("retention", jobs.retention_interval, [&s]() -> Result<std::int64_t> {
        auto deleted = s.app->Retention().RunOnce(s.config.settings.retention);
        if (!deleted) return Forward(deleted.error());
        std::int64_t forgotten = s.memory_lock ? s.memory_lock->Forget(s.config.settings.retention.fence_age) : 0;
        return deleted->idempotency + deleted->inbox + deleted->published_outbox + deleted->fences + forgotten;
    });
}

Runtime::~Runtime() {
    StopJobs();
}

Ticketing& Runtime::App() {
    return *state_->app;
}
const Config& Runtime::GetConfig() const {
    return state_->config;
}
const ports::Clock& Runtime::Clock() const {
    return state_->clock;
}

std::vector<Probe> Runtime::CheckReadiness() {
    auto read_one_row = [this]() -> Result<std::string> {
        auto uow = state_->db->Begin(ports::TxMode::kRead);
        if (!uow) return Forward(uow.error());
        if (auto read = (*uow)->FindConcert(ConcertId{1}); !read) return Forward(read.error());
        return std::string();
    };
    std::vector<Probe> probes{MakeProbe("database", read_one_row())};
    if (state_->redis) probes.push_back(PingRedis(*state_->redis));
    return probes;
}

Result<SchemaInfo> Runtime::Schema() {
    auto version = state_->db->SchemaVersion();
    if (!version) return Forward(version.error());
    return SchemaInfo{
        .dialect = std::string(state_->db->DialectName()),
        .version = *version,
        .latest = state_->db->LatestSchemaVersion(),
    };
}

ports::EventSink& Runtime::Sink() {
    return *state_->sink;
}

namespace {

Result<std::string> ReachDatabase(const Config& config) {
    const auto embedded = EmbeddedDatabase(config.data_dir);
    if (config.database.empty() && !std::filesystem::exists(embedded)) {
        // Not a fault, and not created here (a probe changes nothing): Runtime::Open creates it.
        return "sqlite, " + embedded.string() + " not created yet";
    }
    auto db = sql::SqlDatabase::Open({.url = DatabaseUrl(config), .pool_size = 1, .migrate = false});
    if (!db) return Forward(db.error());
    auto version = (*db)->SchemaVersion();
    if (!version) return Forward(version.error());
    return std::string((*db)->DialectName()) + ", schema " + std::to_string(*version) + " of " +
           std::to_string((*db)->LatestSchemaVersion());
}

}  // namespace

std::vector<Probe> ProbeBackends(const Config& config) {
    std::vector<Probe> probes{MakeProbe("database", ReachDatabase(config))};
    if (!config.redis.empty()) {
        auto options = redis::ParseRedisUrl(config.redis);
        if (options) {
            options->pool_size = 1;
            redis::RedisClient client(std::move(*options));
            probes.push_back(PingRedis(client));
        } else {
            probes.push_back(MakeProbe("redis", tl::unexpected(options.error())));
        }
    }
    return probes;
}

Counters Runtime::ReadCounters() const {
    auto counts = state_->metrics.Snapshot();
    Counters out;
    for (std::size_t i = 0; i < out.locks.size(); ++i) {
        auto kind = static_cast<LockStrategyKind>(i);
        out.locks[i] = {
            .attempts = counts.Lock(kind, ports::LockEvent::kAttempt),
            .version_conflicts = counts.Lock(kind, ports::LockEvent::kVersionConflict),
            .retries = counts.Lock(kind, ports::LockEvent::kRetry),
            .lock_waits = counts.Lock(kind, ports::LockEvent::kLockWait),
            .conflicts = counts.Lock(kind, ports::LockEvent::kConflictGivenUp),
        };
    }
    out.seats_sold = counts.seats_sold;
    return out;
}

Result<Gauges> Runtime::ReadGauges() {
    Gauges gauges;
    auto outbox = state_->app->Outbox().Stats();
    if (!outbox) return Forward(outbox.error());
    gauges.outbox = *outbox;
    auto holds = state_->app->Reservations().ActiveHolds();
    if (!holds) return Forward(holds.error());
    gauges.holds_active = *holds;
    auto concerts = state_->queue->Concerts();
    if (!concerts) return Forward(concerts.error());
    for (auto concert : *concerts) {
        auto stats = state_->app->Queue().Stats(concert);
        if (!stats) return Forward(stats.error());
        gauges.queues.emplace_back(concert, *stats);
    }
    return gauges;
}

Result<bool> Runtime::SeedDemo() {
    Ticketing& app = *state_->app;
    auto existing = app.Accounts().GetUser(UserId{1});
    if (existing) return false;
    if (existing.error().code != Errc::kNotFound) return Forward(existing.error());

    const Timestamp now = state_->clock.Now();
    using std::chrono::days;
    using std::chrono::hours;
    struct DemoConcert {
        std::string title;
        Money base_price;
    };
    for (const auto& [title, base_price] :
         {DemoConcert{"봄의 교향곡 — Spring Symphony", 55'000}, DemoConcert{"Seoul Jazz Night", 44'000}}) {
        NewConcert concert{
            .title = title,
            .reservation_opens_at = now - days{1},
            .reservation_closes_at = now + days{30},
            .schedules = {},
        };
        for (int i = 0; i < 3; ++i) {
            concert.schedules.push_back(
                {.starts_at = now + days{7 + i} + hours{19}, .price = base_price + i * 11'000, .seat_count = 50}
            );
        }
        auto created = app.Catalog().CreateConcert(concert);
        if (!created) return Forward(created.error());
        // Short ticks so a demo buyer is admitted within seconds.
        auto tuned = app.Queue().UpdateSettings(
            created->concert.id, {.max_active = {}, .admit_per_tick = {}, .tick_interval = Seconds{2}, .paused = {}}
        );
        if (!tuned) return Forward(tuned.error());
    }
    for (std::string_view name : {"kim", "lee", "park"}) {
        auto user = app.Accounts().CreateUser(name);
        if (!user) return Forward(user.error());
        auto charged = app.Accounts().Charge(user->id, 300'000, std::nullopt);
        if (!charged) return Forward(charged.error());
    }
    return true;
}

void Runtime::StartJobs() {
    if (!state_->config.jobs.enabled) return;
    for (auto& job : state_->jobs) job->Start();
}

void Runtime::StopJobs() {
    for (auto& job : state_->jobs) job->Stop();
}

std::vector<JobStatus> Runtime::Jobs() const {
    std::vector<JobStatus> out;
    for (const auto& job : state_->jobs) out.push_back(job->Status());
    return out;
}

}  // namespace ticketing::runtime
