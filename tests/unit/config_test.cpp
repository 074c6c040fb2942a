#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <ticketing/runtime/config.hpp>

namespace ticketing::runtime {
namespace {

/// A TOML file in the temp directory, removed afterwards.
class TomlFile {
public:
    explicit TomlFile(const std::string& text)
        : path_(
              std::filesystem::temp_directory_path() /
              ("tk-config-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml")
          ) {
        std::ofstream(path_) << text;
    }
    ~TomlFile() { std::filesystem::remove(path_); }
    std::string Path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

std::string LoadError(const ConfigInput& input) {
    auto config = LoadConfig(input);
    EXPECT_FALSE(config.has_value());
    if (config) return {};
    EXPECT_EQ(config.error().code, Errc::kInvalidArgument);
    return config.error().message;
}

TEST(Config, NoConfigurationIsTheEmbeddedDefault) {
    auto config = LoadConfig({});
    ASSERT_TRUE(config.has_value()) << config.error().message;
    EXPECT_EQ(config->listen, "127.0.0.1:8080");
    EXPECT_EQ(config->data_dir, "./ticketing-data");
    EXPECT_TRUE(config->database.empty());
    EXPECT_TRUE(config->redis.empty());
    EXPECT_TRUE(config->kafka.empty());
    EXPECT_TRUE(config->admin_key.empty());
    EXPECT_EQ(config->settings.lock.kind, LockStrategyKind::kOptimistic);
    EXPECT_EQ(config->rate_limit, 2000);
    EXPECT_GE(config->threads, 1);
    EXPECT_EQ(config->settings.queue.max_active, 300);
    EXPECT_EQ(config->settings.reservation.hold_ttl, Millis{300'000});
}

TEST(Config, FileThenEnvironmentThenFlags) {
    TomlFile file("rate_limit = 10\n[lock]\nmax_attempts = 3\nbackoff_max = \"2s\"\n[queue]\nmax_active = 40\n");
    ConfigInput input{.file = file.Path(), .env = {}, .flags = {}};
    auto from_file = LoadConfig(input);
    ASSERT_TRUE(from_file.has_value()) << from_file.error().message;
    EXPECT_EQ(from_file->settings.lock.max_attempts, 3);
    EXPECT_EQ(from_file->settings.lock.backoff_max, Millis{2000});
    EXPECT_EQ(from_file->settings.queue.max_active, 40);
    EXPECT_EQ(from_file->rate_limit, 10);

    input.env = {{"TICKETING_LOCK_MAX_ATTEMPTS", "5"}, {"TICKETING_RATE_LIMIT", "0"}};
    auto from_env = LoadConfig(input);
    ASSERT_TRUE(from_env.has_value()) << from_env.error().message;
    EXPECT_EQ(from_env->settings.lock.max_attempts, 5);
    EXPECT_EQ(from_env->rate_limit, 0);
    EXPECT_EQ(from_env->settings.queue.max_active, 40);  // the file still counts where env is silent

    input.flags = {{"lock.max_attempts", "7"}};
    auto from_flags = LoadConfig(input);
    ASSERT_TRUE(from_flags.has_value()) << from_flags.error().message;
    EXPECT_EQ(from_flags->settings.lock.max_attempts, 7);
    EXPECT_EQ(from_flags->rate_limit, 0);
}

TEST(Config, EachBadValueHasItsOwnMessage) {
    auto message = LoadError(
        {.file = {},
         .env =
             {{"TICKETING_LOCK_MAX_ATTEMPTS", "-2"},
              {"TICKETING_LOCK_STRATEGY", "wishful"},
              {"TICKETING_REDIS", "http://example"},
              {"TICKETING_DB_POOL_SIZE", "-1"}},
         .flags = {{"reservation.hold_ttl", "5 minutes"}}}
    );
    EXPECT_NE(
        message.find("lock.max_attempts (from TICKETING_LOCK_MAX_ATTEMPTS): must be between 1 and 1000, got -2"),
        std::string::npos
    ) << message;
    EXPECT_NE(
        message.find("lock_strategy (from TICKETING_LOCK_STRATEGY): unknown lock strategy 'wishful'"), std::string::npos
    ) << message;
    EXPECT_NE(message.find("redis (from TICKETING_REDIS)"), std::string::npos) << message;
    EXPECT_NE(
        message.find("db_pool_size (from TICKETING_DB_POOL_SIZE): must be between 0 and 1024, got -1"),
        std::string::npos
    ) << message;
    EXPECT_NE(
        message.find("reservation.hold_ttl (from --reservation-hold-ttl): expected a duration"), std::string::npos
    ) << message;
    EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 4) << message;
}

TEST(Config, MalformedUrlsAndAddresses) {
    EXPECT_NE(
        LoadError({.file = {}, .env = {}, .flags = {{"database", "postgres://x"}}}
        ).find("database (from --database): expected sqlite:///path"),
        std::string::npos
    );
    EXPECT_NE(
        LoadError({.file = {}, .env = {}, .flags = {{"listen", "8080"}}}
        ).find("listen (from --listen): expected HOST:PORT"),
        std::string::npos
    );
    EXPECT_NE(
        LoadError({.file = {}, .env = {}, .flags = {{"kafka", "broker:99999"}}}).find("kafka (from --kafka)"),
        std::string::npos
    );
    EXPECT_NE(
        LoadError({.file = {}, .env = {}, .flags = {{"redis_prefix", "a{b}"}}}).find("must not contain"),
        std::string::npos
    );
}

TEST(Config, DatabasePoolIsSizedToTheDatabaseUnlessSet) {
    Config config;
    EXPECT_EQ(DbPoolSize(config), 4);
    config.database = "sqlite:///srv/t.db";
    EXPECT_EQ(DbPoolSize(config), 4);
    config.database = "mysql://u:p@db:3306/t";
    EXPECT_EQ(DbPoolSize(config), 16);
    config.db_pool_size = 7;
    EXPECT_EQ(DbPoolSize(config), 7);
}

TEST(Config, CombinationsAreChecked) {
    auto message =
        LoadError({.file = {}, .env = {}, .flags = {{"lock.backoff_base", "1s"}, {"lock.backoff_max", "10ms"}}});
    EXPECT_NE(message.find("lock.backoff_base must not exceed lock.backoff_max"), std::string::npos) << message;
}

TEST(Config, FileErrorsNameTheFileAndKey) {
    TomlFile unknown("[lock]\nmax_atempts = 3\n");
    EXPECT_NE(
        LoadError({.file = unknown.Path(), .env = {}, .flags = {}}
        ).find("unknown setting 'lock.max_atempts' (from " + unknown.Path() + ")"),
        std::string::npos
    );
    TomlFile broken("[lock\n");
    EXPECT_NE(
        LoadError({.file = broken.Path(), .env = {}, .flags = {}}).find(broken.Path() + ":1:"), std::string::npos
    );
    TomlFile wrong_type("threads = 1.5\n");
    EXPECT_NE(
        LoadError({.file = wrong_type.Path(), .env = {}, .flags = {}}).find("threads (from " + wrong_type.Path() + ")"),
        std::string::npos
    );
    EXPECT_NE(
        LoadError({.file = "/nonexistent/ticketing.toml", .env = {}, .flags = {}}).find("/nonexistent/ticketing.toml"),
        std::string::npos
    );
}

TEST(Config, DescribeRedactsSecrets) {
    auto config = LoadConfig(
        {.file = {},
         .env = {},
         .flags =
             {{"database", "mysql://app:hunter2@db.internal:3306/ticketing"},
              {"redis", "redis://:s3cret@cache:6379/0"},
              {"admin_key", "top-secret-key"}}}
    );
    ASSERT_TRUE(config.has_value()) << config.error().message;
    auto text = Describe(*config);
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
    EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
    EXPECT_EQ(text.find("top-secret-key"), std::string::npos) << text;
    EXPECT_NE(text.find("database = \"mysql://app:***@db.internal:3306/ticketing\""), std::string::npos) << text;
    EXPECT_NE(text.find("admin_key = \"***\""), std::string::npos) << text;
    EXPECT_NE(text.find("[lock]\nmax_attempts = 16"), std::string::npos) << text;
}

TEST(Config, DescribedConfigurationReadsBackTheSame) {
    auto config =
        LoadConfig({.file = {}, .env = {}, .flags = {{"lock.lease_wait", "250ms"}, {"queue.tick_interval", "2m"}}});
    ASSERT_TRUE(config.has_value());
    TomlFile file(Describe(*config));
    auto again = LoadConfig({.file = file.Path(), .env = {}, .flags = {}});
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_EQ(Describe(*again), Describe(*config));
    EXPECT_EQ(again->settings.lock.lease_wait, Millis{250});
    EXPECT_EQ(again->settings.queue.tick_interval, Seconds{120});
}

TEST(CommandLine, FlagsSwitchesAndConfigFile) {
    const char* argv[] = {
        "ticketing-server",
        "--lock-strategy",
        "pessimistic",
        "--threads=3",
        "--demo",
        "--config",
        "/etc/t.toml",
        "extra"};
    auto line = ParseCommandLine(8, argv, {{"TICKETING_CONFIG", "/ignored.toml"}});
    ASSERT_TRUE(line.has_value()) << line.error().message;
    EXPECT_EQ(line->input.file, "/etc/t.toml");
    EXPECT_EQ(line->input.flags.at("lock_strategy"), "pessimistic");
    EXPECT_EQ(line->input.flags.at("threads"), "3");
    EXPECT_EQ(line->input.flags.at("demo"), "true");
    EXPECT_EQ(line->positional, std::vector<std::string>{"extra"});
    EXPECT_FALSE(line->help);
}

TEST(CommandLine, ConfigFileFromTheEnvironment) {
    const char* argv[] = {"ticketing-server", "--help"};
    auto line = ParseCommandLine(2, argv, {{"TICKETING_CONFIG", "/srv/t.toml"}});
    ASSERT_TRUE(line.has_value());
    EXPECT_EQ(line->input.file, "/srv/t.toml");
    EXPECT_TRUE(line->help);
}

TEST(CommandLine, UnknownFlagsAndMissingValuesAreErrors) {
    const char* unknown[] = {"ticketing-server", "--lock-strategi", "redis"};
    auto bad = ParseCommandLine(3, unknown, {});
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().message, "unknown option --lock-strategi (see --help)");
    const char* missing[] = {"ticketing-server", "--listen"};
    auto short_line = ParseCommandLine(2, missing, {});
    ASSERT_FALSE(short_line.has_value());
    EXPECT_EQ(short_line.error().message, "--listen needs a value");
}

TEST(CommandLine, HelpListsEverySettingWithItsDefault) {
    auto help = HelpText("ticketing-server [options]");
    for (const auto& option : ConfigOptions()) {
        EXPECT_NE(help.find(option.flag), std::string::npos) << option.flag;
        EXPECT_NE(help.find(option.env), std::string::npos) << option.env;
    }
    EXPECT_NE(help.find("--listen VALUE  (TICKETING_LISTEN, [listen])"), std::string::npos) << help;
    EXPECT_NE(help.find("default: 127.0.0.1:8080"), std::string::npos);
    EXPECT_NE(help.find("--lock-strategy VALUE"), std::string::npos);
    EXPECT_NE(help.find("--admin-key VALUE"), std::string::npos);
}

}  // namespace
}  // namespace ticketing::runtime
