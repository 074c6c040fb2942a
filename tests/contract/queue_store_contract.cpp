// The QueueStore contract: every queue adapter passes these unchanged.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "contract.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

constexpr Millis kActiveTtl = 5min;

class Queue {
public:
    Queue(ports::QueueStore& store, ports::Random& random, ConcertId concert, const ports::Clock& clock)
        : store_(store), random_(random), concert_(concert), clock_(clock) {}

    JoinOutcome Join(std::int64_t user) {
        return TK_OK(
            store_.Join(concert_, UserId{user}, MakeQueueToken(concert_, random_.Token()), clock_.Now(), settings)
        );
    }
    std::optional<TokenView> Lookup(const std::string& token) {
        return TK_OK(store_.Lookup(token, clock_.Now(), settings));
    }
    std::int64_t Position(const std::string& token) {
        auto view = Lookup(token);
        EXPECT_TRUE(view.has_value()) << token;
        return view ? view->info.position : -1;
    }
    TickOutcome Tick() { return TK_OK(store_.Tick(concert_, clock_.Now(), kActiveTtl, settings)); }
    QueueStats Stats() { return TK_OK(store_.Stats(concert_, clock_.Now(), settings)); }

    QueueSettings settings{.max_active = 3, .admit_per_tick = 2, .tick_interval = 10s, .paused = false};

private:
    ports::QueueStore& store_;
    ports::Random& random_;
    ConcertId concert_;
    const ports::Clock& clock_;
};

TEST_P(QueueStoreContract, JoinGivesStrictFifoPositionsAndIsIdempotentPerUser) {
    Queue q(backend_->Queue(), random_, ConcertId{7}, clock_);
    auto a = q.Join(1);
    auto b = q.Join(2);
    auto c = q.Join(3);
    EXPECT_TRUE(a.created);
    EXPECT_EQ(a.view.info.position, 1);
    EXPECT_EQ(b.view.info.position, 2);
    EXPECT_EQ(c.view.info.position, 3);
    EXPECT_EQ(a.view.info.status, TokenStatus::kWaiting);
    EXPECT_EQ(a.view.info.concert_id, ConcertId{7});
    EXPECT_EQ(a.view.info.user_id, UserId{1});
    auto again = q.Join(2);
    EXPECT_FALSE(again.created);
    EXPECT_EQ(again.view.info.token, b.view.info.token);
    EXPECT_EQ(again.view.info.position, 2);
    EXPECT_EQ(q.Position(c.view.info.token), 3);
    EXPECT_EQ(q.Stats().waiting, 3);
}

// Status polls answered together: the same answers as one by one, in order, whatever the mix of
// concerts, states, unknown and malformed tokens, and the heartbeat of each waiting token restarts.
TEST_P(QueueStoreContract, LookupManyAnswersAsLookupDoesInOrder) {
    Queue first(backend_->Queue(), random_, ConcertId{7}, clock_);
    Queue second(backend_->Queue(), random_, ConcertId{8}, clock_);
    const auto active = first.Join(1).view.info.token;
    first.Tick();
    const auto waiting = first.Join(2).view.info.token;
    const auto elsewhere = second.Join(3).view.info.token;
    const auto unknown = MakeQueueToken(ConcertId{7}, random_.Token());
    const std::vector<std::string> tokens{waiting, "not-a-token", active, unknown, elsewhere, waiting};
    const std::vector<std::string_view> asked(tokens.begin(), tokens.end());
    auto many = backend_->Queue().LookupMany(asked, clock_.Now(), first.settings);
    ASSERT_EQ(many.size(), tokens.size());
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const auto one = TK_OK(backend_->Queue().Lookup(tokens[i], clock_.Now(), first.settings));
        const auto batched = TK_OK(many[i]);
        ASSERT_EQ(batched.has_value(), one.has_value()) << i;
        if (!one) continue;
        EXPECT_EQ(batched->info.token, tokens[i]);
        EXPECT_EQ(batched->info.status, one->info.status) << i;
        EXPECT_EQ(batched->info.position, one->info.position) << i;
        EXPECT_EQ(batched->info.user_id, one->info.user_id) << i;
        EXPECT_EQ(batched->info.concert_id, one->info.concert_id) << i;
    }
    EXPECT_EQ(TK_OK(many[0])->info.status, TokenStatus::kWaiting);
    EXPECT_EQ(TK_OK(many[2])->info.status, TokenStatus::kActive);
    EXPECT_TRUE(backend_->Queue().LookupMany({}, clock_.Now(), first.settings).empty());
}

