// `ticketing bench locks`: the same contention scenarios under each lock strategy on each backend,
// with the strategy's counters and a correctness verdict read back from the database afterwards.
// Like a program's main, this composes adapters itself: every row gets fresh ones.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <ticketing/app/system.hpp>
#include <ticketing/cli/bench_locks.hpp>
#include <ticketing/memory/memory_catalog_cache.hpp>
#include <ticketing/memory/memory_database.hpp>
#include <ticketing/memory/memory_lock.hpp>
#include <ticketing/memory/memory_queue_store.hpp>
#include <ticketing/redis/redis_client.hpp>
#include <ticketing/redis/redis_lock.hpp>
#include <ticketing/redis/redis_queue_store.hpp>
#include <ticketing/sql/sql_database.hpp>
#include <ticketing/ticketing.hpp>

#include "support/load.hpp"

namespace ticketing::cli {
namespace {

using namespace std::chrono_literals;

constexpr Money kPrice = 1'000;
constexpr Money kStartBalance = 1'000'000;
constexpr std::int32_t kSeats = 50;
/// Admits every waiting user at once: the bench measures the locks, not the waiting room.
const QueueSettings kAdmitAll{
    .max_active = 1'000'000, .admit_per_tick = 1'000'000, .tick_interval = 0s, .paused = false};
/// The stalled holder's lease, and how long it pauses (well past the lease).
constexpr Millis kStalledLease{50};
constexpr Millis kStalledPause{150};

struct BackendSpec {
    enum class Database : std::uint8_t { kMemory, kSqlite, kMysql };
    std::string name;
    Database database;
    bool redis{false};
};

std::string RowSuffix(std::size_t row) {
    return std::to_string(::getpid()) + "_" + std::to_string(row);
}

/// Fresh adapters of one backend for one row; whatever they created is removed when they go.
class Adapters {
public:
    static Result<std::unique_ptr<Adapters>> Open(
        const BackendSpec& spec,
        const BenchOptions& options,
        std::size_t row,
        const ports::Clock& clock,
        ports::Random& random
    ) {
        auto out = std::unique_ptr<Adapters>(new Adapters());
        const auto pool = static_cast<std::size_t>(options.clients) + 2;
        switch (spec.database) {
            case BackendSpec::Database::kMemory:
                out->db_ = std::make_unique<memory::MemoryDatabase>();
                break;
            case BackendSpec::Database::kSqlite: {
                out->sqlite_path_ = std::filesystem::path(options.work_dir) / ("bench-" + RowSuffix(row) + ".db");
                auto db = sql::SqlDatabase::Open({.url = "sqlite://" + out->sqlite_path_.string(), .pool_size = pool});
                if (!db) return Forward(db.error());
                out->db_ = std::move(*db);
                break;
            }
            case BackendSpec::Database::kMysql: {
                const auto name = "bench_" + RowSuffix(row);
                if (auto created = sql::CreateMysqlDatabase(options.mysql_url, name); !created) {
                    return Forward(created.error());
                }
                out->mysql_server_ = options.mysql_url;
                out->mysql_database_ = name;
                auto db =
                    sql::SqlDatabase::Open({.url = sql::WithMysqlDatabase(options.mysql_url, name), .pool_size = pool});
                if (!db) return Forward(db.error());
                out->db_ = std::move(*db);
                break;
            }
        }
        if (spec.redis) {
            auto redis_options = redis::ParseRedisUrl(options.redis_url);
            if (!redis_options) return Forward(redis_options.error());
            redis_options->pool_size = pool;
            out->redis_ = std::make_shared<redis::RedisClient>(std::move(*redis_options));
            out->redis_prefix_ = "bench:" + RowSuffix(row) + ":";
            out->queue_ = std::make_unique<redis::RedisQueueStore>(
                out->redis_, redis::RedisQueueStoreOptions{out->redis_prefix_}
            );
            out->lock_ =
                std::make_unique<redis::RedisLock>(out->redis_, redis::RedisLockOptions{out->redis_prefix_, true});
            // Same keys, never renewed: a holder whose process stalls stops renewing too.
            out->stalled_lock_ =
                std::make_unique<redis::RedisLock>(out->redis_, redis::RedisLockOptions{out->redis_prefix_, false});
        } else {
            out->queue_ = std::make_unique<memory::MemoryQueueStore>();
            out->lock_ = std::make_unique<memory::MemoryLock>(clock, random);  // never renewed
        }
        return out;
    }

