#include "unit.hpp"

namespace ticketing::testing {
namespace {

class BalanceRules : public RulesTest {};

TEST_F(BalanceRules, ChargeAddsAndWritesTheLedger) {
    // §9.2: 1000 recharge 500 = 1500, with a CHARGE row carrying the balance after it.
    const auto user = W().NewUser(1000);
    auto charged = TK_OK(App().Accounts().Charge(user, 500, std::nullopt));
    EXPECT_EQ(charged.balance, 1500);
    EXPECT_EQ(charged.user_id, user);  // §12 bug 26: the original answered userId null
    auto history = TK_OK(App().Accounts().History(user, {}));
    ASSERT_EQ(history.items.size(), 2U);
    EXPECT_EQ(history.items[0].type, LedgerType::kCharge);
    EXPECT_EQ(history.items[0].amount, 500);
    EXPECT_EQ(history.items[0].balance_after, 1500);
}

TEST_F(BalanceRules, AmountsOutsideTheBoundsAreRefusedBeforeAnythingChanges) {
    // §12 bug 23: a zero charge committed the balance, then failed on the history row.
    const auto user = W().NewUser(1000);
    TK_EXPECT_ERROR(App().Accounts().Charge(user, 0, std::nullopt), Errc::kInvalidArgument);
    TK_EXPECT_ERROR(App().Accounts().Charge(user, -500, std::nullopt), Errc::kInvalidArgument);
    TK_EXPECT_ERROR(App().Accounts().Charge(user, kMaxCharge + 1, std::nullopt), Errc::kInvalidArgument);
    EXPECT_EQ(TK_OK(App().Accounts().GetUser(user)).balance, 1000);
    EXPECT_EQ(TK_OK(App().Accounts().History(user, {})).items.size(), 1U);
}

TEST_F(BalanceRules, UnknownUsersAreNotFound) {
    TK_EXPECT_ERROR(App().Accounts().Charge(UserId{999}, 500, std::nullopt), Errc::kNotFound);
    TK_EXPECT_ERROR(App().Accounts().GetUser(UserId{999}), Errc::kNotFound);
    TK_EXPECT_ERROR(App().Accounts().History(UserId{999}, {}), Errc::kNotFound);
    TK_EXPECT_ERROR(App().Accounts().CreateUser(""), Errc::kInvalidArgument);
}

TEST_F(BalanceRules, StoredTextMustBeUtf8) {
    EXPECT_EQ(TK_OK(App().Accounts().CreateUser("\xEA\xB9\x80")).name, "\xEA\xB9\x80");  // 김
    auto bad = App().Accounts().CreateUser("kim\xC0\xAF");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(bad.error().message, "name must be valid UTF-8");
    const auto user = W().NewUser();
    auto charged = App().Accounts().Charge(user, 500, "key-\xED\xA0\x80");
    ASSERT_FALSE(charged);
    EXPECT_EQ(charged.error().message, "Idempotency-Key must be valid UTF-8");
    EXPECT_EQ(TK_OK(App().Accounts().GetUser(user)).balance, 0);
}

TEST_F(BalanceRules, BalanceNeverExceedsTheCap) {
    const auto user = W().NewUser();
    // Reach the cap quickly through the memory database itself.
    {
        auto uow = W().Adapters().Db().Begin(ports::TxMode::kOptimistic).value();
        auto row = uow->FindUserForUpdate(user).value().value();
        row.balance = kMaxBalance - 100;
        ASSERT_TRUE(uow->UpdateUser(row));
        ASSERT_TRUE(uow->Commit());
    }
    TK_EXPECT_ERROR(App().Accounts().Charge(user, 101, std::nullopt), Errc::kBalanceLimitExceeded);
    EXPECT_EQ(TK_OK(App().Accounts().Charge(user, 100, std::nullopt)).balance, kMaxBalance);
}

TEST_F(BalanceRules, IdempotencyKeyReplaysTheFirstResultAndRefusesAnotherRequest) {
    const auto user = W().NewUser();
    auto first = TK_OK(App().Accounts().Charge(user, 5000, "k-1"));
    EXPECT_FALSE(first.replayed);
    TK_OK(App().Accounts().Charge(user, 100, std::nullopt));
    auto replay = TK_OK(App().Accounts().Charge(user, 5000, "k-1"));
    EXPECT_TRUE(replay.replayed);
    EXPECT_EQ(replay.balance, 5000);  // the first response, not today's balance
    TK_EXPECT_ERROR(App().Accounts().Charge(user, 6000, "k-1"), Errc::kIdempotencyKeyReused);
    EXPECT_EQ(TK_OK(App().Accounts().GetUser(user)).balance, 5100);
    // Keys are per user.
    EXPECT_FALSE(TK_OK(App().Accounts().Charge(W().NewUser(), 5000, "k-1")).replayed);
    // After 24 h a key is free again.
    W().Clock().Advance(24h);
    EXPECT_FALSE(TK_OK(App().Accounts().Charge(user, 6000, "k-1")).replayed);
    TK_EXPECT_ERROR(App().Accounts().Charge(user, 1, std::string(256, 'k')), Errc::kInvalidArgument);
}

TEST_F(BalanceRules, HistoryPages) {
    const auto user = W().NewUser();
    for (int i = 1; i <= 5; ++i) TK_OK(App().Accounts().Charge(user, i, std::nullopt));
    auto first = TK_OK(App().Accounts().History(user, {.limit = 3, .cursor = std::nullopt}));
    ASSERT_EQ(first.items.size(), 3U);
    EXPECT_EQ(first.items[0].amount, 5);
    ASSERT_TRUE(first.next_cursor);
    auto rest = TK_OK(App().Accounts().History(user, {.limit = 3, .cursor = first.next_cursor}));
    ASSERT_EQ(rest.items.size(), 2U);
    EXPECT_EQ(rest.items[1].amount, 1);
    EXPECT_FALSE(rest.next_cursor);
}

}  // namespace
}  // namespace ticketing::testing
