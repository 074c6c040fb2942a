#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <ticketing/app/settings.hpp>
#include <ticketing/error.hpp>
#include <vector>

namespace ticketing::runtime {

/// How often each background job runs. Every instance runs every job; a lease lets one do the work.
struct JobSettings {
    bool enabled{true};
    /// Admission ticks (and idle WAITING drops); the queue store still admits at most once per
    /// concert's own tick interval, so this only bounds how late a tick can be.
    Millis admission_interval{1s};
    Millis hold_expiry_interval{5s};
    Millis outbox_relay_interval{1s};
    std::int64_t outbox_batch{200};
    Millis retention_interval{10min};
    /// Lease held by the instance running a job; a crashed instance's job moves on within it.
    Millis lease_ttl{10s};
};

/// Everything a front end starts from: product.md's configuration plus the use-case settings.
struct Config {
    std::string listen{"127.0.0.1:8080"};
    std::string data_dir{"./ticketing-data"};
    /// Empty: SQLite file `ticketing.db` in `data_dir`. Or "sqlite:///abs.db", "mysql://user:pass@host:port/db".
    std::string database;
    /// Empty: in-process queue, lock and catalog cache. Or "redis://[user:pass@]host[:port][/db]".
    std::string redis;
    /// Prepended to every Redis key, so several deployments (or tests) share one server.
    std::string redis_prefix{"ticketing:"};
    /// Empty: events are relayed to `event_log` and applied to the sales projection in process. Or
    /// "host:port[,host:port]": relayed to Kafka and consumed back from it by the sales consumer.
    std::string kafka;
    std::string kafka_topic{"ticketing.events"};
    /// The consumer group of the sales projection: its instances share the topic's partitions.
    std::string kafka_group{"ticketing-sales"};
    /// Further librdkafka client properties (security.protocol, sasl.*, …), for producer and consumer.
    std::map<std::string, std::string> kafka_client;
    /// How long a relayed event may wait for the broker's acknowledgement; below outbox.claim_ttl.
    Millis kafka_delivery_timeout{10s};
    /// The file the log sink appends events to, one JSON line each; empty: `<data_dir>/events.log`.
    std::string event_log;
    /// Empty: the admin API is off.
    std::string admin_key;
    bool demo{false};
    /// Worker threads of a server; 0 is not allowed (the default is the number of cores).
    std::int32_t threads{1};
    /// Requests per second per client IP (burst twice that); 0 turns the limit off.
    std::int32_t rate_limit{2000};
    /// Requests of one kind (status polls, joins, holds, cancels, charges) a server answers together at most.
    std::int32_t batch_limit{500};
    /// 0: sized to the database (see DbPoolSize).
    std::int32_t db_pool_size{0};
    std::int32_t redis_pool_size{16};
    JobSettings jobs;
    Settings settings;
};

/// One setting as a file, the environment and the command line name it.
struct ConfigOption {
    std::string key;   ///< TOML path, e.g. "lock.max_attempts"
    std::string flag;  ///< "--lock-max-attempts"
    std::string env;   ///< "TICKETING_LOCK_MAX_ATTEMPTS"
    std::string help;
    bool is_switch{false};      ///< a flag without a value ("--demo")
    bool secret{false};         ///< redacted when printed
    std::string default_value;  ///< as a file would spell it; empty: none
};

/// Database connections per instance (also a server's worker threads): `db_pool_size`, or when 0,
/// 4 for SQLite, whose writers queue on one file lock so more connections only add contention (seat
/// map reads measured 15k/s at 16, 19k/s at 4 on 2 cores), and 16 for MariaDB, where each
/// connection waits on a network round trip.
std::int32_t DbPoolSize(const Config& config);

/// Every setting, in the order `--help` lists them.
const std::vector<ConfigOption>& ConfigOptions();

/// Where a configuration comes from; each source overrides the one before.
struct ConfigInput {
    /// TOML file; empty: none. Taken from --config, else TICKETING_CONFIG.
    std::string file;
    /// The process environment (only TICKETING_* entries matter).
    std::map<std::string, std::string> env;
    /// Command-line values by option key ("lock.max_attempts" -> "3"); switches have "true".
    std::map<std::string, std::string> flags;
};

/// The environment of this process.
std::map<std::string, std::string> ProcessEnvironment();

/// Reads defaults, then the file, then the environment, then the flags, and validates the result.
/// INVALID_ARGUMENT names the setting, its source and what is wrong: one message per bad value.
Result<Config> LoadConfig(const ConfigInput& input);

/// What a command line says: settings (by key), the config file, --help, and the rest.
struct CommandLine {
    ConfigInput input;
    bool help{false};
    std::vector<std::string> positional;
};

/// Parses `--flag value`, `--flag=value` and switches of ConfigOptions(), plus --config and --help.
/// INVALID_ARGUMENT for an unknown flag or a missing value. `env` fills ConfigInput::env.
Result<CommandLine> ParseCommandLine(int argc, const char* const* argv, std::map<std::string, std::string> env);

/// `--help` text: usage line, then every option with its environment variable and default.
std::string HelpText(std::string_view usage);

/// The effective configuration as TOML, secrets (admin key, passwords in URLs) redacted.
std::string Describe(const Config& config);

}  // namespace ticketing::runtime
