// Read-only use cases for operators and refunds: the payment of a reservation, the live holds.
#include "unit.hpp"

namespace ticketing::testing {
namespace {

class LookupRules : public RulesTest {
protected:
    void SetUp() override { concert_ = W().NewConcert(10, 1'000); }

    CreatedConcert concert_;
};

TEST_F(LookupRules, ARefundFindsThePaymentOfAReservation) {
    auto buyer = W().NewBuyerWithHold(concert_, 10'000, {1, 2});
    TK_EXPECT_ERROR(App().Payments().FindByReservation(buyer.hold.id), Errc::kNotFound);  // not paid yet
    auto receipt = TK_OK(App().Payments().Pay(buyer.token, buyer.hold.id, std::nullopt));
    auto payment = TK_OK(App().Payments().FindByReservation(buyer.hold.id));
    EXPECT_EQ(payment.id, receipt.payment.id);
    EXPECT_EQ(TK_OK(App().Payments().Refund(payment.id)).balance, 10'000);
}

TEST_F(LookupRules, ActiveHoldsCountsHoldsNotYetExpired) {
    EXPECT_EQ(TK_OK(App().Reservations().ActiveHolds()), 0);
    auto first = W().NewBuyerWithHold(concert_, 10'000, {1});
    W().Clock().Advance(1min);
    W().NewBuyerWithHold(concert_, 10'000, {2});
    EXPECT_EQ(TK_OK(App().Reservations().ActiveHolds()), 2);
    TK_OK(App().Payments().Pay(first.token, first.hold.id, std::nullopt));
    EXPECT_EQ(TK_OK(App().Reservations().ActiveHolds()), 1);
    W().Clock().Advance(App().GetSettings().reservation.hold_ttl);  // lapsed, before any sweeper
    EXPECT_EQ(TK_OK(App().Reservations().ActiveHolds()), 0);
}

}  // namespace
}  // namespace ticketing::testing
