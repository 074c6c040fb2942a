// What only the in-process adapters can show without waiting: leases lapse on the clock, row locks time out, commit
// checks.
#include <atomic>
#include <future>
#include <ticketing/memory/memory_database.hpp>
#include <ticketing/memory/memory_lock.hpp>

#include "unit.hpp"

namespace ticketing::testing {
namespace {

TEST(MemoryLock, AHolderPausedPastItsTtlHasItsFencedWriteRefused) {
    memory::ManualClock clock{kStart};
    SystemRandom random;
    memory::MemoryLock lock(clock, random);
    memory::MemoryDatabase db;

    auto paused = lock.Acquire({"lock:seat:1"}, 1s, 10ms).value();
    clock.Advance(2s);  // the holder stalls past its TTL
    EXPECT_FALSE(paused->Held());
    auto next = lock.Acquire({"lock:seat:1"}, 1s, 10ms).value();
    ASSERT_GT(next->Fences()[0].token, paused->Fences()[0].token);
    {
        auto uow = db.Begin(ports::TxMode::kOptimistic).value();
        ASSERT_TRUE(uow->AdvanceFence("lock:seat:1", next->Fences()[0].token));
        ASSERT_TRUE(uow->Commit());
    }
    auto uow = db.Begin(ports::TxMode::kOptimistic).value();
    EXPECT_EQ(uow->AdvanceFence("lock:seat:1", paused->Fences()[0].token).error().code, Errc::kAborted);
    paused.reset();  // its release must not free the new holder's key
    EXPECT_EQ(lock.Acquire({"lock:seat:1"}, 1s, 5ms).error().code, Errc::kConflict);
}

std::uint64_t FenceOf(memory::MemoryLock& lock, const std::string& key) {
    return lock.Acquire({key}, 1s, 0ms).value()->Fences()[0].token;
}

TEST(MemoryLock, FencesNeverGoBackAfterARestart) {
    memory::ManualClock clock{kStart};
    SystemRandom random;
    std::uint64_t last = 0;
    {
        memory::MemoryLock before(clock, random);
        for (int i = 0; i < 3; ++i) last = FenceOf(before, "lock:seat:1");
    }
    clock.Advance(1ms);
    memory::MemoryLock restarted(clock, random);  // the database still holds `last`
    EXPECT_GT(FenceOf(restarted, "lock:seat:1"), last);
}

TEST(MemoryLock, ForgetsOnlyIdleKeysPastTheRetentionAge) {
    memory::ManualClock clock{kStart};
    SystemRandom random;
    memory::MemoryLock lock(clock, random);
    const auto old_fence = FenceOf(lock, "lock:a");
    (void)FenceOf(lock, "lock:b");
    auto held = lock.Acquire({"lock:c"}, 3h, 0ms).value();
    clock.Advance(2h);
    (void)FenceOf(lock, "lock:d");  // recent

    EXPECT_EQ(lock.Forget(1h), 2);  // a and b: c is held, d is recent
    EXPECT_EQ(lock.Forget(1h), 0);
    EXPECT_GT(FenceOf(lock, "lock:a"), old_fence);
    held.reset();
    clock.Advance(2h);
    EXPECT_EQ(lock.Forget(1h), 3);  // a, c, d
}

// Asks the lock for a free key from another thread the first time it is asked for a number: that
// must not wait for the caller, i.e. the lock reads randomness outside its mutex.
class ProbingRandom final : public ports::Random {
public:
    std::string Token() override { return inner_.Token(); }
    std::string Uuid() override { return inner_.Uuid(); }
    std::uint64_t Below(std::uint64_t bound) override {
        if (lock != nullptr && !probed_.exchange(true)) {
            probe_ = std::async(std::launch::async, [this] { return lock->Acquire({"lock:probe"}, 1s, 0ms); });
            probe_answered = probe_.wait_for(2s) == std::future_status::ready;
        }
        return inner_.Below(bound);
    }

    memory::MemoryLock* lock{nullptr};
    bool probe_answered{false};

private:
    SystemRandom inner_;
    std::atomic<bool> probed_{false};
    std::future<Result<std::unique_ptr<ports::Lease>>> probe_;  // outlives Below: it may finish later
};

TEST(MemoryLock, ReadsRandomnessOutsideItsMutex) {
    memory::ManualClock clock{kStart};
    ProbingRandom random;
    memory::MemoryLock lock(clock, random);
    auto busy = lock.Acquire({"lock:seat:1"}, 1s, 0ms).value();
    random.lock = &lock;
    EXPECT_EQ(lock.Acquire({"lock:seat:1"}, 1s, 1ms).error().code, Errc::kConflict);
    EXPECT_TRUE(random.probe_answered);
}

}  // namespace
}  // namespace ticketing::testing

namespace ticketing::testing {
namespace {

TEST(MemoryDatabase, RowLockWaitTimesOutAsAConflict) {
    memory::MemoryDatabase db(memory::MemoryDatabaseOptions{50ms});
    UserId id;
    {
        auto uow = db.Begin(ports::TxMode::kOptimistic).value();
        id = uow->InsertUser({{}, "kim", 0, 0}).value();
        ASSERT_TRUE(uow->Commit());
    }
    auto holder = db.Begin(ports::TxMode::kPessimistic).value();
    ASSERT_TRUE(holder->FindUserForUpdate(id));
    auto waiter = db.Begin(ports::TxMode::kPessimistic).value();
    const auto started = std::chrono::steady_clock::now();
    auto blocked = waiter->FindUserForUpdate(id);
    ASSERT_FALSE(blocked);
    EXPECT_EQ(blocked.error().code, Errc::kConflict);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 50ms);
    holder.reset();  // rolled back: the lock is free again
    auto next = db.Begin(ports::TxMode::kPessimistic).value();
    EXPECT_TRUE(next->FindUserForUpdate(id));
}

}  // namespace
}  // namespace ticketing::testing

namespace ticketing::testing {
namespace {

TEST(MemoryDatabase, ADeleteDoesNotDropARecordStoredSinceItWasRead) {
    memory::MemoryDatabase db;
    const auto put = [&](ports::UnitOfWork& uow, const char* hash, Timestamp at) {
        return uow.InsertIdempotency({UserId{1}, "k", hash, "r", at});
    };
    {
        auto uow = db.Begin(ports::TxMode::kOptimistic).value();
        ASSERT_TRUE(put(*uow, "old", kStart));
        ASSERT_TRUE(uow->Commit());
    }
    auto slow = db.Begin(ports::TxMode::kOptimistic).value();
    ASSERT_TRUE(slow->DeleteIdempotency(UserId{1}, "k"));  // replaces the lapsed "old" record...
    {
        auto fast = db.Begin(ports::TxMode::kOptimistic).value();  // ...but another request does first
        ASSERT_TRUE(fast->DeleteIdempotency(UserId{1}, "k"));
        ASSERT_TRUE(put(*fast, "fresh", kStart + 1s));
        ASSERT_TRUE(fast->Commit());
    }
    ASSERT_TRUE(put(*slow, "mine", kStart + 2s));
    EXPECT_EQ(slow->Commit().error().code, Errc::kAborted);
    auto read = db.Begin(ports::TxMode::kRead).value();
    EXPECT_EQ(read->FindIdempotency(UserId{1}, "k").value()->request_hash, "fresh");
}

}  // namespace
}  // namespace ticketing::testing
