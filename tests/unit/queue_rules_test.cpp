#include <atomic>
#include <thread>

#include "unit.hpp"

namespace ticketing::testing {
namespace {

class QueueRules : public RulesTest {
protected:
    ConcertId NewConcert() { return W().NewConcert(10).concert.id; }
};

// §9.3 port: N tokens for users 1..N get positions 1..N in issue order; after one tick the first 50
// are active and the rest shift by exactly 50 (the original's double removal dropped 50 more).
TEST_F(QueueRules, PositionsShiftByExactlyTheAdmittedCount) {
    const auto concert = NewConcert();
    std::vector<std::string> tokens;
    for (int i = 0; i < 120; ++i) {
        auto joined = TK_OK(App().Queue().Join(concert, W().NewUser()));
        EXPECT_TRUE(joined.created);
        EXPECT_EQ(joined.position.info.position, i + 1);
        EXPECT_EQ(joined.position.info.status, TokenStatus::kWaiting);
        tokens.push_back(joined.position.info.token);
    }
    TK_OK(App().Queue().Tick(concert));
    for (int i = 0; i < 50; ++i)
        EXPECT_EQ(TK_OK(App().Queue().Status(tokens[static_cast<std::size_t>(i)])).info.status, TokenStatus::kActive);
    for (int i = 50; i < 120; ++i)
        EXPECT_EQ(TK_OK(App().Queue().Status(tokens[static_cast<std::size_t>(i)])).info.position, i - 49);
}

TEST_F(QueueRules, JoinIsIdempotentPerUserAndConcert) {
    const auto concert = NewConcert();
    const auto other = NewConcert();
    const auto user = W().NewUser();
    auto first = TK_OK(App().Queue().Join(concert, user));
    auto again = TK_OK(App().Queue().Join(concert, user));
    EXPECT_FALSE(again.created);
    EXPECT_EQ(again.position.info.token, first.position.info.token);
    auto elsewhere = TK_OK(App().Queue().Join(other, user));
    EXPECT_TRUE(elsewhere.created);
    EXPECT_NE(elsewhere.position.info.token, first.position.info.token);
}

TEST_F(QueueRules, UnknownUserOrConcertIsNotFound) {
    const auto concert = NewConcert();
    TK_EXPECT_ERROR(App().Queue().Join(concert, UserId{999}), Errc::kNotFound);
    TK_EXPECT_ERROR(App().Queue().Join(ConcertId{999}, W().NewUser()), Errc::kNotFound);
}

// Users and concerts are never deleted, so a join need not prove again that they exist: the hot path
// of a flash crowd rejoining (every reload) costs the queue store only, not the database.
TEST(QueueJoin, ARepeatedJoinDoesNotReadTheDatabaseAgain) {
    CountingWorld counted;
    auto& world = counted.world;
    auto* counting = counted.counting;
    const auto concert = world.NewConcert(10).concert.id;
    const auto user = world.NewUser();
    const auto other = world.NewUser();
    TK_OK(world.App().Queue().Join(concert, user));
    const int after_first = counting->Begun();
    TK_OK(world.App().Queue().Join(concert, user));
    TK_OK(world.App().Queue().Join(concert, user));
    EXPECT_EQ(counting->Begun(), after_first);
    TK_OK(world.App().Queue().Join(concert, other));  // a new user is still looked up
    EXPECT_EQ(counting->Begun(), after_first + 1);
    TK_EXPECT_ERROR(world.App().Queue().Join(concert, UserId{999}), Errc::kNotFound);
}

// Joins answered together (the server batches them): the users not known yet are read at once, and
// each join gets the answer Join would give, in order.
TEST(QueueJoin, JoinManyReadsTheNewUsersOnceAndAnswersEachJoin) {
    CountingWorld counted;
    auto& world = counted.world;
    auto* counting = counted.counting;
    const auto concert = world.NewConcert(10).concert.id;
    const auto known = world.NewUser();
    const auto first = TK_OK(world.App().Queue().Join(concert, known));
    const auto a = world.NewUser();
    const auto b = world.NewUser();
    const int before = counting->Begun();
    const std::vector<QueueJoin> joins{
        {concert, a}, {concert, UserId{999}}, {concert, known}, {concert, b}, {concert, a}};
    auto many = world.App().Queue().JoinMany(joins);
    EXPECT_EQ(counting->Begun(), before + 1);
    ASSERT_EQ(many.size(), joins.size());
    const auto joined_a = TK_OK(many[0]);
    EXPECT_TRUE(joined_a.created);
    EXPECT_EQ(joined_a.position.info.user_id, a);
    EXPECT_EQ(joined_a.position.info.position, 2);
    TK_EXPECT_ERROR(many[1], Errc::kNotFound);
    EXPECT_FALSE(TK_OK(many[2]).created);
    EXPECT_EQ(TK_OK(many[2]).position.info.token, first.position.info.token);
    EXPECT_EQ(TK_OK(many[3]).position.info.position, 3);
    EXPECT_FALSE(TK_OK(many[4]).created);
    EXPECT_EQ(TK_OK(many[4]).position.info.token, joined_a.position.info.token);
    const std::vector<QueueJoin> elsewhere{{ConcertId{4242}, a}, {concert, b}};
    auto mixed = world.App().Queue().JoinMany(elsewhere);
    TK_EXPECT_ERROR(mixed[0], Errc::kNotFound);
    EXPECT_FALSE(TK_OK(mixed[1]).created);
    EXPECT_TRUE(world.App().Queue().JoinMany({}).empty());
}

// New users' existence is checked for many joins at once when they crowd in: each join still gets
// its own answer, an unknown user among them its 404.
TEST_F(QueueRules, ConcurrentJoinsOfNewAndUnknownUsersEachGetTheirOwnAnswer) {
    const auto concert = NewConcert();
    constexpr int kThreads = 8;
    constexpr int kPerThread = 40;
    std::vector<UserId> users;
    for (int i = 0; i < kThreads * kPerThread; ++i) users.push_back(W().NewUser());
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const auto user = users[static_cast<std::size_t>(t * kPerThread + i)];
                auto joined = App().Queue().Join(concert, user);
                if (!joined || joined->position.info.user_id != user) ++wrong;
                auto unknown = App().Queue().Join(concert, UserId{1'000'000 + t * kPerThread + i});
                if (unknown || unknown.error().code != Errc::kNotFound) ++wrong;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(TK_OK(App().Queue().Stats(concert)).waiting, kThreads * kPerThread);
}

TEST_F(QueueRules, StatusManyAnswersEachTokenAsStatusDoes) {
    const auto concert = NewConcert();
    const auto paid = W().Admit(concert, W().NewUser());
    ASSERT_TRUE(App().Queue().Revoke(paid).has_value());
    const auto waiting = TK_OK(App().Queue().Join(concert, W().NewUser())).position.info.token;
    const std::vector<std::string_view> tokens{waiting, "garbage", paid, waiting};
    auto many = App().Queue().StatusMany(tokens);
    ASSERT_EQ(many.size(), 4U);
    EXPECT_EQ(TK_OK(many[0]).info.status, TokenStatus::kWaiting);
    TK_EXPECT_ERROR(many[1], Errc::kUnauthenticated);
    TK_EXPECT_ERROR(many[2], Errc::kUnauthenticated);  // revoked
    EXPECT_EQ(TK_OK(many[3]).info.position, TK_OK(App().Queue().Status(waiting)).info.position);
}

TEST_F(QueueRules, StatusGivesAnEtaWhileWaitingAndTheExpiryOnceActive) {
    const auto concert = NewConcert();
    TK_OK(App().Queue().Tick(concert));  // starts the tick clock: the next tick is a minute away
    std::string last;
    for (int i = 0; i < 60; ++i) last = TK_OK(App().Queue().Join(concert, W().NewUser())).position.info.token;
    auto waiting = TK_OK(App().Queue().Status(last));
    EXPECT_EQ(waiting.info.position, 60);
    EXPECT_EQ(waiting.estimated_wait_seconds, 120);  // next tick (60 s) + one more tick
    W().Clock().Advance(60s);
    TK_OK(App().Queue().Tick(concert));
    W().Clock().Advance(60s);
    TK_OK(App().Queue().Tick(concert));
    auto active = TK_OK(App().Queue().Status(last));
    EXPECT_EQ(active.info.status, TokenStatus::kActive);
    EXPECT_EQ(active.info.active_until, W().Clock().Now() + 5min);
    EXPECT_EQ(active.estimated_wait_seconds, 0);
}

TEST(QueueAdmission, HonoursMaxActiveWithTheBatchSize) {
    // §12 bug 4: the original compared `count > 300` and ignored the batch, letting 350 in.
    Settings settings;
    settings.queue_timeouts.active_ttl = 1h;  // nobody leaves during the test
    settings.queue_timeouts.waiting_idle_timeout = 1h;
    World world(MemoryBackend(), LockStrategyKind::kOptimistic, settings);
    const auto concert = world.NewConcert(10).concert.id;
    for (int i = 0; i < 400; ++i) TK_OK(world.App().Queue().Join(concert, world.NewUser()));
    for (int tick = 0; tick < 10; ++tick) {
        TK_OK(world.App().Queue().Tick(concert));
        world.Clock().Advance(60s);
        EXPECT_LE(TK_OK(world.App().Queue().Stats(concert)).active, 300);
    }
    auto stats = TK_OK(world.App().Queue().Stats(concert));
    EXPECT_EQ(stats.active, 300);
    EXPECT_EQ(stats.waiting, 100);
    EXPECT_EQ(stats.admitted_total, 300);
}

TEST_F(QueueRules, IdleWaitersAreDroppedButPollersStay) {
    // §12 bug 7: waiting tokens never expired in the original.
    const auto concert = NewConcert();
    QueueSettingsPatch pause;
    pause.paused = true;
    TK_OK(App().Queue().UpdateSettings(concert, pause));
    auto idle = TK_OK(App().Queue().Join(concert, W().NewUser())).position.info.token;
    auto poller = TK_OK(App().Queue().Join(concert, W().NewUser())).position.info.token;
    for (int i = 0; i < 6; ++i) {
        W().Clock().Advance(60s);
        TK_OK(App().Queue().Status(poller));
        TK_OK(App().Queue().Tick(concert));
    }
    TK_EXPECT_ERROR(App().Queue().Status(idle), Errc::kUnauthenticated);
    EXPECT_EQ(TK_OK(App().Queue().Status(poller)).info.position, 1);
}

TEST_F(QueueRules, GateAnswersUnauthenticatedNotAdmittedOrAGrant) {
    const auto concert = NewConcert();
    TK_EXPECT_ERROR(App().Queue().Authorize("garbage"), Errc::kUnauthenticated);
    TK_EXPECT_ERROR(
        App().Queue().Authorize(MakeQueueToken(concert, "0123456789abcdef0123456789abcdef")), Errc::kUnauthenticated
    );
    QueueSettingsPatch pause;
    pause.paused = true;
    TK_OK(App().Queue().UpdateSettings(concert, pause));
    const auto user = W().NewUser();
    auto token = TK_OK(App().Queue().Join(concert, user)).position.info.token;
    TK_EXPECT_ERROR(App().Queue().Authorize(token), Errc::kNotAdmitted);
    EXPECT_TRUE(TK_OK(App().Queue().Status(token)).paused);  // the waiting room tells the buyer
    pause.paused = false;
    TK_OK(App().Queue().UpdateSettings(concert, pause));
    EXPECT_FALSE(TK_OK(App().Queue().Status(token)).paused);
    TK_OK(App().Queue().Tick(concert));
    auto grant = TK_OK(App().Queue().Authorize(token));
    EXPECT_EQ(grant.user_id, user);
    EXPECT_EQ(grant.concert_id, concert);
    W().Clock().Advance(5min);
    TK_EXPECT_ERROR(App().Queue().Authorize(token), Errc::kUnauthenticated);  // active TTL over
}

TEST_F(QueueRules, LeavingGivesTheSlotBack) {
    const auto concert = NewConcert();
    QueueSettingsPatch one;
    one.max_active = 1;
    TK_OK(App().Queue().UpdateSettings(concert, one));
    auto a = TK_OK(App().Queue().Join(concert, W().NewUser())).position.info.token;
    auto b = TK_OK(App().Queue().Join(concert, W().NewUser())).position.info.token;
    TK_OK(App().Queue().Tick(concert));
    ASSERT_TRUE(App().Queue().Leave(a));
    TK_EXPECT_ERROR(App().Queue().Status(a), Errc::kUnauthenticated);
    W().Clock().Advance(60s);
    TK_OK(App().Queue().Tick(concert));
    EXPECT_EQ(TK_OK(App().Queue().Status(b)).info.status, TokenStatus::kActive);
}

TEST_F(QueueRules, SettingsAreValidatedAndApplyAtOnce) {
    const auto concert = NewConcert();
    QueueSettingsPatch bad;
    bad.tick_interval = 0s;
    TK_EXPECT_ERROR(App().Queue().UpdateSettings(concert, bad), Errc::kInvalidArgument);
    bad = {};
    bad.max_active = -1;
    TK_EXPECT_ERROR(App().Queue().UpdateSettings(concert, bad), Errc::kInvalidArgument);
    TK_OK(App().Queue().Tick(concert));  // next tick in 60 s
    QueueSettingsPatch faster;
    faster.tick_interval = 5s;
    TK_OK(App().Queue().UpdateSettings(concert, faster));
    EXPECT_LE(TK_OK(App().Queue().Stats(concert)).next_tick_at, W().Clock().Now() + 5s);
}

}  // namespace
}  // namespace ticketing::testing
