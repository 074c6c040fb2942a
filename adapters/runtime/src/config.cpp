#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <sstream>
#include <thread>
#include <ticketing/redact.hpp>
#include <ticketing/redis/redis_client.hpp>
#include <ticketing/runtime/config.hpp>

extern char** environ;

namespace ticketing::runtime {
namespace {

using Setter = std::function<Result<void>(Config&, std::string_view)>;
using Getter = std::function<std::string(const Config&)>;

/// A setting with how to read and print it.
struct Option {
    ConfigOption spec;  ///< default_value filled from a default Config
    Setter set;
    Getter get;
};

Error Invalid(std::string message) {
    return Error{Errc::kInvalidArgument, std::move(message)};
}

Result<std::int64_t> ParseInteger(std::string_view text, std::int64_t min, std::int64_t max) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
        return tl::unexpected(Invalid("expected an integer, got '" + std::string(text) + "'"));
    }
    if (value < min || value > max) {
        return tl::unexpected(Invalid(
            "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + std::to_string(value)
        ));
    }
    return value;
}

Result<bool> ParseBool(std::string_view text) {
    for (std::string_view yes : {"1", "true", "yes", "on"}) {
        if (text == yes) return true;
    }
    for (std::string_view no : {"0", "false", "no", "off"}) {
        if (text == no) return false;
    }
    return tl::unexpected(Invalid("expected true or false, got '" + std::string(text) + "'"));
}

