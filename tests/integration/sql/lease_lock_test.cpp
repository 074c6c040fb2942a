// SqlLeaseLock across instances: two SqlDatabase objects on one database stand for two servers.
#include <gtest/gtest.h>

#include <ticketing/app/system.hpp>
#include <ticketing/memory/manual_clock.hpp>
#include <ticketing/sql/sql_lease_lock.hpp>

#include "expect.hpp"
#include "sql_test_support.hpp"
#include "world.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

class SqlLeaseLockInstances : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        std::string url = sqlite_.Url();
        if (GetParam() == "mysql") {
            TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
            mysql_ = std::make_unique<TempMysql>();
            url = mysql_->Url();
        }
        first_db_ = OrThrow(sql::SqlDatabase::Open({.url = url}));
        second_db_ = OrThrow(sql::SqlDatabase::Open({.url = url}));
        first_ = std::make_unique<sql::SqlLeaseLock>(*first_db_, clock_, random_);
        second_ = std::make_unique<sql::SqlLeaseLock>(*second_db_, clock_, random_);
    }

    TempSqlite sqlite_;
    std::unique_ptr<TempMysql> mysql_;
    memory::ManualClock clock_{kStart};
    SystemRandom random_;
    std::unique_ptr<sql::SqlDatabase> first_db_;
    std::unique_ptr<sql::SqlDatabase> second_db_;
    std::unique_ptr<sql::SqlLeaseLock> first_;
    std::unique_ptr<sql::SqlLeaseLock> second_;
};

TEST_P(SqlLeaseLockInstances, OneInstanceRunsTheJobUntilItsLeaseLapses) {
    auto lapsed = TK_OK(first_->Acquire({"job:expire-holds"}, 10s, 10ms));
    TK_EXPECT_ERROR(second_->Acquire({"job:expire-holds"}, 10s, 20ms), Errc::kConflict);
    clock_.Advance(11s);  // the first instance stalls past its TTL
    EXPECT_FALSE(lapsed->Held());
    auto next = TK_OK(second_->Acquire({"job:expire-holds"}, 10s, 10ms));
    EXPECT_GT(next->Fences()[0].token, lapsed->Fences()[0].token);
    lapsed.reset();  // the lapsed holder's release is token-checked: the key stays taken
    TK_EXPECT_ERROR(first_->Acquire({"job:expire-holds"}, 10s, 20ms), Errc::kConflict);
    next.reset();
    auto again = TK_OK(first_->Acquire({"job:expire-holds"}, 10s, 10ms));
    EXPECT_TRUE(again->Held());
}

TEST_P(SqlLeaseLockInstances, ALapsedHoldersFencedWriteIsRefused) {
    auto lapsed = TK_OK(first_->Acquire({"lock:seat:1"}, 1s, 10ms));
    clock_.Advance(2s);
    auto next = TK_OK(second_->Acquire({"lock:seat:1"}, 1s, 10ms));
    {
        auto uow = TK_OK(second_db_->Begin(ports::TxMode::kOptimistic));
        ASSERT_TRUE(uow->AdvanceFence("lock:seat:1", next->Fences()[0].token).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = TK_OK(first_db_->Begin(ports::TxMode::kOptimistic));
    TK_EXPECT_ERROR(uow->AdvanceFence("lock:seat:1", lapsed->Fences()[0].token), Errc::kAborted);
}

std::string DialectName(const ::testing::TestParamInfo<std::string>& dialect) {
    return dialect.param;
}

INSTANTIATE_TEST_SUITE_P(Dialects, SqlLeaseLockInstances, ::testing::Values("sqlite", "mysql"), DialectName);

}  // namespace
}  // namespace ticketing::testing
