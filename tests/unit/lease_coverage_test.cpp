// Under the redis strategy a unit of work leases every aggregate it writes, so contended work is
// serialised by the leases instead of failing version checks.
#include <algorithm>
#include <atomic>
#include <barrier>
#include <mutex>
#include <thread>

#include "unit.hpp"

namespace ticketing::testing {
namespace {

using ports::LockEvent;

// The memory adapters with a lock that records the keys of every lease taken.
class RecordingAdapters final : public Backend, public ports::DistributedLock {
public:
    RecordingAdapters(const ports::Clock& clock, ports::Random& random) : inner_(MemoryBackend()(clock, random)) {}

    ports::UnitOfWorkFactory& Db() override { return inner_->Db(); }
    ports::QueueStore& Queue() override { return inner_->Queue(); }
    ports::DistributedLock& Lock() override { return *this; }

    Result<std::unique_ptr<ports::Lease>> Acquire(std::vector<std::string> keys, Millis ttl, Millis wait) override {
        {
            std::lock_guard lock(mutex_);
            leased_.push_back(keys);
        }
        return inner_->Lock().Acquire(std::move(keys), ttl, wait);
    }

    /// The keys of the last lease asked for, and forgets the others.
    std::vector<std::string> LastLeased() {
        std::lock_guard lock(mutex_);
        auto last = leased_.empty() ? std::vector<std::string>{} : leased_.back();
        leased_.clear();
        return last;
    }

private:
    std::unique_ptr<Backend> inner_;
    std::mutex mutex_;
    std::vector<std::vector<std::string>> leased_;
};

class LeaseCoverage : public ::testing::Test {
protected:
    static Settings ShortHolds() {
        Settings settings;
        settings.reservation.hold_ttl = 1min;
        return settings;
    }

    LeaseCoverage()
        : world_(
              [](const ports::Clock& clock, ports::Random& random) -> std::unique_ptr<Backend> {
                  return std::make_unique<RecordingAdapters>(clock, random);
              },
              LockStrategyKind::kRedis,
              ShortHolds()
          ),
          concert_(world_.NewConcert(10)),
          schedule_(concert_.schedules[0].id) {}

    RecordingAdapters& Lock() { return static_cast<RecordingAdapters&>(world_.Adapters()); }

    // Expects the last lease to cover the reservation, each of its seats, and `also`.
    void ExpectLeased(const Reservation& reservation, std::vector<std::string> also) {
        also.push_back("lock:reservation:" + std::to_string(reservation.id.value));
        for (const auto& seat : reservation.seats) also.push_back("lock:seat:" + std::to_string(seat.seat_id.value));
        const auto leased = Lock().LastLeased();
        for (const auto& key : also) {
            EXPECT_NE(std::find(leased.begin(), leased.end(), key), leased.end())
                << key << " not leased; leased: " << ::testing::PrintToString(leased);
        }
    }

