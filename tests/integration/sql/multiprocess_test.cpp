// Many processes on one database: 4 worker processes x 8 threads race to buy 50 seats (exactly 50
// sold, no seat in two tickets, money conserved), and a worker SIGKILLed mid-payment leaves no
// half-written purchase behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <thread>

#include "sql_test_support.hpp"
#include "world.hpp"

extern char** environ;

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

struct Seeded {
    ConcertId concert;
    ScheduleId schedule;
};

Seeded SeedConcert(const std::string& url, std::int32_t seats, Money price) {
    World world(SqlBackend(url, 2), LockStrategyKind::kPessimistic);
    auto created = world.NewConcert(seats, price);
    return {created.concert.id, created.schedules.at(0).id};
}

std::string WorkerCommand(const std::string& url, Seeded seeded, int threads, const char* strategy) {
    return std::string(TK_SQL_RACE_WORKER) + " '" + url + "' " + std::to_string(seeded.concert.value) + " " +
           std::to_string(seeded.schedule.value) + " " + std::to_string(threads) + " " + strategy;
}

// Invariants that hold whatever happened to the writers.
void ExpectConsistent(soci::session& sql) {
    EXPECT_EQ(
        Scalar(sql, "SELECT COUNT(*) FROM ticket WHERE status = 0"),
        Scalar(sql, "SELECT COUNT(DISTINCT seat_id) FROM ticket WHERE status = 0")
    ) << "a seat in two live tickets";
    EXPECT_EQ(
        Scalar(
            sql,
            "SELECT COUNT(*) FROM payment p WHERE NOT EXISTS "
            "(SELECT 1 FROM ticket t WHERE t.payment_id = p.id)"
        ),
        0
    ) << "a payment without tickets";
    EXPECT_EQ(
        Scalar(
            sql,
            "SELECT COUNT(*) FROM users u WHERE u.balance <> "
            "(SELECT COALESCE(SUM(l.amount), 0) FROM ledger l WHERE l.user_id = u.id)"
        ),
        0
    ) << "a balance change without its ledger row";
    EXPECT_EQ(
        Scalar(
            sql,
            "SELECT COUNT(*) FROM seat s WHERE s.status = 2 AND NOT EXISTS "
            "(SELECT 1 FROM ticket t WHERE t.seat_id = s.id AND t.status = 0)"
        ),
        0
    ) << "a SOLD seat without a ticket";
    EXPECT_EQ(
        Scalar(sql, "SELECT COALESCE(SUM(amount), 0) FROM payment"),
        Scalar(sql, "SELECT COALESCE(SUM(price), 0) FROM ticket WHERE status = 0")
    ) << "payments and tickets disagree";
    EXPECT_EQ(
        Scalar(sql, "SELECT COUNT(*) FROM payment"),
        Scalar(sql, "SELECT COUNT(*) FROM outbox WHERE type = 'payment.completed'")
    ) << "a payment without its event";
}

void RaceForFiftySeats(const std::string& url, const char* strategy) {
    constexpr Money kPrice = 10'000;
    const auto seeded = SeedConcert(url, 50, kPrice);
    const auto command = WorkerCommand(url, seeded, 8, strategy);
    std::vector<FILE*> workers;
    for (int i = 0; i < 4; ++i) workers.push_back(::popen(command.c_str(), "r"));
    long long sold = 0;
    long long spent = 0;
    for (FILE* worker : workers) {
        ASSERT_NE(worker, nullptr);
        long long s = 0;
        long long m = 0;
        EXPECT_EQ(std::fscanf(worker, "sold %lld spent %lld", &s, &m), 2);
        EXPECT_EQ(::pclose(worker), 0);
        sold += s;
        spent += m;
    }
    EXPECT_EQ(sold, 50);
    EXPECT_EQ(spent, 50 * kPrice);
    auto sql = RawSession(url);
    EXPECT_EQ(Scalar(*sql, "SELECT COUNT(*) FROM seat WHERE status = 2"), 50);
    EXPECT_EQ(Scalar(*sql, "SELECT COUNT(*) FROM ticket WHERE status = 0"), 50);
    EXPECT_EQ(Scalar(*sql, "SELECT COALESCE(SUM(amount), 0) FROM payment"), 50 * kPrice);
    ExpectConsistent(*sql);
}

void KillWorkerMidPayment(const std::string& url) {
    const auto seeded = SeedConcert(url, 2000, 1'000);
    const std::string concert = std::to_string(seeded.concert.value);
    const std::string schedule = std::to_string(seeded.schedule.value);
    const char* argv[] = {
        TK_SQL_RACE_WORKER, url.c_str(), concert.c_str(), schedule.c_str(), "4", "pessimistic", nullptr};
    pid_t pid = 0;
    ASSERT_EQ(::posix_spawn(&pid, TK_SQL_RACE_WORKER, nullptr, nullptr, const_cast<char**>(argv), environ), 0);
    auto sql = RawSession(url);
    // Let it sell for a while, then kill it without warning, most likely inside a transaction.
    for (int i = 0; i < 100 && Scalar(*sql, "SELECT COUNT(*) FROM payment") < 20; ++i)
        std::this_thread::sleep_for(50ms);
    std::this_thread::sleep_for(300ms);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_GT(Scalar(*sql, "SELECT COUNT(*) FROM payment"), 0) << "the worker never paid: nothing was tested";
    ExpectConsistent(*sql);
}

TEST(SqlMultiProcess, SqliteFourProcessesSellFiftySeatsOnce) {
    TempSqlite file;
    OrThrow(sql::SqlDatabase::Open({.url = file.Url()}));  // migrates
    RaceForFiftySeats(file.Url(), "pessimistic");
}

TEST(SqlMultiProcess, MariadbFourProcessesSellFiftySeatsOncePessimistic) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
    TempMysql db;
    OrThrow(sql::SqlDatabase::Open({.url = db.Url()}));  // migrates
    RaceForFiftySeats(db.Url(), "pessimistic");
}

TEST(SqlMultiProcess, MariadbFourProcessesSellFiftySeatsOnceOptimistic) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
    TempMysql db;
    OrThrow(sql::SqlDatabase::Open({.url = db.Url()}));  // migrates
    RaceForFiftySeats(db.Url(), "optimistic");
}

TEST(SqlCrash, SqliteKilledWorkerLeavesNoHalfPurchase) {
    TempSqlite file;
    OrThrow(sql::SqlDatabase::Open({.url = file.Url()}));  // migrates
    KillWorkerMidPayment(file.Url());
}

TEST(SqlCrash, MariadbKilledWorkerLeavesNoHalfPurchase) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
    TempMysql db;
    OrThrow(sql::SqlDatabase::Open({.url = db.Url()}));  // migrates
    KillWorkerMidPayment(db.Url());
}

}  // namespace
}  // namespace ticketing::testing
