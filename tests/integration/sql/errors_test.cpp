// Error translation: every failure is a value, from Open on; nothing is half
// written — a killed connection, a lock wait timeout, a deadlock, a busy SQLite database.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "expect.hpp"
#include "sql_test_support.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

// Open(url) fails with `code` and a message holding `fragment`.
void ExpectOpenFails(const std::string& url, Errc code, const std::string& fragment) {
    auto db = sql::SqlDatabase::Open({.url = url, .connect_timeout = Millis{2000}});
    ASSERT_FALSE(db.has_value()) << url << " opened";
    EXPECT_EQ(db.error().code, code) << db.error().message;
    EXPECT_NE(db.error().message.find(fragment), std::string::npos) << db.error().message;
}

TEST(SqlErrors, BadUrlsAreInvalidArgumentAtStartUp) {
    ExpectOpenFails("", Errc::kInvalidArgument, "bad database URL");
    ExpectOpenFails("postgres://u@h/db", Errc::kInvalidArgument, "unsupported database URL scheme");
    ExpectOpenFails("sqlite://", Errc::kInvalidArgument, "without a file path");
    ExpectOpenFails("sqlite://:memory:", Errc::kInvalidArgument, "per connection");
    ExpectOpenFails("mysql://127.0.0.1:3306/db", Errc::kInvalidArgument, "user@host");
    ExpectOpenFails("mysql://u:p@127.0.0.1:99999/db", Errc::kInvalidArgument, "bad port");
    ExpectOpenFails("mysql://u:p@127.0.0.1:3306/", Errc::kInvalidArgument, "without a database name");
    ExpectOpenFails("mysql://u:p%zz@127.0.0.1:3306/db", Errc::kInvalidArgument, "bad percent escape");
    ExpectOpenFails("mysql://u:p q@127.0.0.1:3306/db", Errc::kInvalidArgument, "must not contain spaces");
    ExpectOpenFails("sqlite:///nonexistent-dir-for-tk/x.db", Errc::kUnavailable, "cannot connect");
}

TEST(SqlErrors, UnreachableServerIsUnavailableAtStartUp) {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    ExpectOpenFails("mysql://u:p@127.0.0.1:1/db", Errc::kUnavailable, "cannot connect to mysql://u:***@127.0.0.1:1/db");
}

TEST(SqlErrors, AdministrationFailuresAreValues) {
    TK_EXPECT_ERROR(sql::CreateMysqlDatabase("sqlite:///tmp/x.db", "db"), Errc::kInvalidArgument);
    TK_EXPECT_ERROR(sql::CreateMysqlDatabase("mysql://u:p@127.0.0.1:1/db", "bad-name"), Errc::kInvalidArgument);
    TK_EXPECT_ERROR(sql::DropMysqlDatabase("mysql://u:p@127.0.0.1:1/db", "db"), Errc::kUnavailable);
}

constexpr std::string_view kPassword = "pw-s3cret-do-not-print";

// `url` (holding kPassword) fails at start-up with a message that names the URL but not the password.
void ExpectRedactedFailure(const std::string& url) {
    auto db = sql::SqlDatabase::Open({.url = url, .connect_timeout = Millis{2000}});
    ASSERT_FALSE(db.has_value()) << "opened";
    EXPECT_EQ(db.error().message.find(kPassword), std::string::npos) << db.error().message;
    auto created = sql::CreateMysqlDatabase(url, "db");
    ASSERT_FALSE(created.has_value()) << "created";
    EXPECT_EQ(created.error().message.find(kPassword), std::string::npos) << created.error().message;
}

TEST(SqlErrors, NoPasswordInAnyStartUpError) {
    const std::string password(kPassword);
    ExpectRedactedFailure("kim:" + password + "@127.0.0.1/db");                // no scheme
    ExpectRedactedFailure("mysql://kim:" + password + "@127.0.0.1:99999/db");  // bad port
    ExpectRedactedFailure("mysql://kim:" + password + "@127.0.0.1:1/db");      // nothing listens
    try {
        (void)sql::WithMysqlDatabase("mysql://kim:" + password + "@127.0.0.1", "db");  // no database part
        ADD_FAILURE() << "did not throw";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()).find(kPassword), std::string::npos) << e.what();
    }
}