    ~Adapters() {
        stalled_lock_.reset();
        lock_.reset();
        queue_.reset();
        db_.reset();
        std::error_code ignored;
        if (!sqlite_path_.empty()) {
            for (const char* suffix : {"", "-wal", "-shm"})
                std::filesystem::remove(sqlite_path_.string() + suffix, ignored);
        }
        if (!mysql_database_.empty()) (void)sql::DropMysqlDatabase(mysql_server_, mysql_database_);
        if (redis_) (void)redis_->DeleteKeysWithPrefix(redis_prefix_);
    }
    Adapters(const Adapters&) = delete;
    Adapters& operator=(const Adapters&) = delete;

    ports::UnitOfWorkFactory& Db() { return *db_; }
    ports::QueueStore& Queue() { return *queue_; }
    ports::DistributedLock& Lock() { return *lock_; }
    ports::DistributedLock& StalledLock() { return stalled_lock_ ? *stalled_lock_ : *lock_; }

private:
    Adapters() = default;

    std::unique_ptr<ports::UnitOfWorkFactory> db_;
    std::unique_ptr<ports::QueueStore> queue_;
    std::unique_ptr<ports::DistributedLock> lock_;
    std::unique_ptr<ports::DistributedLock> stalled_lock_;
    std::shared_ptr<redis::RedisClient> redis_;
    std::string redis_prefix_;
    std::filesystem::path sqlite_path_;
    std::string mysql_server_;
    std::string mysql_database_;
};

/// Outcomes of the calls of one row, from every client thread.
struct Tally {
    std::atomic<std::int64_t> committed{0};
    std::atomic<std::int64_t> charged{0};  ///< committed charges, for the money check
    std::atomic<std::int64_t> seat_unavailable{0};
    std::atomic<std::int64_t> conflicts{0};
    std::atomic<std::int64_t> unexpected{0};
    std::mutex mutex;
    std::string first_unexpected;

    /// False for an error that is neither a lost seat nor a CONFLICT.
    template <class T>
    bool Count(const Result<T>& result) {
        if (result) {
            ++committed;
            return true;
        }
        if (result.error().code == Errc::kSeatUnavailable) {
            ++seat_unavailable;
            return true;
        }
        if (result.error().code == Errc::kConflict) {
            ++conflicts;
            return true;
        }
        ++unexpected;
        std::lock_guard lock(mutex);
        if (first_unexpected.empty()) {
            first_unexpected = std::string(CodeName(result.error().code)) + ": " + result.error().message;
        }
        return false;
    }
};

/// One client's place in the hold → pay → refund cycle.
struct Client {
    UserId user;
    ConcertId concert;
    ScheduleId schedule;
    std::vector<SeatId> seats;  ///< the schedule's, by number
    std::mt19937 rng;
    std::string token;
    std::optional<ReservationId> hold;
    std::optional<PaymentId> payment;
    std::int64_t steps{0};
};

using SeatPicker = std::function<std::vector<SeatId>(Client&)>;

/// A row's world: adapters, the use cases over them and their counters.
class Row {
public:
    Row(Adapters& adapters, LockStrategyKind strategy) : adapters_(adapters), cache_(clock_) {
        Settings settings;
        settings.lock.kind = strategy;
        app_.emplace(
            Backends{adapters.Db(), adapters.Queue(), clock_, random_, &adapters.Lock(), &cache_, &metrics_}, settings
        );
    }

    Ticketing& App() { return *app_; }
    Adapters& Ports() { return adapters_; }
    Tally& Outcomes() { return tally_; }

