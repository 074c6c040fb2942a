// Whole use cases raced on one backend under one lock strategy: the invariants must hold under all.
#include <atomic>
#include <barrier>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "contract.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

// Runs `body(i)` on `threads` threads released together.
template <class F>
void Race(int threads, F body) {
    std::barrier start(threads);
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) {
        pool.emplace_back([&, i] {
            start.arrive_and_wait();
            body(i);
        });
    }
    for (auto& t : pool) t.join();
}

TEST_P(ConcurrencyScenarios, OverlappingMultiSeatHoldsHaveExactlyOneWinner) {
    auto concert = W().NewConcert(50, 10'000);
    const auto schedule = concert.schedules[0].id;
    std::vector<std::string> tokens;
    for (int i = 0; i < 50; ++i) tokens.push_back(W().Admit(concert.concert.id, W().NewUser()));
    // The original's seat sets, deliberately out of order to provoke deadlocks.
    const auto even = W().Seats(schedule, {1, 2, 6, 7, 8, 9});
    const auto odd = W().Seats(schedule, {2, 1, 3, 4, 5});

    std::atomic<int> won{0}, lost{0};
    std::vector<Result<Reservation>> results(50, MakeError(Errc::kInternal, "not run"));
    Race(10, [&](int t) {
        for (int i = t; i < 50; i += 10) {
            const auto& seats = i % 2 == 0 ? even : odd;
            results[static_cast<std::size_t>(i)] =
                W().App().Reservations().Hold(tokens[static_cast<std::size_t>(i)], schedule, seats);
        }
    });
    std::size_t winner = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i]) {
            ++won;
            winner = i;
        } else {
            EXPECT_EQ(results[i].error().code, Errc::kSeatUnavailable) << results[i].error().message;
            ++lost;
        }
    }
    ASSERT_EQ(won.load(), 1);
    EXPECT_EQ(lost.load(), 49);
    const auto held_expected = winner % 2 == 0 ? 6 : 5;
    auto map = TK_OK(W().App().Catalog().GetSeatMap(tokens[winner], schedule));
    const auto held = std::count_if(map.seats.begin(), map.seats.end(), [&](const Seat& s) {
        return s.status == SeatStatus::kHeld && s.held_by == results[winner]->id;
    });
    EXPECT_EQ(held, held_expected);
    EXPECT_EQ(
        std::count_if(
            map.seats.begin(), map.seats.end(), [](const Seat& s) { return s.status != SeatStatus::kAvailable; }
        ),
        held_expected
    );
}

