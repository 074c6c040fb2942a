#include <set>
#include <ticketing/ports/event_sink.hpp>

#include "unit.hpp"

namespace ticketing::testing {
namespace {

class RecordingSink final : public ports::EventSink {
public:
    std::vector<Result<void>> PublishBatch(std::span<const OutboxEvent> events) override {
        std::vector<Result<void>> out;
        for (const auto& event : events) {
            attempted.push_back(event.event_id);
            if (failing || failing_aggregates.contains(event.aggregate)) {
                out.push_back(MakeError(Errc::kUnavailable, "broker down"));
                continue;
            }
            published.push_back(event);
            out.emplace_back();
        }
        ++batches;
        return out;
    }
    bool failing{false};
    std::set<std::string> failing_aggregates;
    int batches{0};
    std::vector<std::string> attempted;
    std::vector<OutboxEvent> published;
};

/// Forwards to another sink, then loses the relay before it marks anything: a crash between
/// publishing and marking.
class CrashingSink final : public ports::EventSink {
public:
    explicit CrashingSink(ports::EventSink& inner) : inner_(inner) {}
    std::vector<Result<void>> PublishBatch(std::span<const OutboxEvent> events) override {
        inner_.PublishBatch(events);
        return {};  // fewer results than events: the relay gives up without marking
    }

private:
    ports::EventSink& inner_;
};

class OutboxRules : public RulesTest {
protected:
    OutboxRules() : RulesTest(MakeSettings()) {}
    static Settings MakeSettings() {
        Settings s;
        s.outbox.max_attempts = 3;
        s.outbox.backoff_base = 1s;
        return s;
    }
    PaymentId Sell(int seat) {
        const auto buyer = W().NewBuyerWithHold(concert_, 100'000, {seat});
        return App().Payments().Pay(buyer.token, buyer.hold.id, std::nullopt).value().payment.id;
    }
    void SetUp() override { concert_ = W().NewConcert(10, 1000); }

    CreatedConcert concert_;
    RecordingSink sink_;
};

TEST_F(OutboxRules, RelayPublishesInOrderWithTheEventPayload) {
    auto first = Sell(1);
    Sell(2);
    auto relayed = TK_OK(App().Outbox().RelayOnce(sink_, 100));
    EXPECT_EQ(relayed.published, 2);
    ASSERT_EQ(sink_.published.size(), 2U);
    const auto& event = sink_.published[0];
    EXPECT_EQ(event.type, "payment.completed");
    EXPECT_EQ(event.aggregate, "payment:" + std::to_string(first.value));
    EXPECT_NE(event.payload.find("\"paymentId\":" + std::to_string(first.value)), std::string::npos);
    EXPECT_NE(event.payload.find("\"eventId\":\"" + event.event_id + "\""), std::string::npos);
    EXPECT_NE(event.payload.find("\"seatNumber\":1"), std::string::npos);
    EXPECT_EQ(TK_OK(App().Outbox().Stats()).pending, 0);
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 100)).published, 0);  // nothing twice
}

TEST_F(OutboxRules, FailuresBackOffHoldTheAggregateBackAndEndDead) {
    auto payment = Sell(1);
    TK_OK(App().Payments().Refund(payment));  // a second event of the same aggregate
    sink_.failing = true;
    auto first = TK_OK(App().Outbox().RelayOnce(sink_, 100));
    EXPECT_EQ(first.failed, 1);  // the refund event waits behind the completed one
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 100)).failed, 0);  // backing off: not due yet
    W().Clock().Advance(10s);
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 100)).failed, 1);
    W().Clock().Advance(1min);
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 100)).dead, 1);  // third attempt
    auto stats = TK_OK(App().Outbox().Stats());
    EXPECT_EQ(stats.dead, 1);
    EXPECT_EQ(stats.pending, 1);
    W().Clock().Advance(30s);
    EXPECT_EQ(TK_OK(App().Outbox().Stats()).oldest_pending_age_seconds, 100);

    sink_.failing = false;
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 100)).published, 1);
    ASSERT_EQ(sink_.published.size(), 1U);
    EXPECT_EQ(sink_.published[0].type, "payment.refunded");
}

TEST_F(OutboxRules, AnOperatorRetriesADeadEvent) {
    Sell(1);
    sink_.failing = true;
    for (int i = 0; i < 3; ++i) {
        TK_OK(App().Outbox().RelayOnce(sink_, 100));
        W().Clock().Advance(10min);
    }
    auto stats = TK_OK(App().Outbox().Stats());
    ASSERT_EQ(stats.dead, 1);
    const auto event_id = sink_.attempted.at(0);
    // The operator finds the id to retry in the stats.
    ASSERT_EQ(stats.dead_events.size(), 1U);
    EXPECT_EQ(stats.dead_events[0].event_id, event_id);
    EXPECT_EQ(stats.dead_events[0].status, OutboxStatus::kDead);
    EXPECT_EQ(stats.dead_events[0].attempts, 3);
    EXPECT_FALSE(stats.dead_events[0].last_error.empty());
    TK_EXPECT_ERROR(App().Outbox().Retry("no-such-event"), Errc::kNotFound);
    sink_.failing = false;
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 100)).published, 0);  // dead stays dead
    ASSERT_TRUE(App().Outbox().Retry(event_id));
    TK_EXPECT_ERROR(App().Outbox().Retry(event_id), Errc::kConflict);  // pending again, not dead
    EXPECT_TRUE(TK_OK(App().Outbox().Stats()).dead_events.empty());
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 100)).published, 1);
    EXPECT_EQ(sink_.published.at(0).event_id, event_id);
}