    Result<UserId> NewUser(Money balance) {
        auto user = app_->Accounts().CreateUser("bench");
        if (!user) return Forward(user.error());
        auto charged = app_->Accounts().Charge(user->id, balance, std::nullopt);
        if (!charged) return Forward(charged.error());
        return user->id;
    }

    /// A concert open now with one schedule of kSeats seats.
    Result<Client> NewClient(UserId user, std::uint32_t seed) {
        const auto now = clock_.Now();
        auto created = app_->Catalog().CreateConcert(
            {.title = "bench",
             .reservation_opens_at = now - 1h,
             .reservation_closes_at = now + 24h,
             .schedules = {{.starts_at = now + 48h, .price = kPrice, .seat_count = kSeats}}}
        );
        if (!created) return Forward(created.error());
        auto map = app_->Catalog().GetSeatMap(created->schedules[0].id);
        if (!map) return Forward(map.error());
        Client client{user, created->concert.id, created->schedules[0].id, {}, std::mt19937(seed), {}, {}, {}, 0};
        for (const auto& seat : map->seats) client.seats.push_back(seat.id);
        return client;
    }

    /// One use-case call of the hold → pay → refund cycle; the refund puts the seats back in play.
    bool SeatStep(Client& c, const SeatPicker& pick) {
        if (c.payment) {
            auto refunded = app_->Payments().Refund(*c.payment);
            if (refunded) c.payment.reset();
            return tally_.Count(refunded);
        }
        if (c.hold) {
            auto paid = app_->Payments().Pay(c.token, *c.hold, std::nullopt);
            if (paid) {
                c.payment = paid->payment.id;
                c.token.clear();  // payment revoked it
            }
            if (paid || paid.error().code != Errc::kConflict) c.hold.reset();
            return tally_.Count(paid);
        }
        if (c.token.empty()) {
            auto joined = app_->Queue().Join(c.concert, c.user);
            if (!joined) return tally_.Count(joined);
            (void)adapters_.Queue().Tick(c.concert, clock_.Now(), 5min, kAdmitAll);
            c.token = joined->position.info.token;
        }
        auto held = app_->Reservations().Hold(c.token, c.schedule, pick(c));
        if (held) c.hold = held->id;
        return tally_.Count(held);
    }

    bool ChargeStep(UserId user) {
        auto charged = app_->Accounts().Charge(user, kPrice, std::nullopt);
        if (charged) ++tally_.charged;
        return tally_.Count(charged);
    }

    BenchRow Finish(const bench::Figures& figures) {
        BenchRow row;
        row.calls = figures.ops;
        row.committed = tally_.committed.load();
        const double seconds = figures.ops_per_sec > 0 ? static_cast<double>(figures.ops) / figures.ops_per_sec : 0;
        row.committed_per_sec = seconds > 0 ? static_cast<double>(row.committed) / seconds : 0;
        row.p50_ms = figures.p50_us / 1000;
        row.p95_ms = figures.p95_us / 1000;
        row.p99_ms = figures.p99_us / 1000;
        const auto counts = metrics_.Snapshot();
        const auto kind = app_->GetSettings().lock.kind;
        row.version_conflicts = counts.Lock(kind, ports::LockEvent::kVersionConflict);
        row.retries = counts.Lock(kind, ports::LockEvent::kRetry);
        row.lock_waits = counts.Lock(kind, ports::LockEvent::kLockWait);
        row.conflicts_returned = counts.Lock(kind, ports::LockEvent::kConflictGivenUp);
        row.seat_unavailable = tally_.seat_unavailable.load();
        row.unexpected_errors = tally_.unexpected.load();
        return row;
    }