TEST_P(ConcurrencyScenarios, TenConcurrentPaymentsOfOneHoldChargeOnce) {
    auto concert = W().NewConcert(50, 10'000);
    const auto buyer = W().NewBuyerWithHold(concert, 100'000, {3, 4});

    std::atomic<int> paid{0};
    Race(10, [&](int) {
        auto receipt = W().App().Payments().Pay(buyer.token, buyer.hold.id, std::nullopt);
        if (receipt) {
            ++paid;
        } else {
            const auto code = receipt.error().code;
            EXPECT_TRUE(code == Errc::kConflict || code == Errc::kUnauthenticated) << receipt.error().message;
        }
    });
    EXPECT_EQ(paid.load(), 1);
    EXPECT_EQ(TK_OK(W().App().Accounts().GetUser(buyer.user)).balance, 80'000);
    auto tickets = TK_OK(W().App().Accounts().Tickets(buyer.user, {}));
    EXPECT_EQ(tickets.items.size(), 2U);
    auto history = TK_OK(W().App().Accounts().History(buyer.user, {}));
    EXPECT_EQ(
        std::count_if(
            history.items.begin(),
            history.items.end(),
            [](const LedgerEntry& e) { return e.type == LedgerType::kPayment; }
        ),
        1
    );
    EXPECT_EQ(TK_OK(W().App().Outbox().Stats()).pending, 1);
}

TEST_P(ConcurrencyScenarios, TenConcurrentChargesAllApply) {
    const auto user = W().NewUser();
    std::atomic<int> ok{0};
    Race(10, [&](int) {
        auto charged = W().App().Accounts().Charge(user, 300, std::nullopt);
        EXPECT_TRUE(charged.has_value()) << charged.error().message;
        if (charged) ++ok;
    });
    EXPECT_EQ(ok.load(), 10);
    EXPECT_EQ(TK_OK(W().App().Accounts().GetUser(user)).balance, 3000);
    auto history = TK_OK(W().App().Accounts().History(user, {}));
    ASSERT_EQ(history.items.size(), 10U);
    std::set<Money> after;
    for (const auto& e : history.items) after.insert(e.balance_after);
    EXPECT_EQ(after.size(), 10U);  // each row saw its own balance
    EXPECT_EQ(*after.rbegin(), 3000);
}

TEST_P(ConcurrencyScenarios, ConcurrentPaymentAndChargeBothApplyOnce) {
    auto concert = W().NewConcert(50, 10'000);
    const auto buyer = W().NewBuyerWithHold(concert, 50'000, {1});
    Race(2, [&](int i) {
        if (i == 0) {
            EXPECT_TRUE(W().App().Payments().Pay(buyer.token, buyer.hold.id, std::nullopt).has_value());
        } else {
            EXPECT_TRUE(W().App().Accounts().Charge(buyer.user, 1000, std::nullopt).has_value());
        }
    });
    EXPECT_EQ(TK_OK(W().App().Accounts().GetUser(buyer.user)).balance, 50'000 - 10'000 + 1000);
    EXPECT_EQ(TK_OK(W().App().Accounts().History(buyer.user, {})).items.size(), 3U);  // seed charge, payment, charge
}

TEST_P(ConcurrencyScenarios, ConcurrentChargesWithOneIdempotencyKeyRunOnce) {
    const auto user = W().NewUser();
    std::atomic<int> fresh{0}, replayed{0};
    Race(8, [&](int) {
        auto charged = W().App().Accounts().Charge(user, 500, "key-1");
        ASSERT_TRUE(charged.has_value()) << charged.error().message;
        EXPECT_EQ(charged->balance, 500);
        (charged->replayed ? replayed : fresh)++;
    });
    EXPECT_EQ(fresh.load(), 1);
    EXPECT_EQ(replayed.load(), 7);
    EXPECT_EQ(TK_OK(W().App().Accounts().GetUser(user)).balance, 500);
}

// Batches of charges over overlapping users (a user twice in a batch, an Idempotency-Key asked twice
// in a batch and one asked by every thread, bad requests among them) race with single charges: every
// won answered is in the balance once, each key charges once, and each user's ledger adds up row by
// row to the balance. (A charge may give up with CONFLICT when a lease stays busy: then it is not in.)
TEST_P(ConcurrencyScenarios, BatchedChargesNeverLoseOrDoubleAWon) {
    constexpr int kUsers = 4;
    constexpr int kThreads = 4;
    constexpr int kRounds = 6;
    std::vector<UserId> users;
    for (int i = 0; i < kUsers; ++i) users.push_back(W().NewUser());
    std::mutex mutex;
    std::map<UserId, Money> charged;  // the fresh charges answered, per user
    std::map<UserId, int> rows;
    std::map<std::string, int> fresh_by_key;
    const auto record = [&](const ChargeRequest& request, const Result<ChargeResult>& answer) {
        if (!answer) {
            EXPECT_EQ(answer.error().code, Errc::kConflict) << answer.error().message;
            return;
        }
        EXPECT_EQ(answer->user_id, request.user);
        std::lock_guard lock(mutex);
        if (request.idempotency_key) fresh_by_key[std::string(*request.idempotency_key)] += answer->replayed ? 0 : 1;
        if (answer->replayed) return;
        charged[request.user] += request.amount;
        ++rows[request.user];
    };
    Race(kThreads, [&](int t) {
        for (int round = 0; round < kRounds; ++round) {
            const auto own_key = "key-" + std::to_string(t) + "-" + std::to_string(round);
            const auto shared_key = "shared-" + std::to_string(round);
            const auto user = [&](int n) { return users[static_cast<std::size_t>((t + round + n) % kUsers)]; };
            const std::vector<ChargeRequest> batch{
                {user(0), 100 + t, std::nullopt},
                {user(1), 10, std::nullopt},
                {user(0), 1, std::nullopt},  // the same user again
                {user(2), 1000, own_key},
                {user(2), 1000, own_key},  // the same key again: replayed
                {users[0], 50, shared_key},
                {user(3), 0, std::nullopt},
                {UserId{999999}, 5, std::nullopt},
            };
            auto answers = W().App().Accounts().ChargeMany(batch);
            ASSERT_EQ(answers.size(), batch.size());
            for (std::size_t i = 0; i < 6; ++i) record(batch[i], answers[i]);
            TK_EXPECT_ERROR(answers[6], Errc::kInvalidArgument);
            TK_EXPECT_ERROR(answers[7], Errc::kNotFound);
            const ChargeRequest single{user(1), 7, std::nullopt};
            record(single, W().App().Accounts().Charge(single.user, single.amount, std::nullopt));
        }
    });
    for (const auto& [key, fresh] : fresh_by_key) EXPECT_LE(fresh, 1) << key;
    for (auto user : users) {
        EXPECT_EQ(TK_OK(W().App().Accounts().GetUser(user)).balance, charged[user]);
        auto history = TK_OK(W().App().Accounts().History(user, {100, std::nullopt}));
        ASSERT_EQ(static_cast<int>(history.items.size()), rows[user]);
        Money balance = 0;
        for (auto it = history.items.rbegin(); it != history.items.rend(); ++it) {  // oldest first
            balance += it->amount;
            EXPECT_EQ(it->balance_after, balance) << "ledger row " << it->id.value;
        }
        EXPECT_EQ(balance, charged[user]);
    }
}

TEST_P(ConcurrencyScenarios, HoldAndPayRaceSellsEverySeatOnceAndConservesMoney) {
    auto concert = W().NewConcert(20, 1'000);
    const auto schedule = concert.schedules[0].id;
    constexpr int kBuyers = 8;
    std::vector<UserId> users;
    std::vector<std::string> tokens;
    for (int i = 0; i < kBuyers; ++i) {
        users.push_back(W().NewUser(100'000));
        tokens.push_back(W().Admit(concert.concert.id, users.back()));
    }
    std::atomic<int> sold{0};
    Race(kBuyers, [&](int b) {
        auto token = tokens[static_cast<std::size_t>(b)];
        for (int round = 0; round < 12; ++round) {
            // Each buyer walks the seats from a different start, two at a time.
            const int first = (b * 3 + round * 2) % 20 + 1;
            const int second = first % 20 + 1;
            auto hold = W().App().Reservations().Hold(token, schedule, W().Seats(schedule, {first, second}));
            if (!hold) {
                EXPECT_EQ(hold.error().code, Errc::kSeatUnavailable) << hold.error().message;
                continue;
            }
            auto paid = W().App().Payments().Pay(token, hold->id, std::nullopt);
            ASSERT_TRUE(paid.has_value()) << paid.error().message;
            sold += 2;
            // Payment revoked the token: queue again for the next round.
            auto joined = W().App().Queue().Join(concert.concert.id, users[static_cast<std::size_t>(b)]);
            ASSERT_TRUE(joined.has_value());
            token = joined->position.info.token;
            while (true) {
                auto status = W().App().Queue().Status(token);
                ASSERT_TRUE(status.has_value()) << status.error().message;
                if (status->info.status == TokenStatus::kActive) break;
                (void)W().App().Queue().Tick(concert.concert.id);
                std::this_thread::yield();
                W().Clock().Advance(1s);
            }
        }
    });
    std::set<std::int64_t> seats_with_tickets;
    Money spent = 0;
    std::int64_t tickets = 0;
    for (auto user : users) {
        for (const auto& t : TK_OK(W().App().Accounts().Tickets(user, {.limit = 100, .cursor = std::nullopt})).items) {
            EXPECT_TRUE(seats_with_tickets.insert(t.seat_id.value).second) << "seat sold twice: " << t.seat_id.value;
            spent += t.price;
            ++tickets;
        }
        const auto balance = TK_OK(W().App().Accounts().GetUser(user)).balance;
        spent += balance;
    }
    EXPECT_EQ(tickets, sold.load());
    EXPECT_EQ(spent, kBuyers * 100'000);  // balances + ticket prices = all charges
    auto uow = TK_OK(W().Adapters().Db().Begin(ports::TxMode::kRead));
    auto seats = TK_OK(uow->ListSeats(schedule));
    EXPECT_EQ(
        std::count_if(seats.begin(), seats.end(), [](const Seat& s) { return s.status == SeatStatus::kSold; }), tickets
    );
}

// Holds and cancels decided in batches (as the server answers them), racing over overlapping seats:
// a batch that loses a race falls back to one hold at a time; no seat ever ends up in two holds.
TEST_P(ConcurrencyScenarios, BatchedHoldsAndCancelsNeverHoldASeatTwice) {
    auto concert = W().NewConcert(12, 1'000);
    const auto schedule = concert.schedules[0].id;
    constexpr int kThreads = 4;
    constexpr int kPerBatch = 6;
    constexpr int kRounds = 6;
    std::vector<std::string> tokens;
    for (int i = 0; i < kThreads * kPerBatch; ++i) tokens.push_back(W().Admit(concert.concert.id, W().NewUser()));
    std::vector<std::vector<SeatId>> pairs;  // seats n and n + 1
    for (int n = 1; n <= 12; ++n) pairs.push_back(W().Seats(schedule, {n, n % 12 + 1}));
    std::mutex mutex;
    std::map<ReservationId, Reservation> live;  // held and not cancelled
    Race(kThreads, [&](int t) {
        for (int round = 0; round < kRounds; ++round) {
            std::vector<HoldRequest> holds;
            for (int k = 0; k < kPerBatch; ++k) {
                holds.push_back(
                    {tokens[static_cast<std::size_t>(t * kPerBatch + k)],
                     schedule,
                     pairs[static_cast<std::size_t>((t * 5 + round * 3 + k) % 12)]}
                );
            }
            holds.push_back(holds.front());  // a token twice in one batch
            auto held = W().App().Reservations().HoldMany(holds);
            std::vector<CancelRequest> cancels;
            for (std::size_t i = 0; i < held.size(); ++i) {
                if (!held[i]) {
                    const auto code = held[i].error().code;
                    EXPECT_TRUE(code == Errc::kSeatUnavailable || code == Errc::kHoldExists) << held[i].error().message;
                    continue;
                }
                std::lock_guard lock(mutex);
                EXPECT_TRUE(live.emplace(held[i]->id, *held[i]).second);
                cancels.push_back({holds[i].token, held[i]->id});
            }
            if (round + 1 == kRounds || cancels.empty()) continue;  // the last round's holds stay
            cancels.push_back(cancels.front());                     // a reservation twice in one batch
            auto cancelled = W().App().Reservations().CancelMany(cancels);
            for (std::size_t i = 0; i < cancelled.size(); ++i) {
                if (!cancelled[i]) {
                    EXPECT_EQ(cancelled[i].error().code, Errc::kConflict) << cancelled[i].error().message;
                    continue;
                }
                std::lock_guard lock(mutex);
                EXPECT_EQ(live.erase(cancels[i].id), 1U);
            }
        }
    });
    // Every seat held is held by exactly the live hold that lists it, and no seat is in two.
    std::map<SeatId, ReservationId> holder;
    for (const auto& [id, hold] : live) {
        for (const auto& seat : hold.seats) {
            EXPECT_TRUE(holder.emplace(seat.seat_id, id).second) << "seat " << seat.seat_id.value << " held twice";
        }
    }
    // No hold row beyond those answered: a batch never leaves half of itself behind.
    EXPECT_EQ(TK_OK(W().App().Reservations().ActiveHolds()), static_cast<std::int64_t>(live.size()));
    auto uow = TK_OK(W().Adapters().Db().Begin(ports::TxMode::kRead));
    const auto now = W().Clock().Now();
    for (const auto& seat : TK_OK(uow->ListSeats(schedule))) {
        const auto it = holder.find(seat.id);
        if (it == holder.end()) {
            EXPECT_EQ(seat.StatusAt(now), SeatStatus::kAvailable) << "seat " << seat.number;
        } else {
            EXPECT_EQ(seat.StatusAt(now), SeatStatus::kHeld) << "seat " << seat.number;
            EXPECT_EQ(seat.held_by, it->second) << "seat " << seat.number;
        }
    }
    EXPECT_FALSE(live.empty());
}

// A batch meets what earlier units of work left: a token's live hold, a paid reservation, a seat held
// by another; each request is answered as it would be alone, on every backend and strategy.
TEST_P(ConcurrencyScenarios, BatchesAnswerHeldPaidAndTakenSeatsAsAloneWould) {
    auto concert = W().NewConcert(6, 1'000);
    const auto schedule = concert.schedules[0].id;
    const auto holder = W().NewBuyerWithHold(concert, 10'000, {1});
    const auto payer = W().NewBuyerWithHold(concert, 10'000, {2});
    TK_OK(W().App().Payments().Pay(payer.token, payer.hold.id, std::nullopt));
    const auto payer_token = W().Admit(concert.concert.id, payer.user);  // payment revoked the first
    const auto c = W().Admit(concert.concert.id, W().NewUser());
    const auto d = W().Admit(concert.concert.id, W().NewUser());
    const auto seat_1 = W().Seats(schedule, {1});
    const auto seat_3 = W().Seats(schedule, {3});
    const auto seats_4_5 = W().Seats(schedule, {4, 5});
    const auto seat_5 = W().Seats(schedule, {5});
    const auto seat_6 = W().Seats(schedule, {6});
    const std::vector<HoldRequest> holds{
        {holder.token, schedule, seat_3},  // already holds seat 1
        {c, schedule, seat_1},             // held by the holder
        {c, schedule, seats_4_5},
        {d, schedule, seat_5},  // taken by c's hold in this batch
        {d, schedule, seat_6},
    };
    auto held = W().App().Reservations().HoldMany(holds);
    TK_EXPECT_ERROR(held[0], Errc::kHoldExists);
    TK_EXPECT_ERROR(held[1], Errc::kSeatUnavailable);
    const auto c_hold = TK_OK(held[2]);
    TK_EXPECT_ERROR(held[3], Errc::kSeatUnavailable);
    const auto d_hold = TK_OK(held[4]);
    EXPECT_EQ(c_hold.seats.size(), 2U);
    const std::vector<CancelRequest> cancels{
        {payer_token, payer.hold.id},  // paid
        {d, c_hold.id},                // not d's
        {holder.token, holder.hold.id},
        {d, d_hold.id},
    };
    auto cancelled = W().App().Reservations().CancelMany(cancels);
    TK_EXPECT_ERROR(cancelled[0], Errc::kConflict);
    TK_EXPECT_ERROR(cancelled[1], Errc::kForbidden);
    EXPECT_TRUE(cancelled[2].has_value());
    EXPECT_TRUE(cancelled[3].has_value());
    auto uow = TK_OK(W().Adapters().Db().Begin(ports::TxMode::kRead));
    const auto seats = TK_OK(uow->ListSeats(schedule));
    const std::vector<SeatStatus> expected{
        SeatStatus::kAvailable,
        SeatStatus::kSold,
        SeatStatus::kAvailable,
        SeatStatus::kHeld,
        SeatStatus::kHeld,
        SeatStatus::kAvailable};
    for (std::size_t i = 0; i < seats.size(); ++i) EXPECT_EQ(seats[i].status, expected[i]) << "seat " << i + 1;
    EXPECT_EQ(seats[4].held_by, c_hold.id);
    EXPECT_EQ(TK_OK(W().App().Reservations().ActiveHolds()), 1);
}

TEST_P(ConcurrencyScenarios, ExpirySweeperNeverReleasesAPaidSeat) {
    auto concert = W().NewConcert(10, 1'000);
    const auto schedule = concert.schedules[0].id;
    const auto buyer = W().NewBuyerWithHold(concert, 10'000, {1});
    TK_OK(W().App().Payments().Pay(buyer.token, buyer.hold.id, std::nullopt));
    W().Clock().Advance(1h);
    Race(4, [&](int) { EXPECT_TRUE(W().App().Reservations().ExpireHolds(100).has_value()); });
    auto uow = TK_OK(W().Adapters().Db().Begin(ports::TxMode::kRead));
    EXPECT_EQ(TK_OK(uow->ListSeats(schedule))[0].status, SeatStatus::kSold);
}

}  // namespace

void ConcurrencyScenarios::SetUp() {
    Settings settings;
    settings.queue.max_active = 1000;
    settings.queue.admit_per_tick = 1000;
    settings.queue.tick_interval = 1s;
    settings.lock.max_attempts = 64;  // 50 racers: under optimistic the winner keeps changing
    world_ = std::make_unique<World>(GetParam(), settings);
}

}  // namespace ticketing::testing
