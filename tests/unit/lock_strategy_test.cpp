// The strategies over mocked ports: retries, fences, leases.
#include <gmock/gmock.h>

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

TEST(LockStrategy, LostRacesAreRetriedThenReportedAsConflict) {
    memory::MemoryDatabase db;
    SystemRandom random;
    auto strategy = MakeLockStrategy(Fast(LockStrategyKind::kOptimistic).lock, db, nullptr, random);
    int calls = 0;
    auto result = strategy->Run({"user:1"}, [&](ports::UnitOfWork&) -> Result<void> {
        ++calls;
        return MakeError(Errc::kAborted, "version changed");
    });
    EXPECT_EQ(calls, 3);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::kConflict);
}

TEST(LockStrategy, BusinessErrorsAreNotRetried) {
    memory::MemoryDatabase db;
    SystemRandom random;
    auto strategy = MakeLockStrategy(Fast(LockStrategyKind::kPessimistic).lock, db, nullptr, random);
    int calls = 0;
    auto result = strategy->Run({"user:1"}, [&](ports::UnitOfWork&) -> Result<void> {
        ++calls;
        return MakeError(Errc::kSeatUnavailable, "seat 1 is held");
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(result.error().code, Errc::kSeatUnavailable);
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

TEST(LockStrategy, BusyLockIsAConflictAndADownBackendIsUnavailable) {
    memory::MemoryDatabase db;
    SystemRandom random;
    MockLock lock;
    EXPECT_CALL(lock, Acquire(_, _, _))
        .WillOnce(Return(ByMove(Result<std::unique_ptr<ports::Lease>>(MakeError(Errc::kConflict, "busy")))))
        .WillOnce(Return(ByMove(Result<std::unique_ptr<ports::Lease>>(MakeError(Errc::kUnavailable, "down")))));
    auto strategy = MakeLockStrategy(Fast(LockStrategyKind::kRedis).lock, db, &lock, random);
    auto work = [](ports::UnitOfWork&) -> Result<void> { return {}; };
    EXPECT_EQ(strategy->Run({"k"}, work).error().code, Errc::kConflict);
    EXPECT_EQ(strategy->Run({"k"}, work).error().code, Errc::kUnavailable);
}

TEST(LockStrategy, RedisStrategyNeedsALock) {
    memory::MemoryDatabase db;
    SystemRandom random;
    EXPECT_THROW(MakeLockStrategy(Fast(LockStrategyKind::kRedis).lock, db, nullptr, random), std::invalid_argument);
}

}  // namespace
}  // namespace ticketing::testing
