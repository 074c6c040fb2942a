// The `ticketing` binary end to end, in a fresh directory each: the embedded SQLite default, the
// documented exit codes with their one-line messages, and Redis-backed queue commands when
// scripts/services runs.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <ticketing/error.hpp>

#include "services.hpp"

namespace ticketing::testing {
namespace {

struct Output {
    int code{-1};
    std::string out;
    std::string err;
};

std::string ReadFile(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

class CliTest : public ::testing::Test {
protected:
    CliTest() {
        static std::atomic<int> counter{0};
        dir_ = std::filesystem::temp_directory_path() /
               ("tk-cli-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
        std::filesystem::create_directories(dir_);
    }
    ~CliTest() override {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    /// Runs `ticketing <args>` in the test's directory (the embedded default lives there).
    Output Run(const std::string& args) {
        const auto command =
            "cd '" + dir_.string() + "' && '" + std::string(TK_CLI) + "' " + args + " >stdout.txt 2>stderr.txt";
        const int status = std::system(command.c_str());
        return {
            WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(dir_ / "stdout.txt"), ReadFile(dir_ / "stderr.txt")};
    }

    /// A failure: exactly one line on stderr, nothing on stdout, the code given.
    void ExpectFailure(const Output& o, int code, const std::string& needle) {
        EXPECT_EQ(o.code, code) << o.err;
        EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
        EXPECT_NE(o.err.find(needle), std::string::npos) << o.err;
        EXPECT_TRUE(o.err.starts_with("ticketing: ")) << o.err;
    }

    std::filesystem::path dir_;
};

#define EXPECT_CONTAINS(text, needle) EXPECT_NE((text).find(needle), std::string::npos) << (text)

TEST_F(CliTest, AnOperatorsDayOnTheEmbeddedDefault) {
    auto migrated = Run("--json db migrate");
    ASSERT_EQ(migrated.code, 0) << migrated.err;
    EXPECT_CONTAINS(migrated.out, R"("dialect":"sqlite")");
    EXPECT_TRUE(std::filesystem::exists(dir_ / "ticketing-data" / "ticketing.db"));

    auto seeded = Run("--json seed demo");
    ASSERT_EQ(seeded.code, 0) << seeded.err;
    EXPECT_CONTAINS(seeded.out, R"("seeded":true)");
    EXPECT_CONTAINS(Run("--json seed demo").out, R"("seeded":false)");  // only on an empty database

    auto stats = Run("queue stats 1 --json");
    ASSERT_EQ(stats.code, 0) << stats.err;
    EXPECT_CONTAINS(stats.out, R"("waiting":0)");
    EXPECT_CONTAINS(stats.err, "in-process");  // the note that a CLI cannot see a server's queue without Redis

    auto charged = Run("balance charge 1 5000 --json");
    ASSERT_EQ(charged.code, 0) << charged.err;
    EXPECT_CONTAINS(charged.out, R"("balance":305000)");
    auto shown = Run("balance show 1");  // a person's view: a table of ledger rows
    ASSERT_EQ(shown.code, 0) << shown.err;
    EXPECT_CONTAINS(shown.out, "305000");
    EXPECT_CONTAINS(shown.out, "CHARGE");

    auto paused = Run("queue pause 1 --json");
    ASSERT_EQ(paused.code, 0) << paused.err;
    EXPECT_CONTAINS(paused.out, R"("paused":true)");
    auto resumed = Run("queue resume 1 --json");
    ASSERT_EQ(resumed.code, 0) << resumed.err;
    EXPECT_CONTAINS(resumed.out, R"("paused":false)");
    auto set = Run("queue set 1 --max-active 7 --json");
    ASSERT_EQ(set.code, 0) << set.err;
    EXPECT_CONTAINS(set.out, R"("max_active":7)");

    auto outbox = Run("outbox stats --json");
    ASSERT_EQ(outbox.code, 0) << outbox.err;
    EXPECT_CONTAINS(outbox.out, R"("pending":0)");
    EXPECT_CONTAINS(outbox.out, R"("dead_events":[])");
    EXPECT_EQ(Run("outbox relay").code, 0);
    EXPECT_EQ(Run("holds expire").code, 0);

    auto doctor = Run("doctor");
    EXPECT_EQ(doctor.code, 0) << doctor.err;
    EXPECT_CONTAINS(doctor.out, "database");
    EXPECT_CONTAINS(doctor.out, "schema");
}

TEST_F(CliTest, ConcertCreateTakesRfc3339Times) {
    auto created = Run(
        "concert create --title Encore --starts-at 2031-05-01T19:00:00Z --starts-at 2031-05-02T19:00:00Z --seats 20 "
        "--json"
    );
    ASSERT_EQ(created.code, 0) << created.err;
    EXPECT_CONTAINS(created.out, R"("title":"Encore")");
    EXPECT_CONTAINS(created.out, R"("seats":20)");
    ExpectFailure(Run("concert create --title X --starts-at tomorrow"), ExitCode(Errc::kInvalidArgument), "RFC 3339");
}

TEST_F(CliTest, ConfigShowRedactsEverySecret) {
    auto shown = Run("config show --admin-key s3cr3t-admin --database mysql://app:hunter2@db:3306/tickets");
    ASSERT_EQ(shown.code, 0) << shown.err;
    EXPECT_CONTAINS(shown.out, "lock_strategy");
    EXPECT_CONTAINS(shown.out, "***");
    EXPECT_EQ(shown.out.find("s3cr3t-admin"), std::string::npos) << shown.out;
    EXPECT_EQ(shown.out.find("hunter2"), std::string::npos) << shown.out;

    auto json = Run("config show --json --admin-key s3cr3t-env");
    ASSERT_EQ(json.code, 0) << json.err;
    EXPECT_CONTAINS(json.out, R"("lock_strategy":"optimistic")");
    EXPECT_EQ(json.out.find("s3cr3t-env"), std::string::npos) << json.out;
}

TEST_F(CliTest, EnvironmentAndFlagsOverrideTheFileInOrder) {
    std::ofstream(dir_ / "t.toml") << "lock_strategy = \"pessimistic\"\n[lock]\nmax_attempts = 5\n";
    auto from_file = Run("--config t.toml config show --json");
    EXPECT_CONTAINS(from_file.out, R"("lock_strategy":"pessimistic")");
    EXPECT_CONTAINS(from_file.out, R"("max_attempts":5)");
    const auto command = "cd '" + dir_.string() + "' && TICKETING_LOCK_MAX_ATTEMPTS=7 '" + std::string(TK_CLI) +
                         "' --config t.toml config show --json --lock-strategy redis >stdout.txt";
    ASSERT_EQ(std::system(command.c_str()), 0);
    const auto both = ReadFile(dir_ / "stdout.txt");
    EXPECT_CONTAINS(both, R"("max_attempts":7)");
    EXPECT_CONTAINS(both, R"("lock_strategy":"redis")");
}

TEST_F(CliTest, BadArgumentsAreUsageErrors) {
    ExpectFailure(Run("frobnicate"), 2, "unknown command 'frobnicate'");
    ExpectFailure(Run("queue frobnicate 1"), 2, "unknown command 'frobnicate'");
    ExpectFailure(Run("balance show 1 --frobnicate"), 2, "unknown option '--frobnicate'");
    ExpectFailure(Run("balance charge 1"), 2, "amount");
    ExpectFailure(Run("balance charge 1 lots"), 2, "lots");
    ExpectFailure(Run(""), 2, "subcommand");
}

TEST_F(CliTest, BadValuesAndDomainErrorsHaveTheirOwnCodes) {
    ASSERT_EQ(Run("seed demo").code, 0);
    ExpectFailure(Run("balance charge 1 0"), ExitCode(Errc::kInvalidArgument), "INVALID_ARGUMENT");
    ExpectFailure(Run("--lock-max-attempts -2 db migrate"), ExitCode(Errc::kInvalidArgument), "lock.max_attempts");
    ExpectFailure(Run("balance show 999"), ExitCode(Errc::kNotFound), "NOT_FOUND");
    ExpectFailure(Run("queue pause 999"), ExitCode(Errc::kNotFound), "NOT_FOUND");
    ExpectFailure(Run("outbox retry no-such-event"), ExitCode(Errc::kNotFound), "NOT_FOUND");
    EXPECT_NE(ExitCode(Errc::kInvalidArgument), ExitCode(Errc::kNotFound));
    EXPECT_NE(ExitCode(Errc::kUnavailable), 2);
}

TEST_F(CliTest, AnUnreachableDatabaseIsUnavailableWithoutItsPassword) {
    const std::string url = "--database mysql://u:pa55word@127.0.0.1:1/x";
    auto migrate = Run(url + " db migrate");
    ExpectFailure(migrate, ExitCode(Errc::kUnavailable), "UNAVAILABLE");
    EXPECT_EQ(migrate.err.find("pa55word"), std::string::npos) << migrate.err;

    auto doctor = Run(url + " doctor");
    EXPECT_EQ(doctor.code, ExitCode(Errc::kUnavailable));
    EXPECT_CONTAINS(doctor.out, "DOWN");
    EXPECT_CONTAINS(doctor.err, "database down");
    EXPECT_EQ(doctor.out.find("pa55word"), std::string::npos) << doctor.out;
}

TEST_F(CliTest, HelpListsTheSettingsAndTheExitCodes) {
    auto help = Run("--help");
    EXPECT_EQ(help.code, 0);
    EXPECT_CONTAINS(help.out, "--lock-strategy");
    EXPECT_CONTAINS(help.out, "TICKETING_LOCK_STRATEGY");
    EXPECT_CONTAINS(help.out, std::to_string(ExitCode(Errc::kUnavailable)) + " UNAVAILABLE");
    auto sub = Run("bench locks --help");
    EXPECT_EQ(sub.code, 0);
    EXPECT_CONTAINS(sub.out, "--seconds");
}

TEST_F(CliTest, BenchLocksWritesTableCsvAndChart) {
    const bool gnuplot = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
    auto bench =
        Run("bench locks --seconds 0.3 --clients 2 --scenario hot-seat --strategy optimistic --strategy redis --json "
            "--csv rows.csv" +
            std::string(gnuplot ? " --plot chart.png" : ""));
    ASSERT_EQ(bench.code, 0) << bench.err;
    EXPECT_EQ(std::count(bench.out.begin(), bench.out.end(), '{'), 4) << bench.out;  // 2 strategies x memory, sqlite
    EXPECT_CONTAINS(bench.out, R"("verdict":"ok")");
    const auto csv = ReadFile(dir_ / "rows.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5) << csv;
    EXPECT_TRUE(csv.starts_with("scenario,strategy,backend,")) << csv;
    if (gnuplot) {
        EXPECT_GT(std::filesystem::file_size(dir_ / "chart.png"), 1000U);
    }
    ExpectFailure(Run("bench locks --scenario nope"), ExitCode(Errc::kInvalidArgument), "unknown scenario");
}

TEST_F(CliTest, QueueCommandsActOnTheSharedQueueWithRedis) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_REDIS");
    const auto redis = "--redis " + ServiceUrl("TICKETING_TEST_REDIS") +
                       " --redis-prefix cli-test:" + std::to_string(::getpid()) + ": ";
    ASSERT_EQ(Run(redis + "seed demo").code, 0);
    ASSERT_EQ(Run(redis + "queue pause 1").code, 0);
    auto stats = Run(redis + "queue stats 1 --json");  // another process sees it
    ASSERT_EQ(stats.code, 0) << stats.err;
    EXPECT_CONTAINS(stats.out, R"("paused":true)");
    EXPECT_EQ(stats.err.find("in-process"), std::string::npos) << stats.err;
    auto doctor = Run(redis + "doctor --json");
    EXPECT_EQ(doctor.code, 0) << doctor.err;
    EXPECT_CONTAINS(doctor.out, R"("backend":"redis","status":"ok")");
    ASSERT_EQ(Run(redis + "queue resume 1").code, 0);
}

}  // namespace
}  // namespace ticketing::testing
