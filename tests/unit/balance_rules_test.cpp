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

// Charges answered together (the server batches them): one unit of work for the batch, and each charge
// gets the answer Charge would give, in order.
TEST(ChargeMany, DecidesTheBatchInOneUnitOfWorkAndAnswersEachCharge) {
    CountingWorld counted;
    auto& world = counted.world;
    auto& accounts = world.App().Accounts();
    const auto kim = world.NewUser(1000);
    const auto lee = world.NewUser();
    {
        auto uow = world.Adapters().Db().Begin(ports::TxMode::kOptimistic).value();
        auto row = uow->FindUserForUpdate(lee).value().value();
        row.balance = kMaxBalance - 10;
        ASSERT_TRUE(uow->UpdateUser(row));
        ASSERT_TRUE(uow->Commit());
    }
    const auto park = world.NewUser();
    TK_OK(accounts.Charge(park, 300, "k-1"));
    const int before = counted.counting->Begun();
    const std::vector<ChargeRequest> charges{
        {kim, 500, std::nullopt},
        {lee, 11, std::nullopt},  // beyond the cap
        {kim, 250, "k-2"},        // kim again: adds up
        {kim, 250, "k-2"},        // the same key again: replayed
        {park, 300, "k-1"},       // replays the earlier request
        {park, 400, "k-1"},       // the same key for another request
        {UserId{999}, 5, std::nullopt},
        {kim, 0, std::nullopt},
        {kim, 5, ""},
        {lee, 10, std::nullopt},  // up to the cap
    };
    auto charged = accounts.ChargeMany(charges);
    ASSERT_EQ(charged.size(), charges.size());
    // One unit of work for the batch, one more for each key asked again (they go alone, after).
    EXPECT_EQ(counted.counting->Begun(), before + 3);
    EXPECT_EQ(TK_OK(charged[0]).balance, 1500);
    TK_EXPECT_ERROR(charged[1], Errc::kBalanceLimitExceeded);
    EXPECT_EQ(TK_OK(charged[2]).balance, 1750);
    EXPECT_FALSE(charged[2]->replayed);
    EXPECT_TRUE(TK_OK(charged[3]).replayed);
    EXPECT_EQ(charged[3]->balance, 1750);
    EXPECT_TRUE(TK_OK(charged[4]).replayed);
    EXPECT_EQ(charged[4]->balance, 300);
    TK_EXPECT_ERROR(charged[5], Errc::kIdempotencyKeyReused);
    TK_EXPECT_ERROR(charged[6], Errc::kNotFound);
    TK_EXPECT_ERROR(charged[7], Errc::kInvalidArgument);
    TK_EXPECT_ERROR(charged[8], Errc::kInvalidArgument);
    EXPECT_EQ(TK_OK(charged[9]).balance, kMaxBalance);
    EXPECT_EQ(TK_OK(accounts.GetUser(kim)).balance, 1750);
    EXPECT_EQ(TK_OK(accounts.GetUser(lee)).balance, kMaxBalance);
    EXPECT_EQ(TK_OK(accounts.GetUser(park)).balance, 300);
    auto history = TK_OK(accounts.History(kim, {})).items;  // newest first
    ASSERT_EQ(history.size(), 3U);
    EXPECT_EQ(history[0].amount, 250);
    EXPECT_EQ(history[0].balance_after, 1750);
    EXPECT_EQ(history[1].amount, 500);
    EXPECT_EQ(history[1].balance_after, 1500);
}

// A batch whose unit of work gives up (CONFLICT) leaves each charge to go alone; any other failure
// (the database down) is every charge's answer, and nothing is written.
TEST(ChargeMany, AFailedBatchGoesAloneOnlyAfterAConflict) {
    CountingWorld counted;
    auto& world = counted.world;
    auto& accounts = world.App().Accounts();
    const auto kim = world.NewUser();
    const auto lee = world.NewUser();
    const std::vector<ChargeRequest> charges{{kim, 100, std::nullopt}, {lee, 200, std::nullopt}};

    counted.counting->FailWrites(Errc::kUnavailable, 1);
    int before = counted.counting->Begun();
    auto down = accounts.ChargeMany(charges);
    TK_EXPECT_ERROR(down[0], Errc::kUnavailable);
    TK_EXPECT_ERROR(down[1], Errc::kUnavailable);
    EXPECT_EQ(counted.counting->Begun(), before + 1);
    EXPECT_EQ(TK_OK(accounts.GetUser(kim)).balance, 0);

    counted.counting->FailWrites(Errc::kConflict, 1);
    before = counted.counting->Begun();
    auto alone = accounts.ChargeMany(charges);
    EXPECT_EQ(TK_OK(alone[0]).balance, 100);
    EXPECT_EQ(TK_OK(alone[1]).balance, 200);
    EXPECT_EQ(counted.counting->Begun(), before + 3);  // the batch, then one per charge

    // A single charge that gives up answers CONFLICT, without a second try.
    counted.counting->FailWrites(Errc::kConflict, 1);
    before = counted.counting->Begun();
    TK_EXPECT_ERROR(accounts.Charge(kim, 5, std::nullopt), Errc::kConflict);
    EXPECT_EQ(counted.counting->Begun(), before + 1);
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
