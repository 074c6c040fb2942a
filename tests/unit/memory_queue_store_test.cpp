// The in-process queue store forgets queues nobody uses, so it does not grow with every concert.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <ticketing/memory/memory_queue_store.hpp>

#include "expect.hpp"
#include "world.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

const QueueSettings kDefaults{};

// "<concert>.<32 hex digits>", the shape QueueTokenConcert reads.
std::string Token(ConcertId concert, int n) {
    const auto digits = std::to_string(n);
    return std::to_string(concert.value) + "." + std::string(32 - digits.size(), '0') + digits;
}

std::vector<ConcertId> Concerts(memory::MemoryQueueStore& store) {
    return store.Concerts().value();
}

TEST(MemoryQueueStoreRetention, AnEmptyIdleQueueIsDroppedAndJoinsStartAFreshOne) {
    memory::MemoryQueueStore store;
    const ConcertId concert{7};
    ASSERT_TRUE(store.Join(concert, UserId{1}, Token(concert, 1), kStart, kDefaults).has_value());
    // A waiting user keeps the queue, even idle: DropIdle drops the user first, then the queue.
    EXPECT_EQ(TK_OK(store.DropIdle(concert, kStart)), 0);
    EXPECT_EQ(Concerts(store).size(), 1U);
    EXPECT_EQ(TK_OK(store.DropIdle(concert, kStart + 1min)), 1);
    EXPECT_TRUE(Concerts(store).empty());
    EXPECT_FALSE(TK_OK(store.Lookup(Token(concert, 1), kStart + 1min, kDefaults)).has_value());

    auto joined = TK_OK(store.Join(concert, UserId{2}, Token(concert, 2), kStart + 2min, kDefaults));
    EXPECT_TRUE(joined.created);
    EXPECT_EQ(joined.view.info.position, 1);
    EXPECT_EQ(Concerts(store).size(), 1U);
}

TEST(MemoryQueueStoreRetention, AQueueWithTokensSettingsOrRecentJoinsIsKept) {
    memory::MemoryQueueStore store;
    const ConcertId tuned{1}, active{2}, recent{3};
    QueueSettingsPatch pause;
    pause.paused = true;
    ASSERT_TRUE(store.UpdateSettings(tuned, pause, kStart, kDefaults).has_value());
    ASSERT_TRUE(store.Join(active, UserId{1}, Token(active, 1), kStart, kDefaults).has_value());
    ASSERT_TRUE(TK_OK(store.Tick(active, kStart, 5min, kDefaults)).ran);  // ACTIVE: not idle-dropped
    ASSERT_TRUE(store.Join(recent, UserId{1}, Token(recent, 1), kStart + 10min, kDefaults).has_value());
    ASSERT_TRUE(store.Leave(Token(recent, 1)).has_value());
    for (auto concert : {tuned, active, recent}) ASSERT_TRUE(store.DropIdle(concert, kStart + 1min).has_value());
    EXPECT_EQ(Concerts(store).size(), 3U);
}

TEST(MemoryQueueStoreRetention, AJoinRacingADropIsNeverLost) {
    memory::MemoryQueueStore store;
    constexpr int kConcerts = 2000;
    // Queues that were used once, long ago: each is droppable until its next join.
    for (int i = 1; i <= kConcerts; ++i) {
        ASSERT_TRUE(store.Join(ConcertId{i}, UserId{1}, Token(ConcertId{i}, 0), kStart, kDefaults).has_value());
        ASSERT_TRUE(store.Leave(Token(ConcertId{i}, 0)).has_value());
    }
    std::atomic<bool> stop{false};
    std::thread dropper([&] {
        while (!stop) {
            for (int i = 1; i <= kConcerts; ++i) (void)store.DropIdle(ConcertId{i}, kStart + 1h);
        }
    });
    for (int i = 1; i <= kConcerts; ++i) {
        const ConcertId concert{i};
        ASSERT_TRUE(store.Join(concert, UserId{2}, Token(concert, 1), kStart + 2h, kDefaults).has_value());
        // A fresh join is neither idle nor in a dropped queue, whatever the dropper was doing.
        ASSERT_TRUE(TK_OK(store.Lookup(Token(concert, 1), kStart + 2h, kDefaults)).has_value()) << i;
    }
    stop = true;
    dropper.join();
    EXPECT_EQ(Concerts(store).size(), static_cast<std::size_t>(kConcerts));
}

}  // namespace
}  // namespace ticketing::testing
