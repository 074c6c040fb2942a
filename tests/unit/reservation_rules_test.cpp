#include <thread>

#include "unit.hpp"

namespace ticketing::testing {
namespace {

class ReservationRules : public RulesTest {
protected:
    void SetUp() override {
        concert_ = W().NewConcert(50, 10'000);
        schedule_ = concert_.schedules[0].id;
        user_ = W().NewUser(1'000'000);
        token_ = W().Admit(concert_.concert.id, user_);
    }
    Result<Reservation> Hold(const std::vector<int>& numbers) {
        return App().Reservations().Hold(token_, schedule_, W().Seats(schedule_, numbers));
    }

    CreatedConcert concert_;
    ScheduleId schedule_;
    UserId user_;
    std::string token_;
};

TEST_F(ReservationRules, HoldsAllSeatsForTheHoldTime) {
    auto hold = TK_OK(Hold({2, 1}));
    EXPECT_EQ(hold.status, ReservationStatus::kHeld);
    EXPECT_EQ(hold.amount, 20'000);
    ASSERT_EQ(hold.seats.size(), 2U);
    EXPECT_EQ(hold.seats[0].number, 1);
    EXPECT_EQ(hold.user_id, user_);
    EXPECT_LE(hold.expires_at, W().Clock().Now() + 5min);
    auto map = TK_OK(App().Catalog().GetSeatMap(token_, schedule_));
    EXPECT_EQ(map.seats[0].status, SeatStatus::kHeld);
    EXPECT_EQ(map.seats[2].status, SeatStatus::kAvailable);
    auto schedules = TK_OK(App().Catalog().ListSchedules(concert_.concert.id));
    EXPECT_EQ(schedules[0].available_seats, 48);
}

TEST_F(ReservationRules, SeatsCanBeListedInline) {
    ASSERT_EQ(W().Seats(schedule_, {11, 12}), (std::vector{SeatId{11}, SeatId{12}}));  // the first seats stored
    auto hold = TK_OK(App().Reservations().Hold(token_, schedule_, {11, 12}));
    ASSERT_EQ(hold.seats.size(), 2U);
    EXPECT_EQ(hold.seats[0].number, 11);
    EXPECT_EQ(hold.seats[1].number, 12);
    ASSERT_TRUE(App().Reservations().Cancel(token_, hold.id));
    const auto seat = W().Seats(schedule_, {13})[0];
    EXPECT_EQ(TK_OK(App().Reservations().Hold(token_, schedule_, {seat})).seats[0].number, 13);
}

TEST_F(ReservationRules, AllOrNothing) {
    auto other = W().Admit(concert_.concert.id, W().NewUser());
    TK_OK(App().Reservations().Hold(other, schedule_, W().Seats(schedule_, {3})));
    TK_EXPECT_ERROR(Hold({1, 2, 3}), Errc::kSeatUnavailable);
    auto map = TK_OK(App().Catalog().GetSeatMap(token_, schedule_));
    EXPECT_EQ(map.seats[0].status, SeatStatus::kAvailable);  // seat 1 was not kept
    EXPECT_EQ(map.seats[1].status, SeatStatus::kAvailable);
}

TEST_F(ReservationRules, RequestIsValidated) {
    TK_EXPECT_ERROR(Hold({}), Errc::kInvalidArgument);
    TK_EXPECT_ERROR(Hold({1, 1}), Errc::kInvalidArgument);                                 // §12 bug 16: duplicate ids
    TK_EXPECT_ERROR(Hold({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}), Errc::kSeatLimitExceeded);  // §9.4 limit + 1
    TK_EXPECT_ERROR(App().Reservations().Hold(token_, schedule_, std::vector<SeatId>{SeatId{99999}}), Errc::kNotFound);
    TK_EXPECT_ERROR(App().Reservations().Hold(token_, ScheduleId{99999}, W().Seats(schedule_, {1})), Errc::kNotFound);
}

TEST_F(ReservationRules, SeatsOfAnotherScheduleOrConcertAreRefused) {
    auto second = W().NewConcert(5, 1000, 2);
    // A seat of another schedule is not found in this one.
    TK_EXPECT_ERROR(
        App().Reservations().Hold(token_, schedule_, W().Seats(second.schedules[1].id, {1})), Errc::kNotFound
    );
    // The token is for concert A: concert B's schedule is forbidden.
    TK_EXPECT_ERROR(
        App().Reservations().Hold(token_, second.schedules[0].id, W().Seats(second.schedules[0].id, {1})),
        Errc::kForbidden
    );
    TK_EXPECT_ERROR(App().Catalog().GetSeatMap(token_, second.schedules[0].id), Errc::kForbidden);
}

// Seat map reads answered together (the server batches them): each ask gets what GetSeatMap gives, in
// order, and the asks of one schedule share one map.
TEST_F(ReservationRules, SeatMapsOfABatchAnswerEachAskAsAloneAndShareAMapPerSchedule) {
    TK_OK(Hold({2}));
    const auto second = W().NewConcert(5, 1000, 2);
    const auto other = W().Admit(second.concert.id, W().NewUser());
    const auto waiting = TK_OK(App().Queue().Join(second.concert.id, W().NewUser())).position.info.token;
    const std::vector<SeatMapAsk> asks{
        {token_, schedule_},
        {other, second.schedules[1].id},
        {"garbage", schedule_},
        {token_, second.schedules[0].id},  // another concert's schedule
        {token_, ScheduleId{999}},
        {other, second.schedules[0].id},
        {token_, schedule_},
        {"garbage", ScheduleId{999}},       // 401 before 404
        {waiting, second.schedules[0].id},  // not admitted yet
    };
    const auto maps = App().Catalog().GetSeatMaps(asks);
    ASSERT_EQ(maps.size(), asks.size());
    EXPECT_EQ(TK_OK(maps[0])->seats[1].status, SeatStatus::kHeld);
    EXPECT_EQ(TK_OK(maps[1])->schedule.id, second.schedules[1].id);
    TK_EXPECT_ERROR(maps[2], Errc::kUnauthenticated);
    TK_EXPECT_ERROR(maps[3], Errc::kForbidden);
    TK_EXPECT_ERROR(maps[4], Errc::kNotFound);
    EXPECT_EQ(TK_OK(maps[5])->seats.size(), 5U);
    EXPECT_EQ(TK_OK(maps[6]).get(), TK_OK(maps[0]).get());  // one read for both
    TK_EXPECT_ERROR(maps[7], Errc::kUnauthenticated);
    EXPECT_FALSE(maps[8].has_value());
    for (std::size_t i = 0; i < asks.size(); ++i) {
        const auto alone = App().Catalog().GetSeatMap(asks[i].token, asks[i].schedule);
        ASSERT_EQ(alone.has_value(), maps[i].has_value()) << i;
        if (!alone) {
            EXPECT_EQ(alone.error().code, maps[i].error().code) << i;
            continue;
        }
        EXPECT_EQ(alone->schedule.id, (*maps[i])->schedule.id) << i;
        ASSERT_EQ(alone->seats.size(), (*maps[i])->seats.size()) << i;
        for (std::size_t k = 0; k < alone->seats.size(); ++k) {
            EXPECT_EQ(alone->seats[k].id, (*maps[i])->seats[k].id) << i;
            EXPECT_EQ(alone->seats[k].status, (*maps[i])->seats[k].status) << i;
        }
    }
    EXPECT_TRUE(App().Catalog().GetSeatMaps({}).empty());
}

TEST_F(ReservationRules, OperatorsReadAnySeatMapWithoutAToken) {
    auto hold = TK_OK(Hold({3}));
    auto other = W().NewConcert(5, 1000);  // no token for it at all
    auto map = TK_OK(App().Catalog().GetSeatMap(schedule_));
    ASSERT_EQ(map.seats.size(), 50U);
    EXPECT_EQ(map.seats[2].status, SeatStatus::kHeld);
    EXPECT_EQ(map.seats[2].held_by, hold.id);
    EXPECT_EQ(TK_OK(App().Catalog().GetSeatMap(other.schedules[0].id)).seats.size(), 5U);
    W().Clock().Advance(1h);  // as of now, like the buyers' map: the lapsed hold frees its seat
    EXPECT_EQ(TK_OK(App().Catalog().GetSeatMap(schedule_)).seats[2].status, SeatStatus::kAvailable);
    TK_EXPECT_ERROR(App().Catalog().GetSeatMap(ScheduleId{999}), Errc::kNotFound);
}

TEST_F(ReservationRules, WaitingTokensCannotHold) {
    QueueSettingsPatch pause;
    pause.paused = true;
    TK_OK(App().Queue().UpdateSettings(concert_.concert.id, pause));
    auto waiting = TK_OK(App().Queue().Join(concert_.concert.id, W().NewUser())).position.info.token;
    TK_EXPECT_ERROR(App().Reservations().Hold(waiting, schedule_, W().Seats(schedule_, {1})), Errc::kNotAdmitted);
    TK_EXPECT_ERROR(App().Reservations().Hold("nope", schedule_, W().Seats(schedule_, {1})), Errc::kUnauthenticated);
}

TEST_F(ReservationRules, OnlyInsideTheReservationWindow) {
    // §9.4: before opening and after closing are refused (the original never checked).
    ticketing::NewConcert later;
    later.title = "Later";
    later.reservation_opens_at = W().Clock().Now() + 1h;
    later.reservation_closes_at = W().Clock().Now() + 2h;
    later.schedules.push_back({W().Clock().Now() + 48h, 1000, 5});
    auto created = TK_OK(App().Catalog().CreateConcert(later));
    const auto schedule = created.schedules[0].id;
    auto token = W().Admit(created.concert.id, W().NewUser());
    TK_EXPECT_ERROR(App().Reservations().Hold(token, schedule, W().Seats(schedule, {1})), Errc::kReservationClosed);
    W().Clock().Set(created.concert.reservation_opens_at);
    auto fresh = W().Admit(created.concert.id, W().NewUser());
    TK_OK(App().Reservations().Hold(fresh, schedule, W().Seats(schedule, {1})));
    W().Clock().Set(created.concert.reservation_closes_at);
    auto late = W().Admit(created.concert.id, W().NewUser());
    TK_EXPECT_ERROR(App().Reservations().Hold(late, schedule, W().Seats(schedule, {2})), Errc::kReservationClosed);
}

TEST_F(ReservationRules, OneLiveHoldPerToken) {
    auto hold = TK_OK(Hold({1}));
    TK_EXPECT_ERROR(Hold({2}), Errc::kHoldExists);
    ASSERT_TRUE(App().Reservations().Cancel(token_, hold.id));
    TK_OK(Hold({1, 2}));  // cancelled: seats free at once, the token may hold again
}

TEST_F(ReservationRules, AnExpiredHoldNeverBlocksASeatEvenBeforeTheSweeper) {
    auto mine = TK_OK(Hold({5}));
    W().Clock().Advance(5min);
    auto other = W().Admit(concert_.concert.id, W().NewUser());
    auto taken = TK_OK(App().Reservations().Hold(other, schedule_, W().Seats(schedule_, {5})));
    EXPECT_EQ(taken.seats[0].number, 5);
    // The sweeper later tidies the lapsed hold and leaves the new holder's seat alone (§12 bug 21).
    EXPECT_EQ(TK_OK(App().Reservations().ExpireHolds(100)), 1);
    auto map = TK_OK(App().Catalog().GetSeatMap(other, schedule_));
    EXPECT_EQ(map.seats[4].status, SeatStatus::kHeld);
    EXPECT_EQ(map.seats[4].held_by, taken.id);
    (void)mine;
}

TEST_F(ReservationRules, ExpiredHoldOfTheSameTokenIsReplaced) {
    // An admission outlives a short hold: the token may hold again once its hold lapsed.
    Settings settings;
    settings.reservation.hold_ttl = 1min;
    World world(MemoryBackend(), LockStrategyKind::kPessimistic, settings);
    auto concert = world.NewConcert(10);
    const auto schedule = concert.schedules[0].id;
    auto token = world.Admit(concert.concert.id, world.NewUser());
    auto first = world.App().Reservations().Hold(token, schedule, world.Seats(schedule, {1, 2})).value();
    world.Clock().Advance(1min);
    auto second = world.App().Reservations().Hold(token, schedule, world.Seats(schedule, {2, 3}));
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(world.App().Reservations().Get(token, first.id).value().status, ReservationStatus::kExpired);
    auto map = world.App().Catalog().GetSeatMap(token, schedule).value();
    EXPECT_EQ(map.seats[0].status, SeatStatus::kAvailable);
    EXPECT_EQ(map.seats[1].held_by, second->id);
}

TEST_F(ReservationRules, AHoldNeverOutlivesTheAdmission) {
    W().Clock().Advance(4min);  // one minute of the admission left
    auto hold = TK_OK(Hold({1}));
    EXPECT_EQ(hold.expires_at, W().Clock().Now() + 1min);
}

TEST_F(ReservationRules, OwnersOnlyAndCancelRules) {
    auto hold = TK_OK(Hold({1}));
    auto stranger = W().Admit(concert_.concert.id, W().NewUser());
    TK_EXPECT_ERROR(App().Reservations().Get(stranger, hold.id), Errc::kForbidden);
    TK_EXPECT_ERROR(App().Reservations().Cancel(stranger, hold.id), Errc::kForbidden);
    TK_EXPECT_ERROR(App().Reservations().Get(token_, ReservationId{99999}), Errc::kNotFound);
    EXPECT_EQ(TK_OK(App().Reservations().Get(token_, hold.id)).status, ReservationStatus::kHeld);
    ASSERT_TRUE(App().Reservations().Cancel(token_, hold.id));
    EXPECT_EQ(TK_OK(App().Reservations().Get(token_, hold.id)).status, ReservationStatus::kCancelled);
    TK_EXPECT_ERROR(App().Reservations().Cancel(token_, hold.id), Errc::kConflict);
    auto lapsed = TK_OK(Hold({2}));
    W().Clock().Advance(5min);
    auto fresh = W().Admit(concert_.concert.id, user_);
    TK_EXPECT_ERROR(App().Reservations().Cancel(fresh, lapsed.id), Errc::kHoldExpired);
}

// A counted world with a 10-seat concert, four admitted buyers, and the concert and schedule read
// once (then kept in memory) before anything is counted.
class HoldBatches : public ::testing::Test {
protected:
    void SetUp() override {
        concert_ = world_.NewConcert(10, 1'000);
        schedule_ = concert_.schedules[0].id;
        for (int i = 0; i < 4; ++i) tokens_.push_back(world_.Admit(concert_.concert.id, world_.NewUser()));
        const auto warm = world_.Admit(concert_.concert.id, world_.NewUser());
        TK_OK(world_.App().Reservations().Hold(warm, schedule_, world_.Seats(schedule_, {10})));
    }

    CountingWorld counted_;
    World& world_ = counted_.world;
    CountingBackend& counting_ = *counted_.counting;
    CreatedConcert concert_;
    ScheduleId schedule_;
    std::vector<std::string> tokens_;
};

// Holds answered together (the server batches them): one unit of work for the batch, and each hold
// gets the answer Hold would give, in order.
TEST_F(HoldBatches, DecideTheBatchInOneUnitOfWorkAndAnswerEachHold) {
    auto& world = world_;
    const auto schedule = schedule_;
    const auto& tokens = tokens_;
    const auto seats_1_2 = world.Seats(schedule, {1, 2});
    const auto seats_2_3 = world.Seats(schedule, {2, 3});
    const auto seat_4 = world.Seats(schedule, {4});
    const auto seat_5 = world.Seats(schedule, {5});
    const std::vector<SeatId> missing{SeatId{999'999}};
    const int before = counting_.Begun();
    const std::vector<HoldRequest> holds{
        {tokens[0], schedule, seats_1_2},
        {tokens[1], schedule, seats_2_3},  // seat 2 went to the first
        {tokens[2], schedule, seat_4},
        {tokens[0], schedule, seat_5},  // the same token again
        {"garbage", schedule, seat_5},
        {tokens[3], schedule, missing},
        {tokens[3], schedule, {}},
        {tokens[3], schedule, seat_5},
    };
    auto held = world.App().Reservations().HoldMany(holds);
    ASSERT_EQ(held.size(), holds.size());
    const auto first = TK_OK(held[0]);
    EXPECT_EQ(first.seats.size(), 2U);
    TK_EXPECT_ERROR(held[1], Errc::kSeatUnavailable);
    const auto fourth = TK_OK(held[2]);
    ASSERT_FALSE(held[3].has_value());
    EXPECT_EQ(held[3].error().code, Errc::kHoldExists);
    EXPECT_NE(held[3].error().message.find(std::to_string(first.id.value)), std::string::npos);
    TK_EXPECT_ERROR(held[4], Errc::kUnauthenticated);
    TK_EXPECT_ERROR(held[5], Errc::kNotFound);
    TK_EXPECT_ERROR(held[6], Errc::kInvalidArgument);
    const auto fifth = TK_OK(held[7]);
    // One unit of work for the batch, one more for the token that asks again after its hold was made
    // (it goes alone, after); tokens[3]'s second ask is decided in the batch, its first made no hold.
    EXPECT_EQ(counting_.Begun(), before + 2);
    const auto map = TK_OK(world.App().Catalog().GetSeatMap(tokens[0], schedule));
    EXPECT_EQ(map.seats[0].held_by, first.id);
    EXPECT_EQ(map.seats[1].held_by, first.id);
    EXPECT_EQ(map.seats[2].status, SeatStatus::kAvailable);
    EXPECT_EQ(map.seats[3].held_by, fourth.id);
    EXPECT_EQ(map.seats[4].held_by, fifth.id);
    EXPECT_EQ(fifth.user_id, TK_OK(world.App().Reservations().Get(tokens[3], fifth.id)).user_id);
}

// A token whose hold lapsed is not decided in the batch: it goes alone, which ends the lapsed hold.
TEST(HoldMany, ATokenWithALapsedHoldGoesAloneAndReplacesIt) {
    Settings settings;
    settings.reservation.hold_ttl = 1min;
    World world(MemoryBackend(), LockStrategyKind::kOptimistic, settings);
    auto concert = world.NewConcert(10, 1'000);
    const auto schedule = concert.schedules[0].id;
    const auto lapsing = world.Admit(concert.concert.id, world.NewUser());
    const auto old = TK_OK(world.App().Reservations().Hold(lapsing, schedule, world.Seats(schedule, {1})));
    world.Clock().Advance(1min);
    const auto fresh = world.Admit(concert.concert.id, world.NewUser());
    const auto seat_1 = world.Seats(schedule, {1});
    const auto seat_2 = world.Seats(schedule, {2});
    const std::vector<HoldRequest> holds{{fresh, schedule, seat_2}, {lapsing, schedule, seat_1}};
    auto held = world.App().Reservations().HoldMany(holds);
    TK_OK(held[0]);
    const auto again = TK_OK(held[1]);
    EXPECT_EQ(TK_OK(world.App().Reservations().Get(lapsing, old.id)).status, ReservationStatus::kExpired);
    EXPECT_EQ(TK_OK(world.App().Catalog().GetSeatMap(fresh, schedule)).seats[0].held_by, again.id);
}

// A batch whose unit of work gives up (CONFLICT) leaves each hold to go alone; any other failure (the
// database down) is every hold's answer, without a try per hold.
TEST_F(HoldBatches, AFailedBatchGoesAloneOnlyAfterAConflict) {
    auto& world = world_;
    const auto schedule = schedule_;
    const auto& tokens = tokens_;
    const auto seat_1 = world.Seats(schedule, {1});
    const auto seat_2 = world.Seats(schedule, {2});
    const std::vector<HoldRequest> holds{{tokens[0], schedule, seat_1}, {tokens[1], schedule, seat_2}};

    counting_.FailWrites(Errc::kUnavailable, 1);
    int before = counting_.Begun();
    auto down = world.App().Reservations().HoldMany(holds);
    TK_EXPECT_ERROR(down[0], Errc::kUnavailable);
    TK_EXPECT_ERROR(down[1], Errc::kUnavailable);
    EXPECT_EQ(counting_.Begun(), before + 1);

    counting_.FailWrites(Errc::kConflict, 1);
    before = counting_.Begun();
    auto alone = world.App().Reservations().HoldMany(holds);
    EXPECT_EQ(TK_OK(alone[0]).seats[0].seat_id, seat_1[0]);
    EXPECT_EQ(TK_OK(alone[1]).seats[0].seat_id, seat_2[0]);
    EXPECT_EQ(counting_.Begun(), before + 3);  // the batch, then one per hold
}

TEST_F(HoldBatches, CancelManyDecidesTheBatchInOneUnitOfWorkAndAnswersEachCancel) {
    auto& world = world_;
    const auto schedule = schedule_;
    const auto& tokens = tokens_;
    std::vector<Reservation> holds;
    for (int i = 0; i < 3; ++i) {
        const auto& token = tokens[static_cast<std::size_t>(i)];
        holds.push_back(TK_OK(world.App().Reservations().Hold(token, schedule, world.Seats(schedule, {i + 1}))));
    }
    const int before = counting_.Begun();
    const std::vector<CancelRequest> cancels{
        {tokens[0], holds[0].id},
        {tokens[1], holds[0].id},  // not theirs (a reservation asked for again goes alone, after)
        {tokens[1], holds[1].id},
        {tokens[0], holds[0].id},  // again: already cancelled
        {tokens[2], ReservationId{999'999}},
        {"garbage", holds[2].id},
    };
    auto cancelled = world.App().Reservations().CancelMany(cancels);
    ASSERT_EQ(cancelled.size(), cancels.size());
    EXPECT_TRUE(cancelled[0].has_value());
    TK_EXPECT_ERROR(cancelled[1], Errc::kForbidden);
    EXPECT_TRUE(cancelled[2].has_value());
    TK_EXPECT_ERROR(cancelled[3], Errc::kConflict);
    TK_EXPECT_ERROR(cancelled[4], Errc::kNotFound);
    TK_EXPECT_ERROR(cancelled[5], Errc::kUnauthenticated);
    // One unit of work for the batch, one for each later ask of the first reservation.
    EXPECT_EQ(counting_.Begun(), before + 3);
    const auto map = TK_OK(world.App().Catalog().GetSeatMap(tokens[2], schedule));
    EXPECT_EQ(map.seats[0].status, SeatStatus::kAvailable);
    EXPECT_EQ(map.seats[1].status, SeatStatus::kAvailable);
    EXPECT_EQ(map.seats[2].held_by, holds[2].id);
    EXPECT_EQ(TK_OK(world.App().Reservations().Get(tokens[1], holds[1].id)).status, ReservationStatus::kCancelled);
}

TEST_F(ReservationRules, ConcertListAndSchedules) {
    // §9.4: the list holds only concerts whose window contains the time.
    auto page = TK_OK(App().Catalog().ListConcerts(std::nullopt, {}));
    ASSERT_EQ(page.items.size(), 1U);
    EXPECT_FALSE(page.next_cursor.has_value());
    EXPECT_TRUE(TK_OK(App().Catalog().ListConcerts(W().Clock().Now() + 48h, {})).items.empty());
    for (int i = 0; i < 3; ++i) W().NewConcert(1);
    auto first = TK_OK(App().Catalog().ListConcerts(std::nullopt, {.limit = 2, .cursor = std::nullopt}));
    ASSERT_EQ(first.items.size(), 2U);
    ASSERT_TRUE(first.next_cursor.has_value());
    auto second = TK_OK(App().Catalog().ListConcerts(std::nullopt, {.limit = 2, .cursor = first.next_cursor}));
    EXPECT_EQ(second.items.size(), 2U);
    EXPECT_FALSE(second.next_cursor.has_value());
    TK_EXPECT_ERROR(
        App().Catalog().ListConcerts(std::nullopt, {.limit = 101, .cursor = std::nullopt}), Errc::kInvalidArgument
    );
    TK_EXPECT_ERROR(App().Catalog().ListSchedules(ConcertId{999}), Errc::kNotFound);
    ticketing::NewConcert bad;
    bad.title = "x";
    bad.reservation_opens_at = W().Clock().Now();
    bad.reservation_closes_at = W().Clock().Now();
    TK_EXPECT_ERROR(App().Catalog().CreateConcert(bad), Errc::kInvalidArgument);
    bad.reservation_closes_at = W().Clock().Now() + 1h;
    bad.title = "Golden Hour \xF4\x90\x80\x80";  // beyond U+10FFFF
    auto refused = App().Catalog().CreateConcert(bad);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(refused.error().message, "title must be valid UTF-8");
}

TEST(HoldLockOrder, ALapsedHoldsSeatsAreLockedInOneSortedBatchWithTheNewOnes) {
    // Ending the token's lapsed hold must not lock its seats ahead of the requested ones: another
    // hold over the same seats locks them in id order, and the two would wait on each other.
    Settings settings;
    settings.reservation.hold_ttl = 1min;
    World world(MemoryBackend(), LockStrategyKind::kPessimistic, settings);
    const auto concert = world.NewConcert(20);
    const auto schedule = concert.schedules[0].id;
    const auto token = world.Admit(concert.concert.id, world.NewUser());
    const std::vector<SeatId> seat5 = world.Seats(schedule, {5});
    const std::vector<SeatId> seat10 = world.Seats(schedule, {10});
    ASSERT_TRUE(world.App().Reservations().Hold(token, schedule, seat10));
    world.Clock().Advance(1min);  // the hold lapsed; the token is still active

    // Another transaction has seat 5 and is about to want seat 10, as a hold of {5, 10} would.
    auto other = TK_OK(world.Adapters().Db().Begin(ports::TxMode::kPessimistic));
    ASSERT_TRUE(other->FindSeatsForUpdate(seat5));
    Result<Reservation> held = MakeError(Errc::kInternal, "not run");
    std::thread holder([&] { held = world.App().Reservations().Hold(token, schedule, seat5); });
    std::this_thread::sleep_for(100ms);  // the hold now waits for seat 5
    const auto started = std::chrono::steady_clock::now();
    auto second = other->FindSeatsForUpdate(seat10);
    EXPECT_TRUE(second.has_value()) << second.error().message;  // the hold did not take seat 10 first
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
    other.reset();  // rolled back: seat 5 is free again
    holder.join();
    ASSERT_TRUE(held.has_value()) << held.error().message;
    EXPECT_EQ(held->seats[0].number, 5);
    auto map = TK_OK(world.App().Catalog().GetSeatMap(token, schedule));
    EXPECT_EQ(map.seats[9].status, SeatStatus::kAvailable);  // the lapsed hold's seat was freed
}

TEST(HoldSweeper, AHoldBusyElsewhereIsLeftForTheNextRun) {
    Settings settings;
    settings.reservation.hold_ttl = 1min;
    World world(MemoryBackend(), LockStrategyKind::kPessimistic, settings);
    const auto concert = world.NewConcert(10);
    const auto schedule = concert.schedules[0].id;
    auto busy = TK_OK(world.App().Reservations().Hold(
        world.Admit(concert.concert.id, world.NewUser()), schedule, world.Seats(schedule, {1})
    ));
    TK_OK(world.App().Reservations().Hold(
        world.Admit(concert.concert.id, world.NewUser()), schedule, world.Seats(schedule, {2})
    ));
    world.Clock().Advance(1min);
    auto other = TK_OK(world.Adapters().Db().Begin(ports::TxMode::kPessimistic));
    ASSERT_TRUE(other->FindReservationForUpdate(busy.id));  // e.g. its payment is in flight
    EXPECT_EQ(TK_OK(world.App().Reservations().ExpireHolds(10)), 1);
    other.reset();
    EXPECT_EQ(TK_OK(world.App().Reservations().ExpireHolds(10)), 1);
}

}  // namespace
}  // namespace ticketing::testing
