// Migrations: a fresh database and an already migrated one both end at the latest version, run
// after run, and concurrent migrators (threads here, processes in production) agree.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "expect.hpp"
#include "sql_test_support.hpp"

namespace ticketing::testing {
namespace {

void ExpectMigratedTwice(const std::string& url) {
    int latest = 0;
    for (int run = 0; run < 2; ++run) {
        auto db = OrThrow(sql::SqlDatabase::Open({.url = url}));
        latest = db->LatestSchemaVersion();
        EXPECT_GE(latest, 1);
        EXPECT_EQ(TK_OK(db->SchemaVersion()), latest) << "run " << run;
        EXPECT_EQ(TK_OK(db->Migrate()), latest) << "run " << run;
    }
    auto raw = RawSession(url);
    const auto migrations = sql::detail::Migrations(
        url.starts_with("sqlite") ? sql::detail::DialectKind::kSqlite : sql::detail::DialectKind::kMysql
    );
    EXPECT_EQ(Scalar(*raw, "SELECT COUNT(*) FROM schema_version"), static_cast<long long>(migrations.size()));
    EXPECT_EQ(Scalar(*raw, "SELECT MAX(version) FROM schema_version"), latest);
    // The schema works: a unit of work round-trips.
    auto db = OrThrow(sql::SqlDatabase::Open({.url = url}));
    auto uow = TK_OK(db->Begin(ports::TxMode::kOptimistic));
    EXPECT_GT(TK_OK(uow->InsertUser({{}, "kim", 0, 0})).value, 0);
}

void ExpectEmptyThenMigrated(const std::string& url) {
    auto db = OrThrow(sql::SqlDatabase::Open({.url = url, .migrate = false}));
    EXPECT_EQ(TK_OK(db->SchemaVersion()), 0);
    EXPECT_EQ(TK_OK(db->Migrate()), db->LatestSchemaVersion());
    EXPECT_EQ(TK_OK(db->SchemaVersion()), db->LatestSchemaVersion());
}

void ExpectConcurrentMigratorsAgree(const std::string& url) {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            try {
                auto db = OrThrow(sql::SqlDatabase::Open({.url = url}));
                auto version = db->SchemaVersion();
                if (!version || *version != db->LatestSchemaVersion()) ++failures;
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
                ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    auto raw = RawSession(url);
    EXPECT_EQ(
        Scalar(*raw, "SELECT COUNT(*) FROM schema_version"),
        static_cast<long long>(sql::detail::Migrations(
                                   url.starts_with("sqlite") ? sql::detail::DialectKind::kSqlite
                                                             : sql::detail::DialectKind::kMysql
        )
                                   .size())
    );
}

TEST(SqlMigrations, SqliteFreshAndMigratedEndAtLatest) {
    TempSqlite file;
    ExpectMigratedTwice(file.Url());
}

TEST(SqlMigrations, SqliteWithoutMigrateStartsAtZero) {
    TempSqlite file;
    ExpectEmptyThenMigrated(file.Url());
}

TEST(SqlMigrations, SqliteConcurrentMigratorsAgree) {
    TempSqlite file;
    ExpectConcurrentMigratorsAgree(file.Url());
}

TEST(SqlMigrations, MariadbFreshAndMigratedEndAtLatest) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
    TempMysql db;
    ExpectMigratedTwice(db.Url());
}

TEST(SqlMigrations, MariadbWithoutMigrateStartsAtZero) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
    TempMysql db;
    ExpectEmptyThenMigrated(db.Url());
}

TEST(SqlMigrations, MariadbConcurrentMigratorsAgree) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
    TempMysql db;
    ExpectConcurrentMigratorsAgree(db.Url());
}

TEST(SqlMigrations, StatementsSplitAtLineEndSemicolonsWithoutCommentLines) {
    auto statements = sql::detail::SplitStatements(
        "-- a comment: with a colon and a quote's\nCREATE TABLE a (\n  x INT -- inline\n);\n\nCREATE INDEX i ON a "
        "(x);\n"
    );
    ASSERT_EQ(statements.size(), 2U);
    EXPECT_EQ(statements[0], "CREATE TABLE a (\nx INT -- inline\n)");
    EXPECT_EQ(statements[1], "CREATE INDEX i ON a (x)");
}

}  // namespace
}  // namespace ticketing::testing