// Joins answered together: each applied in order as Join would, whatever the mix of concerts, new and
// returning users, and a user listed twice; every concert joined is registered.
TEST_P(QueueStoreContract, JoinManyAppliesEachJoinInOrderAsJoinDoes) {
    Queue first(backend_->Queue(), random_, ConcertId{7}, clock_);
    Queue second(backend_->Queue(), random_, ConcertId{8}, clock_);
    const auto returning = first.Join(1).view.info.token;
    const auto call = [&](std::int64_t concert, std::int64_t user) {
        return ports::QueueStore::JoinCall{
            ConcertId{concert}, UserId{user}, MakeQueueToken(ConcertId{concert}, random_.Token())};
    };
    const std::vector calls{call(7, 2), call(8, 2), call(7, 1), call(7, 3), call(7, 2)};
    auto many = backend_->Queue().JoinMany(calls, clock_.Now(), first.settings);
    ASSERT_EQ(many.size(), calls.size());
    const auto expect = [&](std::size_t i, bool created, const std::string& token, std::int64_t position) {
        const auto outcome = TK_OK(many[i]);
        EXPECT_EQ(outcome.created, created) << i;
        EXPECT_EQ(outcome.view.info.token, token) << i;
        EXPECT_EQ(outcome.view.info.position, position) << i;
        EXPECT_EQ(outcome.view.info.user_id, calls[i].user) << i;
        EXPECT_EQ(outcome.view.info.concert_id, calls[i].concert) << i;
        EXPECT_EQ(outcome.view.info.status, TokenStatus::kWaiting) << i;
    };
    expect(0, true, calls[0].candidate_token, 2);
    expect(1, true, calls[1].candidate_token, 1);
    expect(2, false, returning, 1);
    expect(3, true, calls[3].candidate_token, 3);
    expect(4, false, calls[0].candidate_token, 2);
    EXPECT_EQ(first.Position(calls[3].candidate_token), 3);
    EXPECT_EQ(first.Stats().waiting, 3);
    EXPECT_EQ(second.Stats().waiting, 1);
    auto concerts = TK_OK(backend_->Queue().Concerts());
    std::sort(concerts.begin(), concerts.end());
    EXPECT_EQ(concerts, (std::vector{ConcertId{7}, ConcertId{8}}));
    EXPECT_TRUE(backend_->Queue().JoinMany({}, clock_.Now(), first.settings).empty());
}

TEST_P(QueueStoreContract, UnknownTokensAreNotFound) {
    Queue q(backend_->Queue(), random_, ConcertId{7}, clock_);
    q.Join(1);
    EXPECT_FALSE(q.Lookup(MakeQueueToken(ConcertId{7}, random_.Token())).has_value());
    EXPECT_FALSE(q.Lookup(MakeQueueToken(ConcertId{8}, random_.Token())).has_value());
}

TEST_P(QueueStoreContract, TickAdmitsTheHeadWithinBothLimitsAndRemovesExactlyThose) {
    Queue q(backend_->Queue(), random_, ConcertId{7}, clock_);
    std::vector<std::string> tokens;
    for (int u = 1; u <= 6; ++u) tokens.push_back(q.Join(u).view.info.token);

    auto first = q.Tick();
    EXPECT_TRUE(first.ran);
    EXPECT_EQ(first.admitted, 2);  // admit_per_tick
    auto active = q.Lookup(tokens[0]).value();
    EXPECT_EQ(active.info.status, TokenStatus::kActive);
    EXPECT_EQ(active.info.position, 0);
    EXPECT_EQ(active.info.active_until, clock_.Now() + kActiveTtl);
    EXPECT_EQ(q.Position(tokens[2]), 1);  // shifted by exactly the number admitted
    EXPECT_EQ(q.Position(tokens[5]), 4);

    EXPECT_FALSE(q.Tick().ran);  // interval not elapsed
    clock_.Advance(10s);
    auto second = q.Tick();
    EXPECT_EQ(second.admitted, 1);  // max_active 3 leaves room for one
    EXPECT_EQ(q.Lookup(tokens[2])->info.status, TokenStatus::kActive);
    EXPECT_EQ(q.Position(tokens[3]), 1);
    auto stats = q.Stats();
    EXPECT_EQ(stats.waiting, 3);
    EXPECT_EQ(stats.active, 3);
    EXPECT_EQ(stats.admitted_total, 3);

    clock_.Advance(10s);
    EXPECT_EQ(q.Tick().admitted, 0);  // full
    EXPECT_EQ(q.Stats().waiting, 3);
}