TEST(SqlErrors, NoPasswordInAnAuthenticationError) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
    // The test server's URL with a wrong password: the server refuses the login.
    const auto url = ServiceUrl("TICKETING_TEST_MYSQL");
    const auto at = url.rfind('@');
    const auto colon = url.find(':', url.find("://") + 3);
    ExpectRedactedFailure(url.substr(0, colon + 1) + std::string(kPassword) + url.substr(at));
}

TEST(SqlErrors, SqliteBusyDatabaseIsConflictForAPessimisticBegin) {
    TempSqlite file;
    auto db = OrThrow(sql::SqlDatabase::Open({.url = file.Url(), .busy_timeout = Millis{200}}));
    auto holder = TK_OK(db->Begin(ports::TxMode::kPessimistic));
    TK_EXPECT_ERROR(db->Begin(ports::TxMode::kPessimistic), Errc::kConflict);
    // A deferred writer that read before the holder wrote is told to retry.
    auto reader = TK_OK(db->Begin(ports::TxMode::kOptimistic));
    TK_OK(reader->FindUser(UserId{1}));
    TK_OK(holder->InsertUser({{}, "kim", 0, 0}));
    ASSERT_TRUE(holder->Commit().has_value());
    TK_EXPECT_ERROR(reader->InsertUser({{}, "lee", 0, 0}), Errc::kAborted);
    // Poisoned: nothing after the failure can commit.
    TK_EXPECT_ERROR(reader->Commit(), Errc::kAborted);
}

