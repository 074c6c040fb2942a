// The DistributedLock contract. A lapsed lease depends on how each lock renews (a remote lock renews
// in the background), so it is tested per adapter.
#include <atomic>
#include <thread>

#include "contract.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

TEST_P(DistributedLockContract, AcquireReleaseAndFencesGrow) {
    auto& lock = backend_->Lock();
    std::uint64_t first_fence = 0;
    {
        auto lease = TK_OK(lock.Acquire({"k:b", "k:a"}, 2s, 100ms));
        ASSERT_EQ(lease->Fences().size(), 2U);
        EXPECT_EQ(lease->Fences()[0].resource, "k:a");  // sorted
        EXPECT_TRUE(lease->Held());
        first_fence = lease->Fences()[0].token;
        TK_EXPECT_ERROR(lock.Acquire({"k:a"}, 2s, 50ms), Errc::kConflict);
        TK_EXPECT_ERROR(lock.Acquire({"k:c", "k:b"}, 2s, 50ms), Errc::kConflict);
    }
    auto again = TK_OK(lock.Acquire({"k:a"}, 2s, 100ms));
    EXPECT_GT(again->Fences()[0].token, first_fence);
    auto other = TK_OK(lock.Acquire({"k:c"}, 2s, 100ms));  // all-or-nothing: k:c was not left taken
    EXPECT_TRUE(other->Held());
}

// Tokens are max(last + 1, clock µs): they outgrow what an earlier process stored in a shared
// database, and a fence row far below the clock can be forgotten (RetentionService).
TEST_P(DistributedLockContract, FencingTokensAreAtLeastTheClockInMicroseconds) {
    const auto now_us = static_cast<std::uint64_t>(clock_.Now().time_since_epoch().count()) * 1000;
    auto lease = TK_OK(backend_->Lock().Acquire({"k:a"}, 2s, 100ms));
    EXPECT_GE(lease->Fences()[0].token, now_us);
}

TEST_P(DistributedLockContract, WaiterGetsTheLockWhenItIsReleased) {
    auto& lock = backend_->Lock();
    auto held = std::make_unique<std::unique_ptr<ports::Lease>>(TK_OK(lock.Acquire({"k:a"}, 5s, 100ms)));
    std::thread releaser([&] {
        std::this_thread::sleep_for(100ms);
        held->reset();
    });
    auto waited = lock.Acquire({"k:a"}, 5s, 3s);
    releaser.join();
    ASSERT_TRUE(waited.has_value()) << waited.error().message;
}

TEST_P(DistributedLockContract, MutualExclusionUnderContention) {
    auto& lock = backend_->Lock();
    constexpr int kThreads = 8;
    constexpr int kRounds = 50;
    std::int64_t counter = 0;  // deliberately unsynchronised: only the lease protects it
    std::atomic<int> inside{0};
    std::atomic<int> overlaps{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kRounds; ++i) {
                auto lease = lock.Acquire({"k:counter"}, 5s, 10s);
                ASSERT_TRUE(lease.has_value()) << lease.error().message;
                if (inside.fetch_add(1) != 0) ++overlaps;
                const auto read = counter;
                std::this_thread::yield();
                counter = read + 1;
                inside.fetch_sub(1);
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(overlaps.load(), 0);
    EXPECT_EQ(counter, kThreads * kRounds);
}

}  // namespace
}  // namespace ticketing::testing
