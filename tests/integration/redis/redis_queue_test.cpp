// The Redis queue store at scale and under concurrent tickers, and with real (short) TTLs.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <ticketing/app/system.hpp>
#include <ticketing/redis/redis_catalog_cache.hpp>
#include <ticketing/redis/redis_queue_store.hpp>

#include "redis_fixture.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

const Timestamp kT0 = Timestamp{Millis{1'767'000'000'000}};

class RedisQueueTest : public RedisTest {
protected:
    void SetUp() override {
        RedisTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        store_ = std::make_unique<redis::RedisQueueStore>(client_, redis::RedisQueueStoreOptions{prefix_});
    }

    std::string NewToken(ConcertId concert) { return MakeQueueToken(concert, random_.Token()); }

    SystemRandom random_;
    std::unique_ptr<redis::RedisQueueStore> store_;
};

TEST_F(RedisQueueTest, TenThousandJoinsFromEightThreadsGetPositionsOneToNInJoinOrder) {
    constexpr int kThreads = 8;
    constexpr int kUsers = 10'000;
    const ConcertId concert{1};
    std::atomic<int> next_user{1};
    std::vector<std::string> token_of(kUsers + 1);
    std::vector<std::int64_t> position_of(kUsers + 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int user = next_user++; user <= kUsers; user = next_user++) {
                auto joined = store_->Join(concert, UserId{user}, NewToken(concert), kT0, QueueSettings{});
                ASSERT_TRUE(joined.has_value()) << joined.error().message;
                ASSERT_TRUE(joined->created);
                token_of[static_cast<std::size_t>(user)] = joined->view.info.token;
                position_of[static_cast<std::size_t>(user)] = joined->view.info.position;
            }
        });
    }
    for (auto& t : threads) t.join();

    // Every position 1..N exactly once; each is the one the join got (nobody overtook anybody).
    std::vector<std::int64_t> sorted(position_of.begin() + 1, position_of.end());
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < kUsers; ++i) ASSERT_EQ(sorted[static_cast<std::size_t>(i)], i + 1);
    for (int user = 1; user <= kUsers; user += 97) {
        auto view = store_->Lookup(token_of[static_cast<std::size_t>(user)], kT0, QueueSettings{});
        ASSERT_TRUE(view.has_value() && view->has_value());
        EXPECT_EQ((*view)->info.position, position_of[static_cast<std::size_t>(user)]);
    }
    auto again = store_->Join(concert, UserId{4242}, NewToken(concert), kT0, QueueSettings{});
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(again->created);
    EXPECT_EQ(again->view.info.token, token_of[4242]);
    EXPECT_EQ(again->view.info.position, position_of[4242]);
    EXPECT_EQ(store_->Stats(concert, kT0, QueueSettings{})->waiting, kUsers);
}

TEST_F(RedisQueueTest, FourConcurrentTickersNeverExceedMaxActiveNorDropAnybody) {
    const ConcertId concert{2};
    const QueueSettings settings{.max_active = 40, .admit_per_tick = 7, .tick_interval = 1s, .paused = false};
    constexpr int kUsers = 1'000;
    constexpr Millis kActiveTtl = 5s;  // five ticks: slots come back while the test runs
    for (int user = 1; user <= kUsers; ++user) {
        ASSERT_TRUE(store_->Join(concert, UserId{user}, NewToken(concert), kT0, settings).has_value());
    }
    std::atomic<std::int64_t> admitted{0};
    std::atomic<std::int64_t> expired{0};
    std::atomic<int> ran{0};
    std::atomic<bool> over_limit{false};
    std::vector<std::thread> tickers;
    for (int t = 0; t < 4; ++t) {
        tickers.emplace_back([&] {
            for (int tick = 1; tick <= 200; ++tick) {
                // Every ticker tries every tick time: only one may run each.
                const auto now = kT0 + Seconds{tick};
                auto outcome = store_->Tick(concert, now, kActiveTtl, settings);
                ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
                if (outcome->ran) ++ran;
                admitted += outcome->admitted;
                expired += outcome->expired;
                auto stats = store_->Stats(concert, now, settings);
                ASSERT_TRUE(stats.has_value());
                if (stats->active > settings.max_active) over_limit = true;
            }
        });
    }
    for (auto& t : tickers) t.join();
    EXPECT_FALSE(over_limit.load());
    EXPECT_LE(ran.load(), 200);
    auto stats = store_->Stats(concert, kT0 + 200s, settings).value();
    EXPECT_EQ(stats.admitted_total, admitted.load());
    // Nobody left the queue without being admitted, and nobody was admitted twice.
    EXPECT_EQ(stats.waiting + stats.admitted_total, kUsers);
    EXPECT_GT(admitted.load(), settings.max_active);  // slots were recycled after expiry
    EXPECT_EQ(expired.load() + stats.active, admitted.load() - 0);

    // A tick that can admit nobody (queue full) leaves the waiting line alone.
    const QueueSettings full{.max_active = 0, .admit_per_tick = 7, .tick_interval = 1s, .paused = false};
    const auto waiting_before = stats.waiting;
    auto none = store_->Tick(concert, kT0 + 500s, kActiveTtl, full).value();
    EXPECT_TRUE(none.ran);
    EXPECT_EQ(none.admitted, 0);
    EXPECT_EQ(store_->Stats(concert, kT0 + 500s, full)->waiting, waiting_before);
}

