// `ticketing bench locks` through its library: a small matrix whose correctness verdict must hold on
// every row, and the stalled holder whose stale write the fencing token must refuse, every time.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <ticketing/cli/bench_locks.hpp>

#include "services.hpp"

namespace ticketing::cli {
namespace {

using namespace std::chrono_literals;

BenchOptions Small() {
    BenchOptions options;
    options.clients = 4;
    options.duration = 500ms;
    options.work_dir = std::filesystem::temp_directory_path().string();
    return options;
}

void ExpectSound(const std::vector<BenchRow>& rows) {
    for (const auto& row : rows) {
        SCOPED_TRACE(row.scenario + " " + row.strategy + " " + row.backend);
        EXPECT_TRUE(row.ok) << row.verdict;
        EXPECT_EQ(row.verdict, "ok");
        EXPECT_EQ(row.unexpected_errors, 0);
        EXPECT_EQ(row.seats_sold, row.tickets_issued);
        EXPECT_EQ(row.seats_sold_twice, 0);
        EXPECT_TRUE(row.money_conserved);
        EXPECT_GT(row.committed, 0);
        if (row.scenario == ToString(Scenario::kStalledHolder)) {
            EXPECT_EQ(row.strategy, "redis");
            EXPECT_EQ(row.stale_writes, 0);
            EXPECT_GT(row.fence_refusals, 0);
            EXPECT_EQ(row.fence_refusals, row.calls);  // the fence refused every stale write itself
            EXPECT_EQ(row.lock_waits, row.calls);      // the other writer waited out the stalled lease
        }
    }
}

TEST(BenchLocks, EveryRowOfASmallMatrixOnMemoryAndSqliteKeepsTheInvariants) {
    auto run = RunBenchLocks(Small());
    ASSERT_TRUE(run.has_value()) << run.error().message;
    // 3 load scenarios x 3 strategies x 2 backends, plus the stalled holder under redis on both.
    ASSERT_EQ(run->size(), 3U * 3U * 2U + 2U);
    ExpectSound(*run);
}

TEST(BenchLocks, TheStalledHolderNeverCommitsOnMariadbWithRedisLeases) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
    TK_REQUIRE_SERVICE("TICKETING_TEST_REDIS");
    auto options = Small();
    options.mysql_url = testing::ServiceUrl("TICKETING_TEST_MYSQL");
    options.redis_url = testing::ServiceUrl("TICKETING_TEST_REDIS");
    options.scenarios = {Scenario::kHotSeat, Scenario::kStalledHolder};
    auto run = RunBenchLocks(options);
    ASSERT_TRUE(run.has_value()) << run.error().message;
    std::set<std::string> backends;
    for (const auto& row : *run) backends.insert(row.backend);
    EXPECT_EQ(backends, (std::set<std::string>{"memory", "sqlite", "mariadb", "mariadb+redis"}));
    ExpectSound(*run);
}

TEST(BenchLocks, BadOptionsAndUnreachableBackendsAreErrors) {
    auto options = Small();
    options.clients = 0;
    EXPECT_EQ(RunBenchLocks(options).error().code, Errc::kInvalidArgument);
    options = Small();
    options.scenarios = {Scenario::kHotSeat};
    options.mysql_url = "mysql://u:p@127.0.0.1:1/x";
    EXPECT_EQ(RunBenchLocks(options).error().code, Errc::kUnavailable);
    EXPECT_EQ(ParseScenario("nope").error().code, Errc::kInvalidArgument);
    EXPECT_EQ(ParseScenario("stalled-holder").value(), Scenario::kStalledHolder);
}

}  // namespace
}  // namespace ticketing::cli
