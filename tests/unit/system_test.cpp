// The system adapters the core ships: OS randomness shared by every thread.
#include <mutex>
#include <set>
#include <thread>
#include <ticketing/app/system.hpp>

#include "unit.hpp"

namespace ticketing::testing {
namespace {

TEST(SystemRandom, ThreadsDrawDistinctWellFormedTokens) {
    SystemRandom random;
    constexpr int kThreads = 8;
    constexpr int kEach = 500;
    std::mutex mutex;
    std::set<std::string> tokens;
    std::set<std::string> uuids;
    std::vector<std::thread> pool;
    for (int t = 0; t < kThreads; ++t) {
        pool.emplace_back([&] {
            std::vector<std::string> mine;
            std::vector<std::string> my_uuids;
            for (int i = 0; i < kEach; ++i) {
                mine.push_back(random.Token());
                my_uuids.push_back(random.Uuid());
                EXPECT_LT(random.Below(7), 7U);
            }
            std::lock_guard lock(mutex);
            tokens.insert(mine.begin(), mine.end());
            uuids.insert(my_uuids.begin(), my_uuids.end());
        });
    }
    for (auto& t : pool) t.join();
    EXPECT_EQ(tokens.size(), std::size_t{kThreads * kEach});
    EXPECT_EQ(uuids.size(), std::size_t{kThreads * kEach});
    for (const auto& token : tokens) {
        ASSERT_EQ(token.size(), 32U);  // 128 bits
        ASSERT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
    }
    for (const auto& uuid : uuids) {
        ASSERT_EQ(uuid.size(), 36U);
        ASSERT_EQ(uuid[14], '4') << uuid;
        ASSERT_NE(std::string("89ab").find(uuid[19]), std::string::npos) << uuid;
    }
}

TEST(SystemRandom, BelowCoversItsRange) {
    SystemRandom random;
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 1000; ++i) seen.insert(random.Below(4));
    EXPECT_EQ(seen, (std::set<std::uint64_t>{0, 1, 2, 3}));
    EXPECT_EQ(random.Below(0), 0U);
}

}  // namespace
}  // namespace ticketing::testing
