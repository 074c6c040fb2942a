// GroupCommit: each caller gets its own answer, never more batches in flight than allowed, and a
// batch that throws still releases everyone in it.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <ticketing/group_commit.hpp>
#include <vector>

namespace ticketing::testing {
namespace {

struct Square {
    int input{0};
    int output{-1};
};

TEST(GroupCommit, EachCallerGetsItsOwnAnswerWithinTheInFlightLimit) {
    GroupCommit<Square> group(2);
    std::atomic<int> running{0};
    std::atomic<int> most{0};
    std::atomic<int> batches{0};
    std::atomic<int> wrong{0};
    const auto run = [&](std::span<Square* const> batch) {
        const int now = ++running;
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
        }
        ++batches;
        std::this_thread::yield();
        for (auto* item : batch) item->output = item->input * item->input;
        --running;
    };
    std::vector<std::thread> threads;
    constexpr int kThreads = 8;
    constexpr int kCalls = 2000;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kCalls; ++i) {
                Square item{t * kCalls + i};
                group.Submit(item, run);
                if (item.output != item.input * item.input) ++wrong;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_LE(most.load(), 2);
    EXPECT_LE(batches.load(), kThreads * kCalls);
}

TEST(GroupCommit, AThrowingBatchReleasesItsCallersAndTellsTheOneThatRanIt) {
    GroupCommit<Square> group(1);
    Square item{3};
    EXPECT_THROW(
        group.Submit(item, [](std::span<Square* const>) { throw std::runtime_error("down"); }), std::runtime_error
    );
    EXPECT_EQ(item.output, -1);
    group.Submit(item, [](std::span<Square* const> batch) {
        for (auto* i : batch) i->output = i->input * i->input;
    });
    EXPECT_EQ(item.output, 9);
}

}  // namespace
}  // namespace ticketing::testing
