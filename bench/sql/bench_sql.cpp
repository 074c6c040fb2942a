// Hold + pay transactions per second on MariaDB from N clients under each lock strategy, beside a
// reference measured in the same run on the same server: a plain single-row UPDATE + COMMIT per
// client (raw SOCI, no library code). Each strategy gets a fresh database; clients race pairwise
// for the same seats, so half the holds conflict; catalog reads are cached in process, as a server
// wires them. Ends with a correctness verdict per strategy and the statements the server ran per
// operation (its status counters): under the load above, and per 2-seat hold+pay from one client.
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
#include <ticketing/redact.hpp>
#include <ticketing/redis/redis_client.hpp>
#include <ticketing/redis/redis_lock.hpp>

#include "../support/hold_pay.hpp"
#include "../support/load.hpp"
#include "../support/soci_url.hpp"

namespace {

using namespace ticketing;
using namespace std::chrono_literals;

constexpr int kSeatsPerSchedule = 5000;
constexpr int kCountedRounds = 50;

std::string Fixed(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", value);
    return text;
}

struct Measured {
    bench::Figures figures;
    bench::StatementCounts per_op;  ///< statements the server ran per call (all clients, lost races included)
};

Measured Reference(const std::string& url, int clients, std::chrono::milliseconds duration) {
    soci::session status(*soci::factory_mysql(), bench::SociConnect(url));
    status << "CREATE TABLE IF NOT EXISTS bench_reference (id INT PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB";
    for (int i = 0; i < clients; ++i) status << "REPLACE INTO bench_reference VALUES (" << i << ", 0)";
    std::vector<std::unique_ptr<soci::session>> sessions;
    for (int i = 0; i < clients; ++i)
        sessions.push_back(std::make_unique<soci::session>(*soci::factory_mysql(), bench::SociConnect(url)));
    bench::StatementCounter counter(status);
    const auto start = counter.Read();
    auto figures = bench::Run(clients, std::numeric_limits<std::int64_t>::max(), duration, [&](int t, std::int64_t) {
        auto& s = *sessions[static_cast<std::size_t>(t)];
        s.begin();
        s << "UPDATE bench_reference SET n = n + 1 WHERE id = :id", soci::use(t);
        s.commit();
        return true;
    });
    return {figures, counter.Since(start) / static_cast<double>(figures.ops)};
}

struct Outcome {
    Measured attempts;  ///< under load: lost seats and retries included
    std::int64_t paid{0};
    bench::StatementCounts per_hold_pay;  ///< one buyer, 2 seats, no contention
    std::string verdict;
};

Outcome HoldPay(
    const std::string& url,
    LockStrategyKind kind,
    ports::DistributedLock* remote_lock,
    int clients,
    std::chrono::milliseconds duration
) {
    const int schedules = (clients + 1) / 2;
    bench::HoldPayRig rig(url, kind, remote_lock, clients, schedules + 1, kSeatsPerSchedule);
    soci::session status(*soci::factory_mysql(), bench::SociConnect(url));
    bench::StatementCounter counter(status);
    std::vector<std::size_t> next(static_cast<std::size_t>(clients), 0);
    const auto start = counter.Read();
    auto figures = bench::Run(clients, std::numeric_limits<std::int64_t>::max(), duration, [&](int t, std::int64_t) {
        const auto c = static_cast<std::size_t>(t);
        // Clients race pairwise for the seats of their schedule; the last schedule is left for the count.
        return rig.JoinHoldPay(c, c / 2, {rig.Seats()[c / 2][next[c]++ % kSeatsPerSchedule]});
    });
    const auto under_load = counter.Since(start) / static_cast<double>(figures.ops);
    const auto paid = rig.Paid();
    // Verdict: every paid hold sold its seat once, and money adds up.
    std::int64_t sold = 0;
    std::int64_t tickets = 0;
    std::set<std::int64_t> ticket_seats;
    Money balances = 0;
    {
        auto uow = rig.Db().Begin(ports::TxMode::kRead).value();
        for (const auto& s : rig.Concert().schedules) {
            const auto listed = uow->ListSeats(s.id).value();
            for (const auto& seat : listed) sold += seat.status == SeatStatus::kSold ? 1 : 0;
        }
        for (auto user : rig.Users()) {
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
    }
    const bool ok = sold == paid && tickets == paid && static_cast<std::int64_t>(ticket_seats.size()) == paid &&
                    balances + paid * bench::HoldPayRig::kPrice == static_cast<Money>(clients) * kMaxCharge;
    return {
        {figures, under_load},
        paid,
        bench::CountHoldPay(rig, status, kCountedRounds, static_cast<std::size_t>(schedules)),
        ok ? "ok" : "VIOLATED"};
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
    bench::Print("reference UPDATE+COMMIT", reference.figures);

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

    const auto row = [](const std::string& name,
                        const bench::Figures& f,
                        double paid_per_sec,
                        const bench::StatementCounts& per_op,
                        const std::string& hold_pay,
                        double ratio,
                        const std::string& verdict) {
        std::printf(
            "%-12s %10.0f %10.0f %10.1f %10.1f %10lld %8.1f %9s %8.2f %s\n",
            name.c_str(),
            f.ops_per_sec,
            paid_per_sec,
            f.p50_us,
            f.p99_us,
            static_cast<long long>(f.errors),
            per_op.total,
            hold_pay.c_str(),
            ratio,
            verdict.c_str()
        );
    };
    std::printf(
        "\n%-12s %10s %10s %10s %10s %10s %8s %9s %8s %s\n",
        "strategy",
        "attempts/s",
        "paid/s",
        "p50 us",
        "p99 us",
        "conflicts",
        "stmts/op",
        "stmts/h+p",
        "ratio",
        "verdict"
    );
    const auto& ref = reference.figures;
    row("reference", ref, ref.ops_per_sec, reference.per_op, "-", 1.0, "");
    bool all_ok = true;
    std::vector<std::pair<std::string, bench::StatementCounts>> kinds;
    for (auto kind : {LockStrategyKind::kOptimistic, LockStrategyKind::kPessimistic, LockStrategyKind::kRedis}) {
        if (kind == LockStrategyKind::kRedis && !redis_lock) {
            std::printf("%-12s skipped: no Redis URL\n", "redis");
            continue;
        }
        const std::string name(ToString(kind));
        const auto url = database(name);
        const auto outcome = HoldPay(url, kind, redis_lock.get(), clients, duration);
        const auto& f = outcome.attempts.figures;
        const double paid_per_sec = static_cast<double>(outcome.paid) / (static_cast<double>(f.ops) / f.ops_per_sec);
        row(name,
            f,
            paid_per_sec,
            outcome.attempts.per_op,
            Fixed(outcome.per_hold_pay.total),
            paid_per_sec / ref.ops_per_sec,
            outcome.verdict);
        kinds.emplace_back(name, outcome.per_hold_pay);
        all_ok = all_ok && outcome.verdict == "ok";
        (void)sql::DropMysqlDatabase(server, "bench_" + std::to_string(::getpid()) + "_" + name);
    }
    (void)sql::DropMysqlDatabase(server, "bench_" + std::to_string(::getpid()) + "_reference");
    std::printf(
        "\nratio = paid hold+pay transactions per second / reference transactions per second\n"
        "stmts/op = statements the server ran per attempt (join, hold, pay; reference: UPDATE+COMMIT) in the run "
        "above\n"
        "stmts/h+p = statements per hold of 2 seats and its payment, one client, no contention, %d rounds:\n\n",
        kCountedRounds
    );
    std::printf(
        "%-12s %6s %6s %6s %6s %6s %6s %6s %8s\n",
        "strategy",
        "total",
        "select",
        "insert",
        "update",
        "delete",
        "begin",
        "commit",
        "rollback"
    );
    for (const auto& [name, c] : kinds) {
        std::printf(
            "%-12s %6.1f %6.1f %6.1f %6.1f %6.1f %6.1f %6.1f %8.1f\n",
            name.c_str(),
            c.total,
            c.select,
            c.insert,
            c.update,
            c.del,
            c.begin,
            c.commit,
            c.rollback
        );
    }
    return all_ok ? 0 : 1;
}