TEST_P(QueueStoreContract, TickOnAnEmptyQueueChangesNothing) {
    Queue q(backend_->Queue(), random_, ConcertId{7}, clock_);
    auto tick = q.Tick();
    EXPECT_EQ(tick.admitted, 0);
    auto a = q.Join(1);
    EXPECT_EQ(q.Position(a.view.info.token), 1);
}

TEST_P(QueueStoreContract, ActiveTokensExpireAndFreeTheirSlots) {
    Queue q(backend_->Queue(), random_, ConcertId{7}, clock_);
    q.settings.max_active = 2;
    auto a = q.Join(1);
    auto b = q.Join(2);
    auto c = q.Join(3);
    q.Tick();
    clock_.Advance(kActiveTtl);
    EXPECT_FALSE(q.Lookup(a.view.info.token).has_value());  // expired exactly at active_until
    auto tick = q.Tick();
    EXPECT_EQ(q.Stats().active, 1);  // expired ones pruned (by this tick or an earlier lookup)
    EXPECT_EQ(tick.admitted, 1);
    EXPECT_EQ(q.Lookup(c.view.info.token)->info.status, TokenStatus::kActive);
    EXPECT_FALSE(q.Lookup(b.view.info.token).has_value());
    // An expired user who joins again gets a new token at the back.
    auto again = q.Join(1);
    EXPECT_TRUE(again.created);
    EXPECT_NE(again.view.info.token, a.view.info.token);
}

TEST_P(QueueStoreContract, IdleWaitingTokensDropAndTheRestCloseTheGap) {
    Queue q(backend_->Queue(), random_, ConcertId{7}, clock_);
    auto a = q.Join(1);
    auto b = q.Join(2);
    auto c = q.Join(3);
    clock_.Advance(4min);
    q.Lookup(c.view.info.token);  // polling is the heartbeat
    clock_.Advance(2min);
    EXPECT_EQ(TK_OK(backend_->Queue().DropIdle(ConcertId{7}, clock_.Now() - 5min)), 2);
    EXPECT_FALSE(q.Lookup(a.view.info.token).has_value());
    EXPECT_FALSE(q.Lookup(b.view.info.token).has_value());
    EXPECT_EQ(q.Position(c.view.info.token), 1);
}

TEST_P(QueueStoreContract, LeaveAndRevoke) {
    Queue q(backend_->Queue(), random_, ConcertId{7}, clock_);
    auto a = q.Join(1);
    auto b = q.Join(2);
    auto c = q.Join(3);
    ASSERT_TRUE(backend_->Queue().Leave(b.view.info.token).has_value());
    ASSERT_TRUE(backend_->Queue().Leave(b.view.info.token).has_value());  // idempotent
    EXPECT_FALSE(q.Lookup(b.view.info.token).has_value());
    EXPECT_EQ(q.Position(c.view.info.token), 2);

    q.Tick();
    ASSERT_TRUE(backend_->Queue().Revoke(a.view.info.token, clock_.Now() + 1h).has_value());
    auto revoked = q.Lookup(a.view.info.token).value();
    EXPECT_EQ(revoked.info.status, TokenStatus::kRevoked);
    EXPECT_EQ(revoked.info.user_id, UserId{1});
    EXPECT_EQ(q.Stats().active, 1);
    auto rejoined = q.Join(1);  // a revoked token does not block a new join
    EXPECT_TRUE(rejoined.created);
    clock_.Advance(1h);
    EXPECT_FALSE(q.Lookup(a.view.info.token).has_value());
}