// SQLite's busy handler sleeps between its tries, so a writer can lose every try to the others for its
// whole busy timeout (CI saw a relay wait 55 s); the writers of one process take turns instead. 8
// threads x 100 charges with a 300 ms busy timeout: none is refused, and every won is there.
TEST(SqlErrors, SqliteWritersOfOneProcessTakeTurnsWithinTheBusyTimeout) {
    TempSqlite file;
    auto db = OrThrow(sql::SqlDatabase::Open({.url = file.Url(), .busy_timeout = Millis{300}}));
    UserId user;
    {
        auto uow = TK_OK(db->Begin(ports::TxMode::kOptimistic));
        user = TK_OK(uow->InsertUser({{}, "kim", 0, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    constexpr int kThreads = 8;
    constexpr int kCharges = 100;
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kCharges; ++i) {
                auto uow = db->Begin(ports::TxMode::kPessimistic);
                auto found = uow ? (*uow)->FindUserForUpdate(user) : tl::unexpected(uow.error());
                if (!found || !*found) {
                    ++refused;
                    continue;
                }
                auto charged = **found;
                charged.balance += 1;
                if (!(*uow)->UpdateUser(charged) || !(*uow)->Commit()) ++refused;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(refused.load(), 0);
    auto uow = TK_OK(db->Begin(ports::TxMode::kRead));
    EXPECT_EQ(TK_OK(uow->FindUser(user))->balance, kThreads * kCharges);
}

TEST(SqlErrors, ReadUnitsNeverWriteOrCommit) {
    TempSqlite file;
    auto db = OrThrow(sql::SqlDatabase::Open({.url = file.Url()}));
    auto uow = TK_OK(db->Begin(ports::TxMode::kRead));
    TK_EXPECT_ERROR(uow->InsertUser({{}, "kim", 0, 0}), Errc::kInternal);
    TK_EXPECT_ERROR(uow->Commit(), Errc::kInternal);
}

// The error rule, run on both dialects: a lock wait past its bound is CONFLICT, a lost race is
// ABORTED (retried), a value the schema refuses is INVALID_ARGUMENT (not retried).
class SqlErrorRule : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        std::string url;
        if (GetParam() == "mysql") {
            TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
            mysql_ = std::make_unique<TempMysql>();
            url = mysql_->Url();
        } else {
            url = sqlite_.Url();
        }
        db_ = OrThrow(sql::SqlDatabase::Open({.url = url, .busy_timeout = Millis{1000}}));
        auto uow = TK_OK(db_->Begin(ports::TxMode::kOptimistic));
        user_ = TK_OK(uow->InsertUser({{}, "kim", 1000, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    void TearDown() override {
        db_.reset();
        mysql_.reset();
    }

    TempSqlite sqlite_;
    std::unique_ptr<TempMysql> mysql_;
    std::unique_ptr<sql::SqlDatabase> db_;
    UserId user_;
};

TEST_P(SqlErrorRule, AWriteThatWaitedPastTheLockBoundIsConflict) {
    // The holder locks the row (SQLite: the whole database); a plain writer of it waits its bound.
    auto holder = TK_OK(db_->Begin(ports::TxMode::kPessimistic));
    auto locked = TK_OK(holder->FindUserForUpdate(user_)).value();
    locked.balance = 10;
    ASSERT_TRUE(holder->UpdateUser(locked).has_value());
    auto waiter = TK_OK(db_->Begin(ports::TxMode::kOptimistic));
    const auto started = std::chrono::steady_clock::now();
    TK_EXPECT_ERROR(waiter->UpdateUser(locked), Errc::kConflict);
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_GE(waited, 900ms);
    EXPECT_LT(waited, 4s);
}

TEST_P(SqlErrorRule, ACheckViolationIsInvalidArgumentNotARetry) {
    auto uow = TK_OK(db_->Begin(ports::TxMode::kOptimistic));
    auto user = TK_OK(uow->FindUserForUpdate(user_)).value();
    user.balance = -1;  // CHECK (balance >= 0)
    TK_EXPECT_ERROR(uow->UpdateUser(user), Errc::kInvalidArgument);
}

TEST_P(SqlErrorRule, ADuplicateKeyIsALostRace) {
    auto first = TK_OK(db_->Begin(ports::TxMode::kOptimistic));
    ASSERT_TRUE(first->InsertIdempotency({user_, "key", "hash", "{}", Timestamp{}}).has_value());
    ASSERT_TRUE(first->Commit().has_value());
    auto second = TK_OK(db_->Begin(ports::TxMode::kOptimistic));
    TK_EXPECT_ERROR(second->InsertIdempotency({user_, "key", "hash", "{}", Timestamp{}}), Errc::kAborted);
}

std::string DialectName(const ::testing::TestParamInfo<std::string>& dialect) {
    return dialect.param;
}

INSTANTIATE_TEST_SUITE_P(Dialects, SqlErrorRule, ::testing::Values("sqlite", "mysql"), DialectName);

class SqlMariadbErrors : public ::testing::Test {
protected:
    void SetUp() override {
        TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
        temp_ = std::make_unique<TempMysql>();
        db_ = OrThrow(sql::SqlDatabase::Open({.url = temp_->Url(), .busy_timeout = Millis{1000}}));
        auto uow = TK_OK(db_->Begin(ports::TxMode::kOptimistic));
        user_ = TK_OK(uow->InsertUser({{}, "kim", 1000, 0}));
        other_ = TK_OK(uow->InsertUser({{}, "lee", 1000, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    void TearDown() override {
        db_.reset();
        temp_.reset();
    }

    // Kills every connection to the test database but this one's; returns how many.
    std::size_t KillConnections() {
        auto admin = RawSession(temp_->Url());
        const long long own = Scalar(*admin, "SELECT CONNECTION_ID()");
        soci::rowset<long long> ids =
            (admin->prepare << "SELECT id FROM information_schema.processlist WHERE db = '" + temp_->Name() +
                                   "' AND id <> " + std::to_string(own));
        const std::vector<long long> victims(ids.begin(), ids.end());
        for (auto id : victims) *admin << "KILL " + std::to_string(id);
        return victims.size();
    }

    Money Balance(UserId id) {
        auto uow = TK_OK(db_->Begin(ports::TxMode::kRead));
        return TK_OK(uow->FindUser(id))->balance;
    }

    std::unique_ptr<TempMysql> temp_;
    std::unique_ptr<sql::SqlDatabase> db_;
    UserId user_;
    UserId other_;
};

TEST_F(SqlMariadbErrors, KilledConnectionIsUnavailableAndNothingIsHalfWritten) {
    auto uow = TK_OK(db_->Begin(ports::TxMode::kOptimistic));
    auto user = TK_OK(uow->FindUserForUpdate(user_)).value();
    user.balance = 0;
    ASSERT_TRUE(uow->UpdateUser(user).has_value());
    TK_OK(uow->InsertLedgerEntry({{}, user_, LedgerType::kPayment, -1000, 0, Timestamp{}}));

    // Another session kills every connection of this database mid-unit.
    EXPECT_GE(KillConnections(), 1U);

    auto done = uow->Commit();
    ASSERT_FALSE(done.has_value());
    EXPECT_EQ(done.error().code, Errc::kUnavailable) << done.error().message;
    uow.reset();

    // The pool reconnects, and the killed unit left nothing behind.
    EXPECT_EQ(Balance(user_), 1000);
    auto check = TK_OK(db_->Begin(ports::TxMode::kRead));
    EXPECT_TRUE(TK_OK(check->ListLedger(user_, {0, 10})).empty());
}

TEST_F(SqlMariadbErrors, APoolOfDeadIdleConnectionsIsRenewedWithoutFailingARequest) {
    {
        // Fill the pool with idle connections.
        std::vector<std::unique_ptr<ports::UnitOfWork>> held;
        for (int i = 0; i < 4; ++i) held.push_back(TK_OK(db_->Begin(ports::TxMode::kRead)));
    }
    EXPECT_GE(KillConnections(), 4U);                             // as a server restart would
    for (int i = 0; i < 4; ++i) EXPECT_EQ(Balance(user_), 1000);  // every request still answered
}

TEST_F(SqlMariadbErrors, InvalidUtf8IsInvalidArgument) {
    auto uow = TK_OK(db_->Begin(ports::TxMode::kOptimistic));
    TK_EXPECT_ERROR(uow->InsertUser({{}, std::string("bad \xff\xfe name"), 0, 0}), Errc::kInvalidArgument);
}

TEST_F(SqlMariadbErrors, LockWaitTimeoutIsConflict) {
    auto holder = TK_OK(db_->Begin(ports::TxMode::kPessimistic));
    TK_OK(holder->FindUserForUpdate(user_));
    auto waiter = TK_OK(db_->Begin(ports::TxMode::kPessimistic));
    const auto started = std::chrono::steady_clock::now();
    TK_EXPECT_ERROR(waiter->FindUserForUpdate(user_), Errc::kConflict);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
}

TEST_F(SqlMariadbErrors, DeadlockVictimIsAbortedAndRolledBack) {
    auto a = TK_OK(db_->Begin(ports::TxMode::kPessimistic));
    auto b = TK_OK(db_->Begin(ports::TxMode::kPessimistic));
    auto ua = TK_OK(a->FindUserForUpdate(user_)).value();
    auto ub = TK_OK(b->FindUserForUpdate(other_)).value();
    // a waits for b's row while b asks for a's: InnoDB picks a victim.
    auto a_second = std::async(std::launch::async, [&] { return a->FindUserForUpdate(other_); });
    std::this_thread::sleep_for(200ms);
    auto b_second = b->FindUserForUpdate(user_);
    auto a_result = a_second.get();
    const bool a_lost = !a_result.has_value();
    const bool b_lost = !b_second.has_value();
    ASSERT_NE(a_lost, b_lost) << "exactly one deadlock victim";
    const auto& error = a_lost ? a_result.error() : b_second.error();
    EXPECT_EQ(error.code, Errc::kAborted) << error.message;
    auto& winner = a_lost ? b : a;
    auto& loser = a_lost ? a : b;
    auto row = a_lost ? ub : ua;
    row.balance = 1;
    ASSERT_TRUE(winner->UpdateUser(row).has_value());
    ASSERT_TRUE(winner->Commit().has_value());
    TK_EXPECT_ERROR(loser->Commit(), Errc::kAborted);
}

}  // namespace
}  // namespace ticketing::testing
