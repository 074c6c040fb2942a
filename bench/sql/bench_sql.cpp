// Hold + pay transactions per second on MariaDB from N clients under each lock strategy, beside a
// reference measured in the same run on the same server: a plain single-row UPDATE + COMMIT per
// client (raw SOCI, no library code). Each strategy gets a fresh database; clients race pairwise
// for the same seats, so half the holds conflict; catalog reads are cached in process, as a server
// wires them. Ends with a correctness verdict per strategy.
//   ticketing_bench_sql [mysql://user:pass@host:port/db] [clients=16] [seconds=5] [redis://host:port/db]
// URLs default to $TICKETING_TEST_MYSQL and $TICKETING_TEST_REDIS; without Redis the redis strategy
// is skipped.
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <ticketing/app/system.hpp>
#include <ticketing/memory/memory_catalog_cache.hpp>
#include <ticketing/memory/memory_lock.hpp>
#include <ticketing/memory/memory_queue_store.hpp>
#include <ticketing/redact.hpp>
#include <ticketing/redis/redis_client.hpp>
#include <ticketing/redis/redis_lock.hpp>
#include <ticketing/sql/sql_database.hpp>
#include <ticketing/ticketing.hpp>

#include "../support/load.hpp"
#include "../support/soci_url.hpp"

namespace {

using namespace ticketing;
using namespace std::chrono_literals;

const QueueSettings kAdmitAll{
    .max_active = 1'000'000, .admit_per_tick = 1'000'000, .tick_interval = 0s, .paused = false};
constexpr int kSeatsPerSchedule = 5000;

bench::Figures Reference(const std::string& url, int clients, std::chrono::milliseconds duration) {
    {
        soci::session setup(*soci::factory_mysql(), bench::SociConnect(url));
        setup << "CREATE TABLE IF NOT EXISTS bench_reference (id INT PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB";
        for (int i = 0; i < clients; ++i) setup << "REPLACE INTO bench_reference VALUES (" << i << ", 0)";
    }
    std::vector<std::unique_ptr<soci::session>> sessions;
    for (int i = 0; i < clients; ++i)
        sessions.push_back(std::make_unique<soci::session>(*soci::factory_mysql(), bench::SociConnect(url)));
    return bench::Run(clients, std::numeric_limits<std::int64_t>::max(), duration, [&](int t, std::int64_t) {
        auto& s = *sessions[static_cast<std::size_t>(t)];
        s.begin();
        s << "UPDATE bench_reference SET n = n + 1 WHERE id = :id", soci::use(t);
        s.commit();
        return true;
    });
}

struct Outcome {
    bench::Figures attempts;
    std::int64_t paid{0};
    std::string verdict;
};

Outcome HoldPay(
    const std::string& url,
    LockStrategyKind kind,
    ports::DistributedLock* remote_lock,
    int clients,
    std::chrono::milliseconds duration
) {
    SystemClock clock;
    SystemRandom random;
    auto opened = sql::SqlDatabase::Open({.url = url, .pool_size = static_cast<std::size_t>(clients) + 2});
    if (!opened) throw std::runtime_error(opened.error().message);
    auto& db = **opened;
    memory::MemoryQueueStore queue;
    memory::MemoryLock local_lock(clock, random);
    memory::MemoryCatalogCache cache(clock);  // as a server wires it: catalog reads stay off the database
    Settings settings;
    settings.lock.kind = kind;
    Ticketing app({db, queue, clock, random, remote_lock != nullptr ? remote_lock : &local_lock, &cache}, settings);

    NewConcert request{"bench", clock.Now() - 1h, clock.Now() + 24h, {}};
    const int schedules = (clients + 1) / 2;
    for (int i = 0; i < schedules; ++i) request.schedules.push_back({clock.Now() + 48h, 1000, kSeatsPerSchedule});
    const auto concert = app.Catalog().CreateConcert(request).value();
    std::vector<std::vector<SeatId>> seats;
    std::vector<UserId> users;
    {
        auto uow = db.Begin(ports::TxMode::kRead).value();
        for (const auto& s : concert.schedules) {
            std::vector<SeatId> ids;
            const auto listed = uow->ListSeats(s.id).value();
            for (const auto& seat : listed) ids.push_back(seat.id);
            seats.push_back(std::move(ids));
        }
    }
    for (int i = 0; i < clients; ++i) {
        users.push_back(app.Accounts().CreateUser("buyer").value().id);
        (void)app.Accounts().Charge(users.back(), kMaxCharge, std::nullopt);
    }
    std::vector<std::size_t> next(static_cast<std::size_t>(clients), 0);
    std::atomic<std::int64_t> paid{0};
    auto figures = bench::Run(clients, std::numeric_limits<std::int64_t>::max(), duration, [&](int t, std::int64_t) {
        const auto c = static_cast<std::size_t>(t);
        auto token = app.Queue().Join(concert.concert.id, users[c]);
        if (!token) return false;
        (void)queue.Tick(concert.concert.id, clock.Now(), 5min, kAdmitAll);
        const std::vector<SeatId> pick{seats[c / 2][next[c]++ % kSeatsPerSchedule]};
        auto hold = app.Reservations().Hold(token->position.info.token, concert.schedules[c / 2].id, pick);
        if (!hold) {
            (void)app.Queue().Leave(token->position.info.token);
            return false;  // a lost seat: counted as a conflict
        }
        if (!app.Payments().Pay(token->position.info.token, hold->id, std::nullopt)) return false;
        ++paid;
        return true;
    });

    // Verdict: every paid hold sold its seat once, and money adds up.
    std::int64_t sold = 0;
    std::int64_t tickets = 0;
    std::set<std::int64_t> ticket_seats;
    Money balances = 0;
    auto uow = db.Begin(ports::TxMode::kRead).value();
    for (const auto& s : concert.schedules) {
        const auto listed = uow->ListSeats(s.id).value();
        for (const auto& seat : listed) sold += seat.status == SeatStatus::kSold ? 1 : 0;
    }
    for (auto user : users) {
        balances += uow->FindUser(user).value()->balance;
        for (ports::PageRequest page{0, 100};;) {
            auto batch = uow->ListTicketsByUser(user, page).value();
            for (const auto& t : batch) {
                ++tickets;
                ticket_seats.insert(t.seat_id.value);
            }
            if (batch.size() < 100) break;
            page.after = batch.back().id.value;
        }
    }
    const bool ok = sold == paid && tickets == paid && static_cast<std::int64_t>(ticket_seats.size()) == paid &&
                    balances + paid * 1000 == static_cast<Money>(clients) * kMaxCharge;
    return {figures, paid.load(), ok ? "ok" : "VIOLATED"};
}

}  // namespace

