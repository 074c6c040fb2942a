// The strategies over mocked ports: retries, fences, leases.
#include <gmock/gmock.h>

#include <thread>
#include <ticketing/app/atomic_metrics.hpp>
#include <ticketing/app/lock_strategy.hpp>
#include <ticketing/memory/memory_database.hpp>

#include "unit.hpp"

namespace ticketing::testing {
namespace {

using ::testing::_;
using ::testing::ByMove;
using ::testing::Return;

class MockLease final : public ports::Lease {
public:
    explicit MockLease(std::vector<ports::Fence> fences, bool held = true) : fences_(std::move(fences)), held_(held) {}
    const std::vector<ports::Fence>& Fences() const override { return fences_; }
    bool Held() const override { return held_; }

private:
    std::vector<ports::Fence> fences_;
    bool held_;
};

class MockLock final : public ports::DistributedLock {
public:
    MOCK_METHOD(Result<std::unique_ptr<ports::Lease>>, Acquire, (std::vector<std::string>, Millis, Millis), (override));
};

Settings Fast(LockStrategyKind kind, int attempts = 3) {
    Settings s;
    s.lock.kind = kind;
    s.lock.max_attempts = attempts;
    s.lock.backoff_base = 0ms;
    return s;
}

using ports::LockEvent;

TEST(LockStrategy, LostRacesAreRetriedThenReportedAsConflict) {
    memory::MemoryDatabase db;
    SystemRandom random;
    AtomicMetrics metrics;
    auto strategy = MakeLockStrategy(Fast(LockStrategyKind::kOptimistic).lock, db, nullptr, random, &metrics);
    int calls = 0;
    auto result = strategy->Run({"user:1"}, [&](ports::UnitOfWork&) -> Result<void> {
        ++calls;
        return MakeError(Errc::kAborted, "version changed");
    });
    EXPECT_EQ(calls, 3);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::kConflict);
    const auto counted = metrics.Snapshot();
    EXPECT_EQ(counted.Lock(LockStrategyKind::kOptimistic, LockEvent::kAttempt), 3);
    EXPECT_EQ(counted.Lock(LockStrategyKind::kOptimistic, LockEvent::kVersionConflict), 3);
    EXPECT_EQ(counted.Lock(LockStrategyKind::kOptimistic, LockEvent::kRetry), 2);
    EXPECT_EQ(counted.Lock(LockStrategyKind::kOptimistic, LockEvent::kConflictGivenUp), 1);
    EXPECT_EQ(counted.Lock(LockStrategyKind::kPessimistic, LockEvent::kAttempt), 0);
}

TEST(LockStrategy, BusinessErrorsAreNotRetried) {
    memory::MemoryDatabase db;
    SystemRandom random;
    AtomicMetrics metrics;
    auto strategy = MakeLockStrategy(Fast(LockStrategyKind::kPessimistic).lock, db, nullptr, random, &metrics);
    int calls = 0;
    auto result = strategy->Run({"user:1"}, [&](ports::UnitOfWork&) -> Result<void> {
        ++calls;
        return MakeError(Errc::kConflict, "the reservation is already paid");  // a rule, not a lost race
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(result.error().code, Errc::kConflict);
    const auto counted = metrics.Snapshot();
    EXPECT_EQ(counted.Lock(LockStrategyKind::kPessimistic, LockEvent::kAttempt), 1);
    EXPECT_EQ(counted.Lock(LockStrategyKind::kPessimistic, LockEvent::kVersionConflict), 0);
    EXPECT_EQ(counted.Lock(LockStrategyKind::kPessimistic, LockEvent::kRetry), 0);
    EXPECT_EQ(counted.Lock(LockStrategyKind::kPessimistic, LockEvent::kConflictGivenUp), 0);
}

TEST(LockStrategy, RedisStrategyLocksSortedKeysAndFencesTheWrite) {
    memory::MemoryDatabase db;
    SystemRandom random;
    MockLock lock;
    EXPECT_CALL(lock, Acquire(std::vector<std::string>{"lock:seat:1", "lock:seat:2"}, _, _))
        .WillOnce([](auto, auto, auto) -> Result<std::unique_ptr<ports::Lease>> {
            return std::make_unique<MockLease>(std::vector<ports::Fence>{{"lock:seat:1", 7}, {"lock:seat:2", 3}});
        });
    auto strategy = MakeLockStrategy(Fast(LockStrategyKind::kRedis).lock, db, &lock, random);
    ASSERT_TRUE(strategy->Run({"seat:2", "seat:1", "seat:2"}, [](ports::UnitOfWork&) -> Result<void> { return {}; }));
    // The fences were recorded: an older token for the same key is now refused.
    auto uow = db.Begin(ports::TxMode::kOptimistic).value();
    EXPECT_EQ(uow->AdvanceFence("lock:seat:1", 6).error().code, Errc::kAborted);
}

// Keys read from the database answer `answers[i]` on the i-th read (the last one from then on).
LockKeys ReadKeys(std::vector<std::vector<std::string>> answers, int& reads) {
    return LockKeys{{"user:1"}, [answers = std::move(answers), &reads](ports::UnitOfWork&) {
                        const auto i = std::min(static_cast<std::size_t>(reads++), answers.size() - 1);
                        return Result<std::vector<std::string>>(answers[i]);
                    }};
}

// Grants every lease asked for, recording its keys.
void GrantAll(MockLock& lock, std::vector<std::vector<std::string>>& leased) {
    EXPECT_CALL(lock, Acquire(_, _, _))
        .WillRepeatedly([&](std::vector<std::string> keys, auto, auto) -> Result<std::unique_ptr<ports::Lease>> {
            leased.push_back(keys);
            std::vector<ports::Fence> fences;
            for (auto& key : keys) fences.push_back({key, 1});
            return std::make_unique<MockLease>(std::move(fences));
        });
}

TEST(LockStrategy, RedisStrategyRetriesWhenARowToLockAppearedBeforeTheLease) {
    memory::MemoryDatabase db;
    SystemRandom random;
    AtomicMetrics metrics;
    MockLock lock;
    std::vector<std::vector<std::string>> leased;
    GrantAll(lock, leased);
    auto strategy = MakeLockStrategy(Fast(LockStrategyKind::kRedis).lock, db, &lock, random, &metrics);
    int reads = 0;
    int runs = 0;
    // Read before the lease: seat 1; inside it: seats 1 and 2, which the lease does not cover.
    auto keys = ReadKeys({{"seat:1"}, {"seat:1", "seat:2"}}, reads);
    ASSERT_TRUE(strategy->Run(keys, [&](ports::UnitOfWork&) -> Result<void> {
        ++runs;
        return {};
    }));
    EXPECT_EQ(runs, 1);
    ASSERT_EQ(leased.size(), 2U);
    EXPECT_EQ(leased[0], (std::vector<std::string>{"lock:seat:1", "lock:user:1"}));
    EXPECT_EQ(leased[1], (std::vector<std::string>{"lock:seat:1", "lock:seat:2", "lock:user:1"}));
    EXPECT_EQ(metrics.Snapshot().Lock(LockStrategyKind::kRedis, LockEvent::kVersionConflict), 1);
}

TEST(LockStrategy, RedisStrategyGoesOnWhenARowToLockWentAwayBeforeTheLease) {
    memory::MemoryDatabase db;
    SystemRandom random;
    MockLock lock;
    std::vector<std::vector<std::string>> leased;
    GrantAll(lock, leased);
    auto strategy = MakeLockStrategy(Fast(LockStrategyKind::kRedis).lock, db, &lock, random);
    int reads = 0;
    auto keys = ReadKeys({{"seat:1", "seat:2"}, {"seat:1"}}, reads);
    ASSERT_TRUE(strategy->Run(keys, [](ports::UnitOfWork&) -> Result<void> { return {}; }));
    EXPECT_EQ(leased.size(), 1U);
    EXPECT_EQ(reads, 2);
}

TEST(LockStrategy, TransactionStrategiesNeverReadKeys) {
    memory::MemoryDatabase db;
    SystemRandom random;
    for (auto kind : {LockStrategyKind::kOptimistic, LockStrategyKind::kPessimistic}) {
        auto strategy = MakeLockStrategy(Fast(kind).lock, db, nullptr, random);
        int reads = 0;
        ASSERT_TRUE(strategy->Run(ReadKeys({{"seat:1"}}, reads), [](ports::UnitOfWork&) -> Result<void> { return {}; })
        );
        EXPECT_EQ(reads, 0);
    }
}

TEST(LockStrategy, RedisStrategyRefusesToCommitAfterTheLeaseLapsed) {
    memory::MemoryDatabase db;
    SystemRandom random;
    MockLock lock;
    EXPECT_CALL(lock, Acquire(_, _, _))
        .Times(2)
        .WillRepeatedly([](auto, auto, auto) -> Result<std::unique_ptr<ports::Lease>> {
            return std::make_unique<MockLease>(std::vector<ports::Fence>{{"lock:user:1", 1}}, false);
        });
    auto strategy = MakeLockStrategy(Fast(LockStrategyKind::kRedis, 2).lock, db, &lock, random);
    UserId inserted;
    auto result = strategy->Run({"user:1"}, [&](ports::UnitOfWork& uow) -> Result<void> {
        auto id = uow.InsertUser({{}, "kim", 0, 0});
        inserted = *id;
        return {};
    });
    EXPECT_EQ(result.error().code, Errc::kConflict);
    auto read = db.Begin(ports::TxMode::kRead).value();
    EXPECT_FALSE(read->FindUser(inserted).value().has_value());  // nothing was written
}

Result<std::unique_ptr<ports::Lease>> Failed(Errc code) {
    return MakeError(code, "lock says no");
}

TEST(LockStrategy, BusyLockIsAWaitThenAConflictAndADownBackendIsUnavailable) {
    memory::MemoryDatabase db;
    SystemRandom random;
    AtomicMetrics metrics;
    MockLock lock;
    const auto settings = Fast(LockStrategyKind::kRedis).lock;
    {
        ::testing::InSequence in_order;
        // Busy on the one try, and still busy after the configured wait.
        EXPECT_CALL(lock, Acquire(_, _, Millis{0})).WillOnce(Return(ByMove(Failed(Errc::kConflict))));
        EXPECT_CALL(lock, Acquire(_, _, settings.lease_wait)).WillOnce(Return(ByMove(Failed(Errc::kConflict))));
        EXPECT_CALL(lock, Acquire(_, _, Millis{0})).WillOnce(Return(ByMove(Failed(Errc::kUnavailable))));
    }
    auto strategy = MakeLockStrategy(settings, db, &lock, random, &metrics);
    auto work = [](ports::UnitOfWork&) -> Result<void> { return {}; };
    EXPECT_EQ(strategy->Run({"k"}, work).error().code, Errc::kConflict);
    EXPECT_EQ(strategy->Run({"k"}, work).error().code, Errc::kUnavailable);
    const auto counted = metrics.Snapshot();
    EXPECT_EQ(counted.Lock(LockStrategyKind::kRedis, LockEvent::kAttempt), 2);
    EXPECT_EQ(counted.Lock(LockStrategyKind::kRedis, LockEvent::kLockWait), 1);
    EXPECT_EQ(counted.Lock(LockStrategyKind::kRedis, LockEvent::kConflictGivenUp), 1);
    EXPECT_EQ(counted.Lock(LockStrategyKind::kRedis, LockEvent::kVersionConflict), 0);
}

TEST(AtomicMetrics, CountsFromManyThreads) {
    AtomicMetrics metrics;
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t) {
        pool.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                metrics.OnLock(LockStrategyKind::kRedis, LockEvent::kLockWait);
                metrics.OnSeatsSold(2);
            }
        });
    }
    for (auto& t : pool) t.join();
    const auto counted = metrics.Snapshot();
    EXPECT_EQ(counted.Lock(LockStrategyKind::kRedis, LockEvent::kLockWait), 4000);
    EXPECT_EQ(counted.Lock(LockStrategyKind::kRedis, LockEvent::kAttempt), 0);
    EXPECT_EQ(counted.seats_sold, 8000);
}

TEST(LockStrategy, RedisStrategyNeedsALock) {
    memory::MemoryDatabase db;
    SystemRandom random;
    EXPECT_THROW(MakeLockStrategy(Fast(LockStrategyKind::kRedis).lock, db, nullptr, random), std::invalid_argument);
}

}  // namespace
}  // namespace ticketing::testing
