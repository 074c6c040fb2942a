// The Redis lease lock: mutual exclusion at volume, fencing of a stalled holder, renewal.
#include <atomic>
#include <thread>
#include <ticketing/memory/memory_database.hpp>
#include <ticketing/redis/redis_lock.hpp>

#include "redis_fixture.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

class RedisLockTest : public RedisTest {
protected:
    std::unique_ptr<redis::RedisLock> MakeLock(bool renew) {
        return std::make_unique<redis::RedisLock>(client_, redis::RedisLockOptions{prefix_, renew});
    }
};

TEST_F(RedisLockTest, EightThreadsTimesAThousandIncrementsLoseNoUpdate) {
    auto lock = MakeLock(true);
    const std::string counter_key = prefix_ + "counter";
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                auto lease = lock->Acquire({"counter"}, 5s, 30s);
                if (!lease) {
                    ++failures;
                    continue;
                }
                // A read-modify-write in two round trips: only the lease keeps it whole.
                auto read = client_->Command({"GET", counter_key});
                const auto value = read && !read->IsNil() ? std::stoll(read->str) : 0;
                if (!client_->Command({"SET", counter_key, std::to_string(value + 1)})) ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(client_->Command({"GET", counter_key})->str, "8000");
}

TEST_F(RedisLockTest, AHolderPausedPastItsTtlHasItsFencedWriteRefused) {
    auto lock = MakeLock(false);  // no renewal: the holder "stalls" as a paused process would
    memory::MemoryDatabase db;
    auto stale = lock->Acquire({"seat:1"}, 200ms, 100ms).value();
    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(stale->Held());

    auto fresh = lock->Acquire({"seat:1"}, 5s, 1s).value();
    ASSERT_GT(fresh->Fences()[0].token, stale->Fences()[0].token);
    {
        auto uow = db.Begin(ports::TxMode::kOptimistic).value();
        ASSERT_TRUE(uow->AdvanceFence("seat:1", fresh->Fences()[0].token).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = db.Begin(ports::TxMode::kOptimistic).value();
    auto refused = uow->AdvanceFence("seat:1", stale->Fences()[0].token);
    auto committed = refused ? uow->Commit() : Result<void>(refused);
    ASSERT_FALSE(committed.has_value());
    EXPECT_EQ(committed.error().code, Errc::kAborted);

    stale.reset();  // its token-checked release leaves the new holder's key alone
    EXPECT_TRUE(fresh->Held());
    auto third = lock->Acquire({"seat:1"}, 5s, 50ms);
    ASSERT_FALSE(third.has_value());
    EXPECT_EQ(third.error().code, Errc::kConflict);
}

TEST_F(RedisLockTest, RenewalKeepsALongHolderAndNobodyElseGetsIn) {
    auto lock = MakeLock(true);
    auto other_lock = MakeLock(true);  // another "instance" on the same keys
    auto lease = lock->Acquire({"seat:2", "seat:3"}, 300ms, 100ms).value();
    const auto until = std::chrono::steady_clock::now() + 900ms;  // 3x the TTL
    while (std::chrono::steady_clock::now() < until) {
        auto intruder = other_lock->Acquire({"seat:3"}, 300ms, 20ms);
        ASSERT_FALSE(intruder.has_value());
        EXPECT_EQ(intruder.error().code, Errc::kConflict);
        EXPECT_TRUE(lease->Held());
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(lease->Held());
    lease.reset();
    EXPECT_TRUE(other_lock->Acquire({"seat:3"}, 300ms, 100ms).has_value());
}

TEST_F(RedisLockTest, ALeaseWhoseKeyWasStolenIsLostAtTheNextRenewal) {
    auto lock = MakeLock(true);
    auto lease = lock->Acquire({"seat:4"}, 300ms, 100ms).value();
    // Someone (an operator, a failover that lost writes) replaces the owner token.
    ASSERT_TRUE(client_->Command({"SET", prefix_ + "{seat:4}", "someone-else", "PX", "5000"}).has_value());
    std::this_thread::sleep_for(250ms);
    EXPECT_FALSE(lease->Held());
}

TEST_F(RedisLockTest, FencesKeepGrowingWhenRedisLosesTheFenceKey) {
    auto lock = MakeLock(true);
    memory::MemoryDatabase db;
    std::uint64_t last = 0;
    for (int round = 0; round < 3; ++round) {
        auto lease = lock->Acquire({"seat:9"}, 5s, 1s).value();
        const auto fence = lease->Fences()[0].token;
        EXPECT_GT(fence, last);
        last = fence;
        auto uow = db.Begin(ports::TxMode::kOptimistic).value();
        ASSERT_TRUE(uow->AdvanceFence("seat:9", fence).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
        // As a restart without persistence, a failover or an eviction would.
        ASSERT_TRUE(client_->Command({"DEL", prefix_ + "fence:{seat:9}"}).has_value());
    }
}

}  // namespace
}  // namespace ticketing::testing