int main(int argc, char** argv) {
    const char* env_mysql = std::getenv("TICKETING_TEST_MYSQL");
    const char* env_redis = std::getenv("TICKETING_TEST_REDIS");
    const std::string server =
        argc > 1 ? argv[1]
                 : (env_mysql != nullptr ? env_mysql : "mysql://ticketing:ticketing@127.0.0.1:3307/ticketing");
    const int clients = argc > 2 ? std::atoi(argv[2]) : 16;
    const auto duration =
        std::chrono::milliseconds(static_cast<std::int64_t>((argc > 3 ? std::atof(argv[3]) : 5.0) * 1000));
    const std::string redis_url = argc > 4 ? argv[4] : (env_redis != nullptr ? env_redis : "");

    const auto database = [&](const std::string& what) {
        const auto name = "bench_" + std::to_string(::getpid()) + "_" + what;
        auto created =
            sql::DropMysqlDatabase(server, name).and_then([&] { return sql::CreateMysqlDatabase(server, name); });
        if (!created) throw std::runtime_error(created.error().message);
        return sql::WithMysqlDatabase(server, name);
    };
    std::printf(
        "MariaDB %s, %d clients, %.1f s per run\n",
        server.c_str(),
        clients,
        static_cast<double>(duration.count()) / 1000
    );

    const auto reference_url = database("reference");
    const auto reference = Reference(reference_url, clients, duration);
    bench::Print("reference UPDATE+COMMIT", reference);

    std::shared_ptr<redis::RedisClient> redis_client;
    std::unique_ptr<redis::RedisLock> redis_lock;
    if (!redis_url.empty()) {
        auto options = redis::ParseRedisUrl(redis_url);
        if (options) {
            options->pool_size = static_cast<std::size_t>(clients) + 2;
            redis_client = std::make_shared<redis::RedisClient>(*options);
            redis_lock = std::make_unique<redis::RedisLock>(
                redis_client, redis::RedisLockOptions{"bench:" + std::to_string(::getpid()) + ":", true}
            );
        }
    }

    std::printf(
        "\n%-12s %10s %10s %10s %10s %10s %8s %s\n",
        "strategy",
        "attempts/s",
        "paid/s",
        "p50 us",
        "p99 us",
        "conflicts",
        "ratio",
        "verdict"
    );
    std::printf(
        "%-12s %10.0f %10.0f %10.1f %10.1f %10s %8s\n",
        "reference",
        reference.ops_per_sec,
        reference.ops_per_sec,
        reference.p50_us,
        reference.p99_us,
        "-",
        "1.00"
    );
    bool all_ok = true;
    for (auto kind : {LockStrategyKind::kOptimistic, LockStrategyKind::kPessimistic, LockStrategyKind::kRedis}) {
        if (kind == LockStrategyKind::kRedis && !redis_lock) {
            std::printf("%-12s skipped: no Redis URL\n", "redis");
            continue;
        }
        const std::string name(ToString(kind));
        const auto url = database(name);
        const auto outcome = HoldPay(url, kind, redis_lock.get(), clients, duration);
        const double paid_per_sec = static_cast<double>(outcome.paid) /
                                    (static_cast<double>(outcome.attempts.ops) / outcome.attempts.ops_per_sec);
        std::printf(
            "%-12s %10.0f %10.0f %10.1f %10.1f %10lld %8.2f %s\n",
            name.c_str(),
            outcome.attempts.ops_per_sec,
            paid_per_sec,
            outcome.attempts.p50_us,
            outcome.attempts.p99_us,
            static_cast<long long>(outcome.attempts.errors),
            paid_per_sec / reference.ops_per_sec,
            outcome.verdict.c_str()
        );
        all_ok = all_ok && outcome.verdict == "ok";
        (void)sql::DropMysqlDatabase(server, "bench_" + std::to_string(::getpid()) + "_" + name);
    }
    (void)sql::DropMysqlDatabase(server, "bench_" + std::to_string(::getpid()) + "_reference");
    std::printf("\nratio = paid hold+pay transactions per second / reference transactions per second\n");
    return all_ok ? 0 : 1;
}