TEST_P(QueueStoreContract, PausedQueuesAdmitNobodyAndSettingsApplyAtOnce) {
    Queue q(backend_->Queue(), random_, ConcertId{7}, clock_);
    auto a = q.Join(1);
    q.Join(2);
    QueueSettingsPatch pause;
    pause.paused = true;
    auto paused = TK_OK(backend_->Queue().UpdateSettings(ConcertId{7}, pause, clock_.Now(), q.settings));
    EXPECT_TRUE(paused.paused);
    EXPECT_EQ(paused.max_active, 3);
    EXPECT_EQ(q.Tick().admitted, 0);
    EXPECT_TRUE(q.Stats().settings.paused);

    QueueSettingsPatch resume;
    resume.paused = false;
    resume.tick_interval = 2s;
    resume.admit_per_tick = 5;
    TK_OK(backend_->Queue().UpdateSettings(ConcertId{7}, resume, clock_.Now(), q.settings));
    auto stats = q.Stats();
    EXPECT_LE(stats.next_tick_at, clock_.Now() + 2s);  // no later than the new interval
    EXPECT_EQ(stats.settings.admit_per_tick, 5);
    EXPECT_EQ(q.Lookup(a.view.info.token)->settings.tick_interval, 2s);
    clock_.Advance(2s);
    EXPECT_EQ(q.Tick().admitted, 2);
    auto concerts = TK_OK(backend_->Queue().Concerts());
    EXPECT_NE(std::find(concerts.begin(), concerts.end(), ConcertId{7}), concerts.end());
}

TEST_P(QueueStoreContract, ConcurrentJoinsGetPositionsOneToN) {
    constexpr int kThreads = 8;
    constexpr int kPerThread = 125;
    std::vector<std::vector<std::string>> tokens(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const ConcertId concert{7};
                auto joined = backend_->Queue().Join(
                    concert,
                    UserId{t * kPerThread + i + 1},
                    MakeQueueToken(concert, random_.Token()),
                    clock_.Now(),
                    QueueSettings{}
                );
                ASSERT_TRUE(joined.has_value()) << joined.error().message;
                tokens[static_cast<std::size_t>(t)].push_back(joined->view.info.token);
            }
        });
    }
    for (auto& t : threads) t.join();
    std::set<std::int64_t> positions;
    Queue q(backend_->Queue(), random_, ConcertId{7}, clock_);
    for (const auto& list : tokens) {
        std::int64_t last = 0;
        for (const auto& token : list) {
            const auto p = q.Position(token);
            EXPECT_GT(p, last);  // each thread's joins keep their order
            last = p;
            positions.insert(p);
        }
    }
    ASSERT_EQ(positions.size(), static_cast<std::size_t>(kThreads * kPerThread));
    EXPECT_EQ(*positions.begin(), 1);
    EXPECT_EQ(*positions.rbegin(), kThreads * kPerThread);
}

TEST_P(QueueStoreContract, ConcurrentTicksNeverExceedMaxActive) {
    Queue q(backend_->Queue(), random_, ConcertId{7}, clock_);
    q.settings = QueueSettings{.max_active = 30, .admit_per_tick = 7, .tick_interval = 1s, .paused = false};
    for (int u = 1; u <= 200; ++u) q.Join(u);
    std::atomic<std::int64_t> admitted{0};
    for (int round = 0; round < 10; ++round) {
        clock_.Advance(1s);
        std::vector<std::thread> tickers;
        for (int t = 0; t < 8; ++t) {
            tickers.emplace_back([&] {
                auto tick = backend_->Queue().Tick(ConcertId{7}, clock_.Now(), kActiveTtl, q.settings);
                ASSERT_TRUE(tick.has_value()) << tick.error().message;
                admitted += tick->admitted;
            });
        }
        for (auto& t : tickers) t.join();
        auto stats = q.Stats();
        EXPECT_LE(stats.active, 30);
        EXPECT_EQ(stats.active + stats.waiting, 200);  // nobody dropped who was not admitted
    }
    EXPECT_EQ(admitted.load(), 30);
}

}  // namespace
}  // namespace ticketing::testing