    /// Reads back seats, tickets and balances: every SOLD seat has one issued ticket and no seat two,
    /// and balances plus the price of issued tickets add up to the money that came in.
    Result<void> Audit(
        BenchRow& row, const std::vector<UserId>& users, const std::vector<ScheduleId>& schedules, Money money_in
    ) {
        for (auto schedule : schedules) {
            auto map = app_->Catalog().GetSeatMap(schedule);
            if (!map) return Forward(map.error());
            row.seats_sold += std::count_if(map->seats.begin(), map->seats.end(), [](const Seat& s) {
                return s.status == SeatStatus::kSold;
            });
        }
        std::map<std::int64_t, int> issued_per_seat;
        Money held = 0;
        for (auto user : users) {
            auto found = app_->Accounts().GetUser(user);
            if (!found) return Forward(found.error());
            held += found->balance;
            for (PageQuery page{.limit = kMaxPageLimit, .cursor = std::nullopt};;) {
                auto tickets = app_->Accounts().Tickets(user, page);
                if (!tickets) return Forward(tickets.error());
                for (const auto& t : tickets->items) {
                    if (t.status != TicketStatus::kIssued) continue;
                    ++row.tickets_issued;
                    held += t.price;
                    if (++issued_per_seat[t.seat_id.value] == 2) ++row.seats_sold_twice;
                }
                if (!tickets->next_cursor) break;
                page.cursor = tickets->next_cursor;
            }
        }
        row.money_conserved = held == money_in;
        return {};
    }

private:
    SystemClock clock_;
    SystemRandom random_;
    Adapters& adapters_;
    memory::MemoryCatalogCache cache_;  // as a server wires it: catalog reads stay off the database
    AtomicMetrics metrics_;
    std::optional<Ticketing> app_;
    Tally tally_;
};

void Judge(BenchRow& row, const Tally& tally) {
    std::vector<std::string> wrong;
    if (row.seats_sold != row.tickets_issued) {
        wrong.push_back(
            std::to_string(row.seats_sold) + " seats sold, " + std::to_string(row.tickets_issued) + " tickets"
        );
    }
    if (row.seats_sold_twice > 0) wrong.push_back(std::to_string(row.seats_sold_twice) + " seats sold twice");
    if (!row.money_conserved) wrong.push_back("money not conserved");
    if (row.stale_writes > 0) wrong.push_back(std::to_string(row.stale_writes) + " stale writes committed");
    if (row.unexpected_errors > 0) wrong.push_back("unexpected error: " + tally.first_unexpected);
    row.ok = wrong.empty();
    row.verdict = "ok";
    if (!row.ok) {
        row.verdict.clear();
        for (const auto& w : wrong) row.verdict += (row.verdict.empty() ? "" : "; ") + w;
    }
}

/// Hot seat and spread: each client its own buyer, all on one schedule.
Result<BenchRow> RunSeats(Row& r, const BenchOptions& options, const SeatPicker& pick) {
    auto first = r.NewUser(kStartBalance).and_then([&](UserId user) { return r.NewClient(user, 1); });
    if (!first) return Forward(first.error());
    std::vector<Client> clients{*first};
    std::vector<UserId> users{first->user};
    for (int i = 1; i < options.clients; ++i) {
        auto user = r.NewUser(kStartBalance);
        if (!user) return Forward(user.error());
        Client c = *first;  // same schedule, another buyer
        c.user = *user;
        c.rng.seed(static_cast<std::uint32_t>(i) + 1);
        clients.push_back(std::move(c));
        users.push_back(*user);
    }
    auto figures = bench::Run(
        options.clients,
        std::numeric_limits<std::int64_t>::max(),
        options.duration,
        [&](int t, std::int64_t) { return r.SeatStep(clients[static_cast<std::size_t>(t)], pick); }
    );
    auto row = r.Finish(figures);
    if (auto audited = r.Audit(row, users, {first->schedule}, kStartBalance * static_cast<Money>(users.size()));
        !audited) {
        return Forward(audited.error());
    }
    return row;
}

/// Balance: every client charges one shared user and pays (then refunds) seats of its own concert
/// as that user, so every write lands on the same balance.
Result<BenchRow> RunBalance(Row& r, const BenchOptions& options) {
    auto user = r.NewUser(kStartBalance);
    if (!user) return Forward(user.error());
    std::vector<Client> clients;
    std::vector<ScheduleId> schedules;
    for (int i = 0; i < options.clients; ++i) {
        auto c = r.NewClient(*user, static_cast<std::uint32_t>(i) + 1);
        if (!c) return Forward(c.error());
        schedules.push_back(c->schedule);
        clients.push_back(std::move(*c));
    }
    const SeatPicker own_first_seat = [](Client& c) { return std::vector<SeatId>{c.seats.front()}; };
    auto figures = bench::Run(
        options.clients,
        std::numeric_limits<std::int64_t>::max(),
        options.duration,
        [&](int t, std::int64_t) {
            auto& c = clients[static_cast<std::size_t>(t)];
            return c.steps++ % 2 == 0 ? r.ChargeStep(*user) : r.SeatStep(c, own_first_seat);
        }
    );
    auto row = r.Finish(figures);
    const Money money_in = kStartBalance + kPrice * r.Outcomes().charged.load();
    if (auto audited = r.Audit(row, {*user}, schedules, money_in); !audited) return Forward(audited.error());
    return row;
}

/// A holder takes the user's lease, reads the balance and stalls past its lease; meanwhile a charge
/// through the strategy takes the lease over and commits. The holder then writes what it computed,
/// under its old fencing token, as the strategy would: the database must refuse it.
Result<BenchRow> RunStalledHolder(Row& r, const BenchOptions& options) {
    auto user = r.NewUser(kStartBalance);
    if (!user) return Forward(user.error());
    // The key the strategy leases for a charge ("user:<id>" under its "lock:" prefix).
    const std::string key = "lock:user:" + std::to_string(user->value);
    std::atomic<std::int64_t> refusals{0}, stale{0};
    auto& db = r.Ports().Db();
    auto figures = bench::Run(1, std::numeric_limits<std::int64_t>::max(), options.duration, [&](int, std::int64_t) {
        auto lease = r.Ports().StalledLock().Acquire({key}, kStalledLease, 1s);
        if (!lease) return r.Outcomes().Count(lease);
        auto seen = db.Begin(ports::TxMode::kRead).and_then([&](auto uow) { return uow->FindUser(*user); });
        if (!seen) return r.Outcomes().Count(seen);
        if (!*seen) return r.Outcomes().Count(Result<void>(MakeError(Errc::kNotFound, "the bench user is gone")));
        std::thread other([&] { r.ChargeStep(*user); });
        std::this_thread::sleep_for(kStalledPause);  // the pause: GC, swap, a stopped VM
        other.join();
        auto uow = db.Begin(ports::TxMode::kOptimistic);
        if (!uow) return r.Outcomes().Count(uow);
        for (const auto& fence : (*lease)->Fences()) {
            if (auto fenced = (*uow)->AdvanceFence(fence.resource, fence.token); !fenced) {
                if (fenced.error().code != Errc::kAborted) return r.Outcomes().Count(fenced);
                ++refusals;
                return true;
            }
        }
        User stale_user = **seen;
        stale_user.balance += kStartBalance;  // what the stalled holder meant to write
        if ((*uow)->UpdateUser(stale_user) && (*uow)->Commit()) {
            ++stale;
            return true;
        }
        // Refused, but by the version check: the fence, which must stop it on its own, did not.
        return r.Outcomes().Count(Result<void>(MakeError(Errc::kInternal, "a stale fencing token was accepted")));
    });
    auto row = r.Finish(figures);
    row.fence_refusals = refusals.load();
    row.stale_writes = stale.load();
    const Money money_in = kStartBalance + kPrice * r.Outcomes().charged.load();
    if (auto audited = r.Audit(row, {*user}, {}, money_in); !audited) return Forward(audited.error());
    return row;
}

std::vector<BackendSpec> AvailableBackends(const BenchOptions& options) {
    using Database = BackendSpec::Database;
    std::vector<BackendSpec> out{{"memory", Database::kMemory, false}, {"sqlite", Database::kSqlite, false}};
    if (!options.mysql_url.empty()) out.push_back({"mariadb", Database::kMysql, false});
    if (!options.redis_url.empty()) {
        const bool mysql = !options.mysql_url.empty();
        out.push_back({mysql ? "mariadb+redis" : "sqlite+redis", mysql ? Database::kMysql : Database::kSqlite, true});
    }
    return out;
}

}  // namespace

std::string_view ToString(Scenario scenario) {
    switch (scenario) {
        case Scenario::kHotSeat:
            return "hot-seat";
        case Scenario::kSpread:
            return "spread";
        case Scenario::kBalance:
            return "balance";
        case Scenario::kStalledHolder:
            return "stalled-holder";
    }
    return "?";
}

Result<Scenario> ParseScenario(std::string_view text) {
    for (auto s : {Scenario::kHotSeat, Scenario::kSpread, Scenario::kBalance, Scenario::kStalledHolder}) {
        if (ToString(s) == text) return s;
    }
    return MakeError(
        Errc::kInvalidArgument,
        "unknown scenario '" + std::string(text) + "' (hot-seat, spread, balance, stalled-holder)"
    );
}

Result<std::vector<BenchRow>> RunBenchLocks(const BenchOptions& options, const BenchProgress& progress) {
    if (options.clients < 1 || options.clients > 1000) {
        return MakeError(Errc::kInvalidArgument, "--clients must be between 1 and 1000");
    }
    if (options.duration < Millis{100}) return MakeError(Errc::kInvalidArgument, "--seconds must be at least 0.1");
    struct Plan {
        Scenario scenario;
        LockStrategyKind strategy;
        BackendSpec backend;
    };
    std::vector<Plan> plan;
    for (auto scenario : options.scenarios) {
        for (auto strategy : options.strategies) {
            // The stalled holder is about the lease's fencing token: the other strategies hold no lease.
            if (scenario == Scenario::kStalledHolder && strategy != LockStrategyKind::kRedis) continue;
            for (const auto& backend : AvailableBackends(options)) plan.push_back({scenario, strategy, backend});
        }
    }
    SystemClock clock;
    SystemRandom random;
    std::vector<BenchRow> rows;
    for (std::size_t i = 0; i < plan.size(); ++i) {
        const auto& [scenario, strategy, backend] = plan[i];
        if (progress) {
            progress(
                i,
                plan.size(),
                std::string(ToString(scenario)) + " " + std::string(ToString(strategy)) + " " + backend.name
            );
        }
        auto adapters = Adapters::Open(backend, options, i, clock, random);
        if (!adapters) return MakeError(adapters.error().code, backend.name + ": " + adapters.error().message);
        Row r(**adapters, strategy);
        Result<BenchRow> row = MakeError(Errc::kInternal, "not run");
        switch (scenario) {
            case Scenario::kHotSeat:
                row = RunSeats(r, options, [](Client& c) { return std::vector<SeatId>{c.seats.front()}; });
                break;
            case Scenario::kSpread:
                row = RunSeats(r, options, [](Client& c) {
                    auto seats = c.seats;
                    std::shuffle(seats.begin(), seats.end(), c.rng);
                    seats.resize(std::uniform_int_distribution<std::size_t>(2, 4)(c.rng));
                    return seats;
                });
                break;
            case Scenario::kBalance:
                row = RunBalance(r, options);
                break;
            case Scenario::kStalledHolder:
                row = RunStalledHolder(r, options);
                break;
        }
        if (!row) return MakeError(row.error().code, backend.name + ": " + row.error().message);
        row->scenario = ToString(scenario);
        row->strategy = ToString(strategy);
        row->backend = backend.name;
        Judge(*row, r.Outcomes());
        rows.push_back(std::move(*row));
    }
    if (progress) progress(plan.size(), plan.size(), "done");
    return rows;
}

}  // namespace ticketing::cli