TEST_F(OutboxRules, FailingEventsAtTheHeadDoNotDelayDueEventsBehindThem) {
    std::set<std::string> head;
    for (int seat = 1; seat <= 3; ++seat) head.insert("payment:" + std::to_string(Sell(seat).value));
    const auto behind = Sell(4);
    Sell(5);
    sink_.failing_aggregates = head;
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 3)).failed, 3);
    // A batch of 3 with 3 failing events (backing off) at the head of the table: both later ones go.
    auto relayed = TK_OK(App().Outbox().RelayOnce(sink_, 3));
    EXPECT_EQ(relayed.published, 2);
    EXPECT_EQ(relayed.failed, 0);
    ASSERT_EQ(sink_.published.size(), 2U);
    EXPECT_EQ(sink_.published[0].aggregate, "payment:" + std::to_string(behind.value));
    EXPECT_EQ(TK_OK(App().Outbox().Stats()).pending, 3);
}

TEST_F(OutboxRules, ABatchIsOneClaimOnePublishAndOneMark) {
    for (int seat = 1; seat <= 5; ++seat) Sell(seat);
    auto relayed = TK_OK(App().Outbox().RelayOnce(sink_, 100));
    EXPECT_EQ(relayed.published, 5);
    EXPECT_EQ(sink_.batches, 1);
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 2)).published, 0);
}

TEST_F(OutboxRules, ARelayLostBetweenPublishAndMarkLeavesItsClaimToLapse) {
    const auto payment = Sell(1);
    CrashingSink crashing(sink_);
    EXPECT_FALSE(App().Outbox().RelayOnce(crashing, 100).has_value());
    ASSERT_EQ(sink_.published.size(), 1U);
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 100)).published, 0);  // still claimed
    W().Clock().Advance(Settings{}.outbox.claim_ttl);
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 100)).published, 1);  // published again
    ASSERT_EQ(sink_.published.size(), 2U);
    EXPECT_EQ(sink_.published[0].event_id, sink_.published[1].event_id);
    EXPECT_EQ(sink_.published[1].aggregate, "payment:" + std::to_string(payment.value));
    EXPECT_EQ(TK_OK(App().Outbox().Stats()).pending, 0);
}

TEST_F(OutboxRules, ADeadEventDoesNotHoldBackItsAggregateAndARetryComesAfter) {
    const auto payment = Sell(1);
    sink_.failing = true;
    for (int i = 0; i < 3; ++i) {
        TK_OK(App().Outbox().RelayOnce(sink_, 100));
        W().Clock().Advance(10min);
    }
    ASSERT_EQ(TK_OK(App().Outbox().Stats()).dead, 1);
    sink_.failing = false;
    TK_OK(App().Payments().Refund(payment));
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 100)).published, 1);
    ASSERT_TRUE(App().Outbox().Retry(sink_.attempted.at(0)));
    EXPECT_EQ(TK_OK(App().Outbox().RelayOnce(sink_, 100)).published, 1);
    ASSERT_EQ(sink_.published.size(), 2U);
    EXPECT_EQ(sink_.published[0].type, "payment.refunded");
    EXPECT_EQ(sink_.published[1].type, "payment.completed");
}

TEST_F(OutboxRules, TheSalesProjectionCountsEachPaymentEventOnce) {
    const auto schedule = concert_.schedules.at(0).id;
    const auto first = Sell(1);
    Sell(2);
    TK_OK(App().Payments().Refund(first));
    TK_OK(App().Outbox().RelayOnce(sink_, 100));
    TK_OK(App().Outbox().RelayOnce(sink_, 100));  // the refund, once the completion is out
    ASSERT_EQ(sink_.published.size(), 3U);
    EXPECT_EQ(TK_OK(App().Sales().Get(schedule)).seats_sold, 0);
    for (const auto& event : sink_.published) EXPECT_TRUE(TK_OK(App().Sales().Apply(event)));
    for (const auto& event : sink_.published) EXPECT_FALSE(TK_OK(App().Sales().Apply(event)));  // redelivered
    auto sales = TK_OK(App().Sales().Get(schedule));
    EXPECT_EQ(sales.seats_sold, 1);
    EXPECT_EQ(sales.revenue, 1000);
    EXPECT_EQ(sales.refunds, 1);
    EXPECT_TRUE(sales.updated_at.has_value());
    TK_EXPECT_ERROR(App().Sales().Get(ScheduleId{999}), Errc::kNotFound);

    OutboxEvent other = sink_.published[0];
    other.event_id = "other";
    other.type = "seat.held";
    EXPECT_FALSE(TK_OK(App().Sales().Apply(other)));
    other.type = "payment.completed";
    other.payload = R"({"scheduleId":1,"amount":5})";
    TK_EXPECT_ERROR(App().Sales().Apply(other), Errc::kInvalidArgument);
    other.payload = R"({"scheduleId":1,"amount":5,"tickets":[{"a":"]}"},{}})";
    TK_EXPECT_ERROR(App().Sales().Apply(other), Errc::kInvalidArgument);  // not well-formed
}

}  // namespace
}  // namespace ticketing::testing