    World world_;
    CreatedConcert concert_;
    ScheduleId schedule_;
};

TEST_F(LeaseCoverage, PayLeasesTheReservationItsSeatsAndTheUser) {
    auto buyer = world_.NewBuyerWithHold(concert_, 100'000, {1, 2});
    TK_OK(world_.App().Payments().Pay(buyer.token, buyer.hold.id, std::nullopt));
    ExpectLeased(buyer.hold, {"lock:user:" + std::to_string(buyer.user.value)});
}

TEST_F(LeaseCoverage, CancelLeasesTheReservationAndItsSeats) {
    auto buyer = world_.NewBuyerWithHold(concert_, 0, {3, 4});
    EXPECT_TRUE(world_.App().Reservations().Cancel(buyer.token, buyer.hold.id));
    ExpectLeased(buyer.hold, {});
}

TEST_F(LeaseCoverage, ExpiryLeasesTheReservationAndItsSeats) {
    auto buyer = world_.NewBuyerWithHold(concert_, 0, {5});
    world_.Clock().Advance(1min);
    EXPECT_EQ(TK_OK(world_.App().Reservations().ExpireHolds(10)), 1);
    ExpectLeased(buyer.hold, {});
}

TEST_F(LeaseCoverage, RefundLeasesThePaymentTheUserAndTheSeats) {
    auto buyer = world_.NewBuyerWithHold(concert_, 100'000, {6, 7});
    auto receipt = TK_OK(world_.App().Payments().Pay(buyer.token, buyer.hold.id, std::nullopt));
    TK_OK(world_.App().Payments().Refund(receipt.payment.id));
    const auto leased = Lock().LastLeased();
    std::vector<std::string> expected{
        "lock:payment:" + std::to_string(receipt.payment.id.value), "lock:user:" + std::to_string(buyer.user.value)};
    for (const auto& seat : buyer.hold.seats) expected.push_back("lock:seat:" + std::to_string(seat.seat_id.value));
    for (const auto& key : expected) {
        EXPECT_NE(std::find(leased.begin(), leased.end(), key), leased.end()) << key << " not leased";
    }
}

TEST_F(LeaseCoverage, AHoldReplacingALapsedOneLeasesTheLapsedHoldAndItsSeats) {
    auto buyer = world_.NewBuyerWithHold(concert_, 0, {8});
    world_.Clock().Advance(1min);
    TK_OK(world_.App().Reservations().Hold(buyer.token, schedule_, world_.Seats(schedule_, {9})));
    ExpectLeased(buyer.hold, {"lock:seat:" + std::to_string(world_.Seats(schedule_, {9})[0].value)});
}

// Buyers race to hold the same few seats and then pay (and refund), cancel or let the hold lapse (a
// token's next hold then replaces its lapsed one) while time moves and a sweeper tidies lapsed holds. Every unit of
// work that writes a seat or a reservation is serialised by its leases, so not one loses a version check.
TEST(LeaseStrategy, ContendedHoldAndPayLoseNoRace) {
    Settings settings;
    settings.queue.max_active = 1000;
    settings.queue.admit_per_tick = 1000;
    settings.queue_timeouts.active_ttl = 24h;
    settings.reservation.hold_ttl = 1s;
    settings.lock.lease_ttl = 24h;  // the buyers move the clock: leases must not lapse with it
    World world(MemoryBackend(), LockStrategyKind::kRedis, settings);
    const auto concert = world.NewConcert(4, 1'000);
    const auto schedule = concert.schedules[0].id;
    constexpr int kThreads = 6;
    constexpr int kRounds = 3000;
    constexpr std::size_t kTokensEach = 20;  // a payment uses its token up
    std::vector<std::vector<std::string>> tokens(kThreads);
    for (auto& mine : tokens) {
        for (std::size_t i = 0; i < kTokensEach; ++i) {
            mine.push_back(world.Admit(concert.concert.id, world.NewUser(1'000'000)));
        }
    }
    const std::vector<std::vector<SeatId>> seat_sets{
        world.Seats(schedule, {1, 2}), world.Seats(schedule, {2, 3}), world.Seats(schedule, {3, 4, 1})};

    std::atomic<bool> done{false};
    std::atomic<int> held{0};
    std::thread sweeper([&] {
        while (!done) {
            EXPECT_TRUE(world.App().Reservations().ExpireHolds(10).has_value());
            std::this_thread::sleep_for(100us);
        }
    });
    std::barrier start(kThreads);
    std::vector<std::thread> buyers;
    for (int t = 0; t < kThreads; ++t) {
        buyers.emplace_back([&, t] {
            const auto& mine = tokens[static_cast<std::size_t>(t)];
            std::size_t next = 0;
            start.arrive_and_wait();
            for (int round = 0; round < kRounds; ++round) {
                world.Clock().Advance(20ms);  // holds lapse as the buyers go
                const auto& token = mine[next];
                const auto& seats = seat_sets[static_cast<std::size_t>(t + round) % seat_sets.size()];
                auto hold = world.App().Reservations().Hold(token, schedule, seats);
                if (!hold) {
                    const auto code = hold.error().code;
                    EXPECT_TRUE(code == Errc::kSeatUnavailable || code == Errc::kHoldExists) << hold.error().message;
                    continue;
                }
                ++held;
                // Each may find the hold lapsed (HOLD_EXPIRED); a lost race would show in the counters.
                if (round % 3 == 0 && next + 1 < mine.size()) {
                    auto paid = world.App().Payments().Pay(token, hold->id, std::nullopt);
                    if (!paid) continue;
                    ++next;
                    // Sold seats come back for the others.
                    EXPECT_TRUE(world.App().Payments().Refund(paid->payment.id).has_value());
                } else if (round % 3 == 1) {
                    (void)world.App().Reservations().Cancel(token, hold->id);
                }
            }
        });
    }
    for (auto& b : buyers) b.join();
    done = true;
    sweeper.join();

    const auto counted = world.Counted();
    EXPECT_GT(held.load(), kThreads);
    EXPECT_GT(counted.seats_sold, 0);
    EXPECT_GT(counted.Lock(LockStrategyKind::kRedis, LockEvent::kLockWait), 0);  // it was contended
    EXPECT_EQ(counted.Lock(LockStrategyKind::kRedis, LockEvent::kVersionConflict), 0);
    EXPECT_EQ(counted.Lock(LockStrategyKind::kRedis, LockEvent::kConflictGivenUp), 0);
}

}  // namespace
}  // namespace ticketing::testing
