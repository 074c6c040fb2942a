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
    pause.paused = false;
    TK_OK(App().Queue().UpdateSettings(concert, pause));
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
