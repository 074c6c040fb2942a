// Seat maps served from the recent-read cache: this instance's own changes show at once, another
// instance's once the cached read is older than seat_map_max_age, and expiry never waits.
#include <ticketing/app/system.hpp>

#include "unit.hpp"

namespace ticketing::testing {
namespace {

class SeatMapCacheTest : public RulesTest {
protected:
    SeatMapCacheTest() {
        concert_ = W().NewConcert(5);
        schedule_ = concert_.schedules[0].id;
    }

    /// A second instance on the same adapters, as another server process would be.
    Ticketing Other() {
        return Ticketing(
            Backends{W().Adapters().Db(), W().Adapters().Queue(), W().Clock(), random_, &W().Adapters().Lock()},
            App().GetSettings()
        );
    }

    SeatStatus StatusOf(Ticketing& app, int number) {
        auto map = TK_OK(app.Catalog().GetSeatMap(schedule_));  // the operator's read shares the cache
        return map.seats.at(static_cast<std::size_t>(number - 1)).status;
    }

    SystemRandom random_;
    CreatedConcert concert_;
    ScheduleId schedule_;
};

TEST_F(SeatMapCacheTest, OwnChangesShowAtOnce) {
    const auto user = W().NewUser(100'000);
    const auto first = W().Admit(concert_.concert.id, user);
    const auto second = W().Admit(concert_.concert.id, W().NewUser());
    const auto at = W().Clock().Now();  // no time passes below: every change must show by itself
    ASSERT_EQ(StatusOf(App(), 1), SeatStatus::kAvailable);
    auto hold = TK_OK(App().Reservations().Hold(first, schedule_, W().Seats(schedule_, {1})));
    EXPECT_EQ(StatusOf(App(), 1), SeatStatus::kHeld);
    TK_OK(App().Payments().Pay(first, hold.id, std::nullopt));
    EXPECT_EQ(StatusOf(App(), 1), SeatStatus::kSold);
    auto payment = TK_OK(App().Payments().FindByReservation(hold.id));
    TK_OK(App().Payments().Refund(payment.id));
    EXPECT_EQ(StatusOf(App(), 1), SeatStatus::kAvailable);
    auto other = TK_OK(App().Reservations().Hold(second, schedule_, W().Seats(schedule_, {2})));
    EXPECT_EQ(StatusOf(App(), 2), SeatStatus::kHeld);
    ASSERT_TRUE(App().Reservations().Cancel(second, other.id).has_value());
    EXPECT_EQ(StatusOf(App(), 2), SeatStatus::kAvailable);
    EXPECT_EQ(W().Clock().Now(), at);
}

TEST_F(SeatMapCacheTest, AnotherInstancesChangeShowsWithinTheMaxAge) {
    auto other = Other();
    const auto buyer = W().Admit(concert_.concert.id, W().NewUser());
    ASSERT_EQ(StatusOf(App(), 3), SeatStatus::kAvailable);  // cached now
    TK_OK(other.Reservations().Hold(buyer, schedule_, W().Seats(schedule_, {3})));
    EXPECT_EQ(StatusOf(other, 3), SeatStatus::kHeld);
    EXPECT_EQ(StatusOf(App(), 3), SeatStatus::kAvailable);  // a read younger than the max age
    W().Clock().Advance(App().GetSettings().seat_map_max_age + 1ms);
    EXPECT_EQ(StatusOf(App(), 3), SeatStatus::kHeld);
}

TEST_F(SeatMapCacheTest, AHoldShowsFreeFromItsExpiryEvenFromTheCache) {
    W().NewBuyerWithHold(concert_, 0, {4});
    ASSERT_EQ(StatusOf(App(), 4), SeatStatus::kHeld);  // cached now, held
    W().Clock().Advance(App().GetSettings().reservation.hold_ttl);
    EXPECT_EQ(StatusOf(App(), 4), SeatStatus::kAvailable);
}

TEST(SeatMapMaxAge, ZeroReadsTheDatabaseEveryTime) {
    Settings settings;
    settings.seat_map_max_age = Millis{0};
    World world(MemoryBackend(), LockStrategyKind::kOptimistic, settings);
    SystemRandom random;
    Ticketing other(
        Backends{world.Adapters().Db(), world.Adapters().Queue(), world.Clock(), random, &world.Adapters().Lock()},
        settings
    );
    const auto concert = world.NewConcert(5);
    const auto schedule = concert.schedules[0].id;
    const auto viewer = world.Admit(concert.concert.id, world.NewUser());
    ASSERT_EQ(TK_OK(world.App().Catalog().GetSeatMap(viewer, schedule)).seats[0].status, SeatStatus::kAvailable);
    const auto buyer = world.Admit(concert.concert.id, world.NewUser());
    TK_OK(other.Reservations().Hold(buyer, schedule, world.Seats(schedule, {1})));
    EXPECT_EQ(TK_OK(world.App().Catalog().GetSeatMap(viewer, schedule)).seats[0].status, SeatStatus::kHeld);
    Settings negative;
    negative.seat_map_max_age = Millis{-1};
    TK_EXPECT_ERROR(ValidateSettings(negative), Errc::kInvalidArgument);
}

}  // namespace
}  // namespace ticketing::testing
