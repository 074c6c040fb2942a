#include <atomic>
#include <ticketing/memory/memory_database.hpp>

#include "unit.hpp"

namespace ticketing::testing {
namespace {

class PaymentRules : public RulesTest {
protected:
    void SetUp() override {
        concert_ = W().NewConcert(50, 50'000);
        schedule_ = concert_.schedules[0].id;
        user_ = W().NewUser(200'000);
        token_ = W().Admit(concert_.concert.id, user_);
    }
    Reservation Hold(const std::vector<int>& numbers) {
        return App().Reservations().Hold(token_, schedule_, W().Seats(schedule_, numbers)).value();
    }

    CreatedConcert concert_;
    ScheduleId schedule_;
    UserId user_;
    std::string token_;
};

// §9.5 port: holds on two seats and enough balance → two tickets, balance debited, seats sold,
// hold closed, token revoked, one payment.completed event.
TEST_F(PaymentRules, PaymentIssuesTicketsSellsSeatsAndRevokesTheToken) {
    auto hold = Hold({1, 2});
    auto receipt = TK_OK(App().Payments().Pay(token_, hold.id, std::nullopt));
    EXPECT_EQ(receipt.payment.amount, 100'000);
    EXPECT_EQ(receipt.balance, 100'000);
    ASSERT_EQ(receipt.tickets.size(), 2U);
    EXPECT_EQ(receipt.tickets[0].seat_number, 1);
    EXPECT_EQ(receipt.tickets[0].status, TicketStatus::kIssued);
    auto history = TK_OK(App().Accounts().History(user_, {}));
    EXPECT_EQ(history.items[0].type, LedgerType::kPayment);  // §12 bug 24: no CONSUME row in the original
    EXPECT_EQ(history.items[0].amount, -100'000);
    EXPECT_EQ(history.items[0].balance_after, 100'000);
    TK_EXPECT_ERROR(App().Queue().Status(token_), Errc::kUnauthenticated);  // revoked
    auto other = W().Admit(concert_.concert.id, W().NewUser());
    auto map = TK_OK(App().Catalog().GetSeatMap(other, schedule_));
    EXPECT_EQ(map.seats[0].status, SeatStatus::kSold);  // §12 bug 19: the original never marked DONE
    TK_EXPECT_ERROR(App().Reservations().Hold(other, schedule_, W().Seats(schedule_, {1})), Errc::kSeatUnavailable);
    auto outbox = TK_OK(App().Outbox().Stats());
    EXPECT_EQ(outbox.pending, 1);
}

TEST_F(PaymentRules, AnExpiredHoldFailsBeforeAnyMoneyMoves) {
    // §12 bug 20: the original charged stale holds.
    auto hold = Hold({1});
    W().Clock().Advance(5min);
    auto token = W().Admit(concert_.concert.id, user_);  // a new admission cannot revive the hold
    TK_EXPECT_ERROR(App().Payments().Pay(token, hold.id, std::nullopt), Errc::kHoldExpired);
    EXPECT_EQ(TK_OK(App().Accounts().GetUser(user_)).balance, 200'000);
    EXPECT_EQ(TK_OK(App().Outbox().Stats()).pending, 0);
}

TEST_F(PaymentRules, InsufficientBalanceChangesNothing) {
    auto poor = W().NewUser(10'000);
    auto token = W().Admit(concert_.concert.id, poor);
    auto hold = App().Reservations().Hold(token, schedule_, W().Seats(schedule_, {9})).value();
    TK_EXPECT_ERROR(App().Payments().Pay(token, hold.id, std::nullopt), Errc::kInsufficientBalance);
    EXPECT_EQ(TK_OK(App().Accounts().GetUser(poor)).balance, 10'000);
    EXPECT_EQ(TK_OK(App().Reservations().Get(token, hold.id)).status, ReservationStatus::kHeld);
    TK_OK(App().Queue().Status(token));  // the token is kept when nothing was paid (§12 bug 32)
}

TEST_F(PaymentRules, PayingTwiceChargesOnce) {
    auto hold = Hold({1});
    TK_OK(App().Payments().Pay(token_, hold.id, std::nullopt));
    TK_EXPECT_ERROR(App().Payments().Pay(token_, hold.id, std::nullopt), Errc::kUnauthenticated);
    auto token = W().Admit(concert_.concert.id, user_);
    TK_EXPECT_ERROR(App().Payments().Pay(token, hold.id, std::nullopt), Errc::kConflict);
    EXPECT_EQ(TK_OK(App().Accounts().GetUser(user_)).balance, 150'000);
}

TEST_F(PaymentRules, IdempotentPaymentReplaysEvenAfterTheTokenIsRevoked) {
    auto hold = Hold({1, 2});
    auto first = TK_OK(App().Payments().Pay(token_, hold.id, "pay-1"));
    auto replay = TK_OK(App().Payments().Pay(token_, hold.id, "pay-1"));
    EXPECT_TRUE(replay.replayed);
    EXPECT_EQ(replay.payment.id, first.payment.id);
    EXPECT_EQ(replay.balance, first.balance);
    EXPECT_EQ(replay.tickets.size(), 2U);
    TK_EXPECT_ERROR(
        App().Payments().Pay(token_, ReservationId{hold.id.value + 1}, "pay-1"), Errc::kIdempotencyKeyReused
    );
    TK_EXPECT_ERROR(App().Payments().Pay(token_, hold.id, "other-key"), Errc::kUnauthenticated);
    EXPECT_EQ(TK_OK(App().Accounts().GetUser(user_)).balance, 100'000);
    EXPECT_EQ(W().Counted().seats_sold, 2);  // sold once, not again by the replay
}

TEST_F(PaymentRules, OnlyTheOwnerPays) {
    auto hold = Hold({1});
    auto stranger_user = W().NewUser(1'000'000);
    auto stranger = W().Admit(concert_.concert.id, stranger_user);
    TK_EXPECT_ERROR(App().Payments().Pay(stranger, hold.id, std::nullopt), Errc::kForbidden);
    TK_EXPECT_ERROR(App().Payments().Pay(stranger, ReservationId{99999}, std::nullopt), Errc::kNotFound);
    EXPECT_EQ(TK_OK(App().Accounts().GetUser(stranger_user)).balance, 1'000'000);
}

TEST_F(PaymentRules, RefundRestoresSeatsAndMoneyOnce) {
    auto hold = Hold({4});
    auto receipt = TK_OK(App().Payments().Pay(token_, hold.id, std::nullopt));
    auto refund = TK_OK(App().Payments().Refund(receipt.payment.id));
    EXPECT_EQ(refund.payment.status, PaymentStatus::kRefunded);
    EXPECT_EQ(refund.balance, 200'000);
    TK_EXPECT_ERROR(App().Payments().Refund(receipt.payment.id), Errc::kConflict);
    TK_EXPECT_ERROR(App().Payments().Refund(PaymentId{99999}), Errc::kNotFound);
    auto tickets = TK_OK(App().Accounts().Tickets(user_, {}));
    EXPECT_EQ(tickets.items[0].status, TicketStatus::kRefunded);
    auto history = TK_OK(App().Accounts().History(user_, {}));
    EXPECT_EQ(history.items[0].type, LedgerType::kRefund);
    EXPECT_EQ(history.items[0].amount, 50'000);
    EXPECT_EQ(TK_OK(App().Outbox().Stats()).pending, 2);
    // The seat is on sale again.
    auto other = W().Admit(concert_.concert.id, W().NewUser());
    TK_OK(App().Reservations().Hold(other, schedule_, W().Seats(schedule_, {4})));
}

TEST_F(PaymentRules, ABackendDownLeavesNothingHalfWritten) {
    auto hold = Hold({1});
    auto& db = dynamic_cast<memory::MemoryDatabase&>(W().Adapters().Db());
    db.SetAvailable(false);
    TK_EXPECT_ERROR(App().Payments().Pay(token_, hold.id, std::nullopt), Errc::kUnavailable);
    TK_EXPECT_ERROR(App().Accounts().Charge(user_, 100, std::nullopt), Errc::kUnavailable);
    db.SetAvailable(true);
    EXPECT_EQ(TK_OK(App().Accounts().GetUser(user_)).balance, 200'000);
    EXPECT_EQ(TK_OK(App().Reservations().Get(token_, hold.id)).status, ReservationStatus::kHeld);
    TK_OK(App().Payments().Pay(token_, hold.id, std::nullopt));
}

TEST_F(PaymentRules, TheTokenIsCheckedBeforeTheRequest) {
    auto hold = Hold({1});
    TK_EXPECT_ERROR(App().Payments().Pay("not-a-token", hold.id, ""), Errc::kUnauthenticated);
    QueueSettingsPatch pause;
    pause.paused = true;
    TK_OK(App().Queue().UpdateSettings(concert_.concert.id, pause));
    auto waiting = TK_OK(App().Queue().Join(concert_.concert.id, W().NewUser())).position.info.token;
    TK_EXPECT_ERROR(App().Payments().Pay(waiting, hold.id, ""), Errc::kNotAdmitted);
    TK_EXPECT_ERROR(App().Payments().Pay(token_, hold.id, ""), Errc::kInvalidArgument);
}

TEST_F(PaymentRules, AReplayAfterARefundAnswersWhatThePaymentAnswered) {
    auto hold = Hold({1});
    auto first = TK_OK(App().Payments().Pay(token_, hold.id, "pay-1"));
    TK_OK(App().Payments().Refund(first.payment.id));
    auto replay = TK_OK(App().Payments().Pay(token_, hold.id, "pay-1"));
    EXPECT_EQ(replay.payment.status, PaymentStatus::kCompleted);
    EXPECT_EQ(replay.tickets.at(0).status, TicketStatus::kIssued);
    EXPECT_EQ(replay.balance, first.balance);
}

TEST(PaymentReplay, ALapsedRecordOnARevokedTokenIsUnauthenticated) {
    Settings settings;
    settings.queue_timeouts.revoked_retention = 48h;  // outlives the 24 h idempotency record
    World world(MemoryBackend(), LockStrategyKind::kOptimistic, settings);
    auto concert = world.NewConcert(5, 1000);
    const auto buyer = world.NewBuyerWithHold(concert, 10'000, {1});
    TK_OK(world.App().Payments().Pay(buyer.token, buyer.hold.id, "pay-1"));
    world.Clock().Advance(25h);
    TK_EXPECT_ERROR(world.App().Payments().Pay(buyer.token, buyer.hold.id, "pay-1"), Errc::kUnauthenticated);
    EXPECT_EQ(TK_OK(world.App().Accounts().GetUser(buyer.user)).balance, 9000);
}

// The memory adapters, with the queue store's lookups counted.
class CountingLookups final : public Backend, public ports::QueueStore {
public:
    CountingLookups(const ports::Clock& clock, ports::Random& random) : inner_(MemoryBackend()(clock, random)) {}
    ports::UnitOfWorkFactory& Db() override { return inner_->Db(); }
    ports::QueueStore& Queue() override { return *this; }
    ports::DistributedLock& Lock() override { return inner_->Lock(); }

    Result<JoinOutcome> Join(ConcertId c, UserId u, const std::string& t, Timestamp now, const QueueSettings& d)
        override {
        return inner_->Queue().Join(c, u, t, now, d);
    }
    std::vector<Result<JoinOutcome>> JoinMany(std::span<const JoinCall> c, Timestamp now, const QueueSettings& d)
        override {
        return inner_->Queue().JoinMany(c, now, d);
    }
    Result<std::optional<TokenView>> Lookup(std::string_view t, Timestamp now, const QueueSettings& d) override {
        ++lookups;
        return inner_->Queue().Lookup(t, now, d);
    }
    std::vector<Result<std::optional<TokenView>>> LookupMany(
        std::span<const std::string_view> t, Timestamp now, const QueueSettings& d
    ) override {
        lookups += static_cast<int>(t.size());
        return inner_->Queue().LookupMany(t, now, d);
    }
    Result<void> Leave(std::string_view t) override { return inner_->Queue().Leave(t); }
    Result<void> Revoke(std::string_view t, Timestamp keep) override { return inner_->Queue().Revoke(t, keep); }
    Result<TickOutcome> Tick(ConcertId c, Timestamp now, Millis ttl, const QueueSettings& d) override {
        return inner_->Queue().Tick(c, now, ttl, d);
    }
    Result<std::int64_t> DropIdle(ConcertId c, Timestamp before) override {
        return inner_->Queue().DropIdle(c, before);
    }
    Result<QueueStats> Stats(ConcertId c, Timestamp now, const QueueSettings& d) override {
        return inner_->Queue().Stats(c, now, d);
    }
    Result<QueueSettings> UpdateSettings(
        ConcertId c, const QueueSettingsPatch& p, Timestamp now, const QueueSettings& d
    ) override {
        return inner_->Queue().UpdateSettings(c, p, now, d);
    }
    Result<std::vector<ConcertId>> Concerts() override { return inner_->Queue().Concerts(); }

    static inline std::atomic<int> lookups{0};

private:
    std::unique_ptr<Backend> inner_;
};

TEST(PaymentQueueCost, APaymentLooksItsTokenUpOnce) {
    World world(
        [](const ports::Clock& clock, ports::Random& random) -> std::unique_ptr<Backend> {
            return std::make_unique<CountingLookups>(clock, random);
        },
        LockStrategyKind::kOptimistic
    );
    auto concert = world.NewConcert(5, 1000);
    const auto buyer = world.NewBuyerWithHold(concert, 10'000, {1});
    CountingLookups::lookups = 0;
    TK_OK(world.App().Payments().Pay(buyer.token, buyer.hold.id, std::nullopt));
    EXPECT_EQ(CountingLookups::lookups.load(), 1);  // the queue store is Redis in production: one round trip
}

}  // namespace
}  // namespace ticketing::testing