/// "250ms", "30s", "5m", "2h", "7d".
Result<Millis> ParseDuration(std::string_view text, Millis min) {
    auto unit_at = text.find_first_not_of("0123456789");
    auto unit = unit_at == std::string_view::npos ? std::string_view{} : text.substr(unit_at);
    std::int64_t scale = 0;
    if (unit == "ms") scale = 1;
    if (unit == "s") scale = 1000;
    if (unit == "m") scale = 60'000;
    if (unit == "h") scale = 3'600'000;
    if (unit == "d") scale = 86'400'000;
    auto number = ParseInteger(text.substr(0, unit_at), 0, 1'000'000'000);
    if (scale == 0 || !number) {
        return tl::unexpected(
            Invalid("expected a duration such as 250ms, 30s, 5m, 2h or 7d, got '" + std::string(text) + "'")
        );
    }
    Millis value{*number * scale};
    if (value < min) {
        return tl::unexpected(
            Invalid("must be at least " + std::to_string(min.count()) + "ms, got '" + std::string(text) + "'")
        );
    }
    return value;
}

/// A TOML basic string.
std::string Quote(std::string_view text) {
    std::string out = "\"";
    for (char ch : text) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    return out + "\"";
}

std::string FormatDuration(Millis value) {
    auto ms = value.count();
    for (auto [scale, unit] : {std::pair{86'400'000LL, "d"}, {3'600'000LL, "h"}, {60'000LL, "m"}, {1000LL, "s"}}) {
        if (ms != 0 && ms % scale == 0) return std::to_string(ms / scale) + unit;
    }
    return std::to_string(ms) + "ms";
}

Result<void> CheckDatabaseUrl(std::string_view url) {
    if (url.empty() || url.starts_with("sqlite://") || url.starts_with("mysql://")) return {};
    return tl::unexpected(
        Invalid("expected sqlite:///path/file.db or mysql://user:pass@host:port/db, got '" + RedactUrl(url) + "'")
    );
}

Result<void> CheckRedisUrl(std::string_view url) {
    if (url.empty()) return {};
    auto parsed = redis::ParseRedisUrl(url);
    if (!parsed) return tl::unexpected(Invalid(parsed.error().message));
    return {};
}

/// "host:port[,host:port]".
Result<void> CheckHostPorts(std::string_view list, bool allow_empty) {
    if (list.empty() && allow_empty) return {};
    std::size_t start = 0;
    while (start <= list.size()) {
        auto end = std::min(list.find(',', start), list.size());
        auto item = list.substr(start, end - start);
        auto colon = item.rfind(':');
        if (colon == std::string_view::npos || colon == 0 || !ParseInteger(item.substr(colon + 1), 0, 65535)) {
            return tl::unexpected(Invalid("expected HOST:PORT, got '" + std::string(item) + "'"));
        }
        start = end + 1;
    }
    return {};
}

Result<void> NonEmpty(std::string_view v) {
    if (v.empty()) return tl::unexpected(Invalid("must not be empty"));
    return {};
}

Option Text(
    std::string key,
    std::string help,
    std::string Config::*field,
    std::function<Result<void>(std::string_view)> check = {},
    bool secret = false
) {
    return {
        {std::move(key), {}, {}, std::move(help), false, secret, {}},
        [field, check](Config& c, std::string_view v) -> Result<void> {
            if (check) {
                if (auto ok = check(v); !ok) return ok;
            }
            c.*field = std::string(v);
            return {};
        },
        [field](const Config& c) { return c.*field; },
    };
}

template <class Int, class Field>
Option Integer(std::string key, std::string help, Field field, std::int64_t min, std::int64_t max) {
    return {
        {std::move(key), {}, {}, std::move(help), false, false, {}},
        [field, min, max](Config& c, std::string_view v) -> Result<void> {
            auto value = ParseInteger(v, min, max);
            if (!value) return tl::unexpected(value.error());
            field(c) = static_cast<Int>(*value);
            return {};
        },
        [field](const Config& c) { return std::to_string(field(c)); },
    };
}

template <class Field>
Option Duration(std::string key, std::string help, Field field, Millis min = Millis{1}) {
    return {
        {std::move(key), {}, {}, std::move(help), false, false, {}},
        [field, min](Config& c, std::string_view v) -> Result<void> {
            auto value = ParseDuration(v, min);
            if (!value) return tl::unexpected(value.error());
            field(c) = std::chrono::duration_cast<std::remove_reference_t<decltype(field(c))>>(*value);
            return {};
        },
        [field](const Config& c) { return FormatDuration(field(c)); },
    };
}

template <class Field>
Option Switch(std::string key, std::string help, Field field, bool is_switch) {
    return {
        {std::move(key), {}, {}, std::move(help), is_switch, false, {}},
        [field](Config& c, std::string_view v) -> Result<void> {
            auto value = ParseBool(v);
            if (!value) return tl::unexpected(value.error());
            field(c) = *value;
            return {};
        },
        [field](const Config& c) { return field(c) ? std::string("true") : std::string("false"); },
    };
}

/// A member of Config, for const and non-const access alike.
#define TICKETING_FIELD(expr) \
    [](auto& c) -> auto& {    \
        return c.expr;        \
    }

std::vector<Option> MakeOptions() {
    constexpr std::int64_t kMaxInt32 = 2'147'483'647;
    std::vector<Option> options{
        Text(
            "listen",
            "HOST:PORT the server binds (port 0: any free port)",
            &Config::listen,
            [](std::string_view v) { return CheckHostPorts(v, false); }
        ),
        Text("data_dir", "directory of the embedded SQLite file and the event log", &Config::data_dir, NonEmpty),
        Text(
            "database",
            "database URL; empty: SQLite file in the data dir (sqlite:///path.db, mysql://user:pass@host:port/db)",
            &Config::database,
            CheckDatabaseUrl,
            true
        ),
        Text(
            "redis",
            "Redis URL for the queue, lock and catalog cache; empty: in-process (redis://[user:pass@]host[:port][/db])",
            &Config::redis,
            CheckRedisUrl,
            true
        ),
        Text(
            "redis_prefix",
            "prepended to every Redis key (no '{' or '}')",
            &Config::redis_prefix,
            [](std::string_view v) -> Result<void> {
                if (v.find_first_of("{}") != std::string_view::npos) {
                    return tl::unexpected(Invalid("must not contain '{' or '}'"));
                }
                return {};
            }
        ),
        Text(
            "kafka",
            "Kafka brokers (host:port[,host:port]); empty: events go to the event log",
            &Config::kafka,
            [](std::string_view v) { return CheckHostPorts(v, true); }
        ),
        Text("kafka_topic", "topic the outbox is relayed to", &Config::kafka_topic, NonEmpty),
        Text("kafka_group", "consumer group of the sales projection", &Config::kafka_group, NonEmpty),
        {{"kafka_client",
          {},
          {},
          "further librdkafka properties, key=value[,key=value] (e.g. security.protocol=ssl)",
          false,
          true,
          {}},
         [](Config& c, std::string_view v) -> Result<void> {
             std::map<std::string, std::string> properties;
             for (std::size_t start = 0; start < v.size();) {
                 const auto end = std::min(v.find(',', start), v.size());
                 const auto item = v.substr(start, end - start);
                 const auto eq = item.find('=');
                 if (eq == std::string_view::npos || eq == 0) {
                     return tl::unexpected(Invalid("expected key=value[,key=value], got '" + std::string(item) + "'"));
                 }
                 properties[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
                 start = end + 1;
             }
             c.kafka_client = std::move(properties);
             return {};
         },
         [](const Config& c) {
             std::string out;
             for (const auto& [key, value] : c.kafka_client) out += (out.empty() ? "" : ",") + key + "=" + value;
             return out;
         }},
        Duration(
            "kafka_delivery_timeout",
            "how long a relayed event waits for the broker's acknowledgement before it counts as failed",
            TICKETING_FIELD(kafka_delivery_timeout),
            Millis{100}
        ),
        Text(
            "event_log",
            "file the outbox relay appends events to when no Kafka is set; empty: <data_dir>/events.log",
            &Config::event_log
        ),
        {{"lock_strategy", {}, {}, "optimistic, pessimistic or redis", false, false, {}},
         [](Config& c, std::string_view v) -> Result<void> {
             auto kind = ParseLockStrategyKind(v);
             if (!kind) return tl::unexpected(Invalid(kind.error().message));
             c.settings.lock.kind = *kind;
             return {};
         },
         [](const Config& c) { return std::string(ToString(c.settings.lock.kind)); }},
        Text("admin_key", "bearer key of the admin API; empty: admin API off", &Config::admin_key, {}, true),
        Switch("demo", "seed demo data on an empty database", TICKETING_FIELD(demo), true),
        Integer<std::int32_t>(
            "threads", "worker threads (default: the number of cores)", TICKETING_FIELD(threads), 1, 1024
        ),
        Integer<std::int32_t>(
            "rate_limit",
            "requests per second per client IP, burst twice that; 0: off",
            TICKETING_FIELD(rate_limit),
            0,
            kMaxInt32
        ),
        Integer<std::int32_t>(
            "batch_limit",
            "status polls, joins, holds, cancels or charges of one kind answered together at most",
            TICKETING_FIELD(batch_limit),
            1,
            100'000
        ),
        Integer<std::int32_t>(
            "db_pool_size",
            "database connections per instance, also the server's worker threads; 0: 4 on SQLite, 16 on MariaDB",
            TICKETING_FIELD(db_pool_size),
            0,
            1024
        ),
        Integer<std::int32_t>(
            "redis_pool_size", "Redis connections per instance", TICKETING_FIELD(redis_pool_size), 1, 1024
        ),
        Integer<std::int64_t>(
            "queue.max_active",
            "ACTIVE users per concert at most",
            TICKETING_FIELD(settings.queue.max_active),
            1,
            kMaxInt32
        ),
        Integer<std::int64_t>(
            "queue.admit_per_tick",
            "users admitted per tick at most",
            TICKETING_FIELD(settings.queue.admit_per_tick),
            1,
            kMaxInt32
        ),
        Duration(
            "queue.tick_interval",
            "time between admission ticks of a concert",
            TICKETING_FIELD(settings.queue.tick_interval),
            Millis{1000}
        ),
        Duration(
            "queue.active_ttl", "how long an ACTIVE token lasts", TICKETING_FIELD(settings.queue_timeouts.active_ttl)
        ),
        Duration(
            "queue.waiting_idle_timeout",
            "a WAITING token not polled for this long is dropped",
            TICKETING_FIELD(settings.queue_timeouts.waiting_idle_timeout)
        ),
        Duration(
            "queue.revoked_retention",
            "how long a token revoked by payment still answers payment replays",
            TICKETING_FIELD(settings.queue_timeouts.revoked_retention)
        ),
        Integer<std::int32_t>(
            "reservation.max_seats",
            "seats per reservation at most",
            TICKETING_FIELD(settings.reservation.max_seats_per_reservation),
            1,
            10'000
        ),
        Duration("reservation.hold_ttl", "how long a hold lasts", TICKETING_FIELD(settings.reservation.hold_ttl)),
        Integer<std::int32_t>(
            "lock.max_attempts",
            "tries of a unit of work that lost a race before CONFLICT",
            TICKETING_FIELD(settings.lock.max_attempts),
            1,
            1000
        ),
        Duration("lock.backoff_base", "first retry backoff", TICKETING_FIELD(settings.lock.backoff_base)),
        Duration("lock.backoff_max", "retry backoff cap", TICKETING_FIELD(settings.lock.backoff_max)),
        Duration("lock.lease_ttl", "redis strategy: lease time", TICKETING_FIELD(settings.lock.lease_ttl)),
        Duration(
            "lock.lease_wait",
            "redis strategy: how long to wait for a busy lease before CONFLICT",
            TICKETING_FIELD(settings.lock.lease_wait),
            Millis{0}
        ),
        Integer<std::int32_t>(
            "outbox.max_attempts",
            "failed publishes before an event is dead",
            TICKETING_FIELD(settings.outbox.max_attempts),
            1,
            1000
        ),
        Duration("outbox.backoff_base", "first republish backoff", TICKETING_FIELD(settings.outbox.backoff_base)),
        Duration("outbox.backoff_max", "republish backoff cap", TICKETING_FIELD(settings.outbox.backoff_max)),
        Duration(
            "outbox.claim_ttl",
            "a relay's claim on a batch; a relay lost before marking it is republished after this",
            TICKETING_FIELD(settings.outbox.claim_ttl)
        ),
        Duration(
            "idempotency_ttl",
            "how long an Idempotency-Key replays its response",
            TICKETING_FIELD(settings.idempotency_ttl)
        ),
        Duration(
            "catalog_cache_ttl",
            "how long concerts and schedules stay cached",
            TICKETING_FIELD(settings.catalog_cache_ttl)
        ),
        Duration(
            "seat_map_max_age",
            "how old a seat map read may be; this instance's own changes show at once (0: always read)",
            TICKETING_FIELD(settings.seat_map_max_age),
            Millis{0}
        ),
        Duration(
            "retention.published_outbox_age",
            "relayed outbox events are deleted after this",
            TICKETING_FIELD(settings.retention.published_outbox_age)
        ),
        Duration(
            "retention.inbox_age",
            "consumed event ids are forgotten after this",
            TICKETING_FIELD(settings.retention.inbox_age)
        ),
        Duration(
            "retention.fence_age",
            "fencing tokens unused for this long are forgotten (far longer than any lease)",
            TICKETING_FIELD(settings.retention.fence_age)
        ),
        Integer<std::int64_t>(
            "retention.batch_size",
            "rows deleted per transaction",
            TICKETING_FIELD(settings.retention.batch_size),
            1,
            100'000
        ),
        Integer<std::int32_t>(
            "retention.max_batches",
            "batches per retention run at most",
            TICKETING_FIELD(settings.retention.max_batches),
            1,
            100'000
        ),
        Switch("jobs.enabled", "run the background jobs in this process", TICKETING_FIELD(jobs.enabled), false),
        Duration(
            "jobs.admission_interval",
            "how often the admission job looks for due ticks",
            TICKETING_FIELD(jobs.admission_interval),
            Millis{10}
        ),
        Duration(
            "jobs.hold_expiry_interval",
            "how often expired holds are tidied",
            TICKETING_FIELD(jobs.hold_expiry_interval),
            Millis{10}
        ),
        Duration(
            "jobs.outbox_relay_interval",
            "how often the outbox is relayed",
            TICKETING_FIELD(jobs.outbox_relay_interval),
            Millis{10}
        ),
        Integer<std::int64_t>(
            "jobs.outbox_batch", "events relayed per run at most", TICKETING_FIELD(jobs.outbox_batch), 1, 100'000
        ),
        Duration(
            "jobs.retention_interval",
            "how often old rows are deleted",
            TICKETING_FIELD(jobs.retention_interval),
            Millis{10}
        ),
        Duration(
            "jobs.lease_ttl",
            "lease of the instance running a job; a crashed instance's job moves on within it",
            TICKETING_FIELD(jobs.lease_ttl),
            Millis{100}
        ),
    };
    Config defaults;
    defaults.threads = static_cast<std::int32_t>(std::max(1U, std::thread::hardware_concurrency()));
    for (auto& option : options) {
        std::string name = option.spec.key;
        std::replace(name.begin(), name.end(), '.', '_');
        option.spec.env = "TICKETING_" + name;
        std::transform(option.spec.env.begin(), option.spec.env.end(), option.spec.env.begin(), ::toupper);
        std::replace(name.begin(), name.end(), '_', '-');
        option.spec.flag = "--" + name;
        option.spec.default_value = option.get(defaults);
    }
    return options;
}

#undef TICKETING_FIELD

const std::vector<Option>& Options() {
    static const std::vector<Option> options = MakeOptions();
    return options;
}

const Option* FindOption(std::string_view key) {
    for (const auto& option : Options()) {
        if (option.spec.key == key) return &option;
    }
    return nullptr;
}

/// The file's settings as key -> text, or a message per unknown key or wrong type.
void ReadToml(
    const std::string& path, std::vector<std::pair<std::string, std::string>>& out, std::vector<std::string>& errors
) {
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        std::ostringstream message;
        message << path << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
        errors.push_back(message.str());
        return;
    }
    std::function<void(const toml::table&, const std::string&)> walk = [&](const toml::table& table,
                                                                           const std::string& prefix) {
        for (const auto& [name, node] : table) {
            std::string key = prefix + std::string(name.str());
            if (const auto* sub = node.as_table()) {
                walk(*sub, key + ".");
                continue;
            }
            if (auto text = node.value<std::string>()) {
                out.emplace_back(key, *text);
            } else if (auto integer = node.value<std::int64_t>()) {
                out.emplace_back(key, std::to_string(*integer));
            } else if (auto boolean = node.value<bool>()) {
                out.emplace_back(key, *boolean ? "true" : "false");
            } else {
                errors.push_back(key + " (from " + path + "): expected a string, an integer or a boolean");
            }
        }
    };
    walk(root, "");
}

/// INVALID_ARGUMENT with one line per message, when there are any.
Result<void> OneLinePerError(const std::vector<std::string>& errors) {
    if (errors.empty()) return {};
    std::string message;
    for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
    return tl::unexpected(Invalid(message));
}

}  // namespace

std::int32_t DbPoolSize(const Config& config) {
    if (config.db_pool_size > 0) return config.db_pool_size;
    return config.database.starts_with("mysql://") ? 16 : 4;
}

const std::vector<ConfigOption>& ConfigOptions() {
    static const std::vector<ConfigOption> specs = [] {
        std::vector<ConfigOption> out;
        for (const auto& option : Options()) out.push_back(option.spec);
        return out;
    }();
    return specs;
}

std::map<std::string, std::string> ProcessEnvironment() {
    std::map<std::string, std::string> env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        auto eq = text.find('=');
        if (eq != std::string_view::npos && text.starts_with("TICKETING_")) {
            env.emplace(text.substr(0, eq), text.substr(eq + 1));
        }
    }
    return env;
}

Result<Config> LoadConfig(const ConfigInput& input) {
    Config config;
    config.threads = static_cast<std::int32_t>(std::max(1U, std::thread::hardware_concurrency()));
    std::vector<std::string> errors;
    auto apply = [&](const std::string& key, const std::string& value, const std::string& source) {
        const Option* option = FindOption(key);
        if (option == nullptr) {
            errors.push_back("unknown setting '" + key + "' (from " + source + ")");
            return;
        }
        if (auto set = option->set(config, value); !set) {
            errors.push_back(key + " (from " + source + "): " + set.error().message);
        }
    };

    if (!input.file.empty()) {
        std::vector<std::pair<std::string, std::string>> values;
        ReadToml(input.file, values, errors);
        for (const auto& [key, value] : values) apply(key, value, input.file);
    }
    for (const auto& option : Options()) {
        if (auto it = input.env.find(option.spec.env); it != input.env.end())
            apply(option.spec.key, it->second, it->first);
    }
    for (const auto& [key, value] : input.flags) apply(key, value, FindOption(key) ? FindOption(key)->spec.flag : key);

    if (auto failed = OneLinePerError(errors); !failed) return tl::unexpected(failed.error());
    // Each value passed its own check; the core's rules catch what is wrong only in combination.
    if (auto valid = ValidateSettings(config.settings); !valid) return tl::unexpected(valid.error());
    return config;
}

Result<CommandLine> ParseCommandLine(int argc, const char* const* argv, std::map<std::string, std::string> env) {
    CommandLine line;
    line.input.env = std::move(env);
    if (auto it = line.input.env.find("TICKETING_CONFIG"); it != line.input.env.end()) line.input.file = it->second;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            line.help = true;
            continue;
        }
        if (!arg.starts_with("--")) {
            line.positional.emplace_back(arg);
            continue;
        }
        auto eq = arg.find('=');
        std::string_view name = arg.substr(0, eq);
        std::optional<std::string> value;
        if (eq != std::string_view::npos) value = std::string(arg.substr(eq + 1));
        const ConfigOption* spec = nullptr;
        for (const auto& option : ConfigOptions()) {
            if (option.flag == name) spec = &option;
        }
        bool is_config = name == "--config";
        if (spec == nullptr && !is_config)
            return tl::unexpected(Invalid("unknown option " + std::string(name) + " (see --help)"));
        if (!value && spec != nullptr && spec->is_switch) value = "true";
        if (!value) {
            if (i + 1 >= argc) return tl::unexpected(Invalid(std::string(name) + " needs a value"));
            value = argv[++i];
        }
        if (is_config) {
            line.input.file = *value;
        } else {
            line.input.flags[spec->key] = *value;
        }
    }
    return line;
}

