// Statements per hold of 2 seats and its payment on MariaDB, counted by the server itself (SHOW
// GLOBAL STATUS), under each lock strategy: the bounds of issue 13, so the figure cannot creep back.
// The counters are global: this test runs alone (RUN_SERIAL) on the services' server.
#include <gtest/gtest.h>

#include <ticketing/redis/redis_client.hpp>
#include <ticketing/redis/redis_lock.hpp>

#include "hold_pay.hpp"
#include "sql_test_support.hpp"

namespace ticketing::testing {
namespace {

constexpr int kRounds = 50;

struct Bound {
    LockStrategyKind strategy;
    double max_statements;
};

class StatementCount : public ::testing::TestWithParam<Bound> {};

TEST_P(StatementCount, HoldAndPayStayWithinTheBound) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
    const auto [strategy, bound] = GetParam();
    std::shared_ptr<redis::RedisClient> redis;
    std::unique_ptr<redis::RedisLock> lock;
    const auto prefix = UniqueName("stmt:") + ":";
    if (strategy == LockStrategyKind::kRedis) {
        TK_REQUIRE_SERVICE("TICKETING_TEST_REDIS");
        redis = std::make_shared<redis::RedisClient>(OrThrow(redis::ParseRedisUrl(ServiceUrl("TICKETING_TEST_REDIS"))));
        lock = std::make_unique<redis::RedisLock>(redis, redis::RedisLockOptions{prefix, true});
    }
    TempMysql database;
    bench::HoldPayRig rig(database.Url(), strategy, lock.get(), 1, 1, 2 * (kRounds + 1));
    auto status = RawSession(database.Url());
    const auto per = bench::CountHoldPay(rig, *status, kRounds);
    if (redis) (void)redis->DeleteKeysWithPrefix(prefix);

    RecordProperty("statements", std::to_string(per.total));
    std::printf(
        "%s: %.1f statements per hold+pay (select %.1f, insert %.1f, update %.1f, delete %.1f, begin %.1f, "
        "commit %.1f, rollback %.1f)\n",
        ToString(strategy).data(),
        per.total,
        per.select,
        per.insert,
        per.update,
        per.del,
        per.begin,
        per.commit,
        per.rollback
    );
    EXPECT_LE(per.total, bound);
    // Every round did its work: 2 seats sold per round, the money moved once.
    EXPECT_EQ(rig.Paid(), kRounds + 1);
    EXPECT_EQ(Scalar(*status, "SELECT COUNT(*) FROM seat WHERE status = 2"), 2 * (kRounds + 1));
    EXPECT_EQ(Scalar(*status, "SELECT COUNT(*) FROM ticket WHERE status = 0"), 2 * (kRounds + 1));
    EXPECT_EQ(Scalar(*status, "SELECT balance FROM users"), kMaxCharge - 2 * (kRounds + 1) * bench::HoldPayRig::kPrice);
}

INSTANTIATE_TEST_SUITE_P(
    Mariadb,
    StatementCount,
    ::testing::Values(
        Bound{LockStrategyKind::kOptimistic, 18},
        Bound{LockStrategyKind::kPessimistic, 18},
        Bound{LockStrategyKind::kRedis, 20}
    ),
    [](const auto& param_info) { return std::string(ToString(param_info.param.strategy)); }
);

}  // namespace
}  // namespace ticketing::testing