TEST_F(RedisQueueTest, ShortRealTtlsExpireActiveDropIdleAndCloseTheGap) {
    const ConcertId concert{3};
    const QueueSettings settings{.max_active = 2, .admit_per_tick = 2, .tick_interval = 1s, .paused = false};
    const auto now = [] { return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()); };
    std::vector<std::string> tokens;
    for (int user = 1; user <= 6; ++user) {
        tokens.push_back(store_->Join(concert, UserId{user}, NewToken(concert), now(), settings)->view.info.token);
    }
    ASSERT_EQ(store_->Tick(concert, now(), 300ms, settings)->admitted, 2);  // users 1, 2 ACTIVE for 300 ms
    std::this_thread::sleep_for(200ms);
    // Users 4 and 6 poll; 3 and 5 stay silent.
    ASSERT_TRUE(store_->Lookup(tokens[3], now(), settings)->has_value());
    ASSERT_TRUE(store_->Lookup(tokens[5], now(), settings)->has_value());
    std::this_thread::sleep_for(200ms);

    EXPECT_FALSE(store_->Lookup(tokens[0], now(), settings)->has_value());  // active TTL passed
    EXPECT_EQ(store_->Stats(concert, now(), settings)->active, 0);
    EXPECT_EQ(store_->DropIdle(concert, now() - 300ms).value(), 2);  // 3 and 5
    EXPECT_FALSE(store_->Lookup(tokens[2], now(), settings)->has_value());
    EXPECT_EQ(store_->Lookup(tokens[3], now(), settings).value()->info.position, 1);
    EXPECT_EQ(store_->Lookup(tokens[5], now(), settings).value()->info.position, 2);
    auto tick = store_->Tick(concert, now() + 1s, 300ms, settings).value();
    EXPECT_EQ(tick.expired, 2);
    EXPECT_EQ(tick.admitted, 2);
}

TEST_F(RedisQueueTest, ConcertsAreListedAndScriptsSurviveAScriptFlush) {
    const ConcertId concert{4};
    ASSERT_TRUE(store_->Join(concert, UserId{1}, NewToken(concert), kT0, QueueSettings{}).has_value());
    ASSERT_TRUE(client_->Command({"SCRIPT", "FLUSH"}).has_value());  // NOSCRIPT -> EVAL fallback
    auto token = store_->Join(concert, UserId{2}, NewToken(concert), kT0, QueueSettings{});
    ASSERT_TRUE(token.has_value()) << token.error().message;
    EXPECT_EQ(token->view.info.position, 2);
    auto concerts = store_->Concerts().value();
    EXPECT_EQ(concerts, std::vector<ConcertId>{concert});
}

TEST(RedisUrl, ParsesUserPasswordEscapesAndIpv6) {
    auto full = redis::ParseRedisUrl("redis://alice:p%40ss@cache.local:6380/2").value();
    EXPECT_EQ(full.user, "alice");
    EXPECT_EQ(full.password, "p@ss");
    EXPECT_EQ(full.host, "cache.local");
    EXPECT_EQ(full.port, 6380);
    EXPECT_EQ(full.db, 2);
    auto v6 = redis::ParseRedisUrl("redis://[::1]:6390/0").value();
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 6390);
    EXPECT_EQ(redis::ParseRedisUrl("redis://:secret@h").value().password, "secret");
    EXPECT_FALSE(redis::ParseRedisUrl("redis://a:b%4@h").has_value());
    EXPECT_FALSE(redis::ParseRedisUrl("http://h").has_value());
}

TEST_F(RedisQueueTest, LosingTheCatalogGenerationNeverBringsOldEntriesBack) {
    redis::RedisCatalogCache cache(client_, redis::RedisCatalogCacheOptions{prefix_});
    const auto old = cache.Get("concerts").value().generation;
    ASSERT_TRUE(cache.Put("concerts", "OLD", 30s, old).has_value());
    ASSERT_TRUE(cache.InvalidateAll().has_value());
    ASSERT_TRUE(client_->Command({"DEL", prefix_ + "cc:{catalog}:gen"}).has_value());
    auto read = cache.Get("concerts").value();
    EXPECT_FALSE(read.value.has_value());
    EXPECT_GT(read.generation, old);
}

}  // namespace
}  // namespace ticketing::testing