std::string HelpText(std::string_view usage) {
    std::ostringstream out;
    out << "Usage: " << usage << "\n\nEach setting comes from its default, then the --config FILE (TOML), then the\n"
        << "TICKETING_* environment, then the flag, each overriding the one before.\n\n"
        << "  --config FILE  (TICKETING_CONFIG)\n      TOML file with the settings below; keys as shown in brackets\n";
    for (const auto& option : Options()) {
        const auto& spec = option.spec;
        out << "  " << spec.flag << (spec.is_switch ? "" : " VALUE") << "  (" << spec.env << ", [" << spec.key
            << "])\n      " << spec.help << "; default: " << (spec.default_value.empty() ? "none" : spec.default_value)
            << "\n";
    }
    out << "  --help\n      this text\n";
    return out.str();
}

std::string Describe(const Config& config) {
    // Top-level keys first: TOML puts every key after a [table] header into that table.
    std::vector<std::string> sections{""};
    for (const auto& option : Options()) {
        auto dot = option.spec.key.find('.');
        std::string section = dot == std::string::npos ? "" : option.spec.key.substr(0, dot);
        if (std::find(sections.begin(), sections.end(), section) == sections.end()) sections.push_back(section);
    }
    std::ostringstream out;
    for (const auto& section : sections) {
        if (!section.empty()) out << "\n[" << section << "]\n";
        for (const auto& option : Options()) {
            const auto& key = option.spec.key;
            auto dot = key.find('.');
            if ((dot == std::string::npos ? "" : key.substr(0, dot)) != section) continue;
            std::string value = option.get(config);
            if (option.spec.secret && !value.empty()) value = key == "admin_key" ? "***" : RedactUrl(value);
            bool bare = value == "true" || value == "false" ||
                        (!value.empty() && std::all_of(value.begin(), value.end(), [](char ch) {
                            return std::isdigit(static_cast<unsigned char>(ch)) != 0;
                        }));
            out << key.substr(dot == std::string::npos ? 0 : dot + 1) << " = " << (bare ? value : Quote(value)) << "\n";
        }
    }
    return out.str();
}

}  // namespace ticketing::runtime
