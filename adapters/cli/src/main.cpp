// `ticketing`: the operator's CLI. Global settings are the runtime's ConfigOptions() table, the same
// flags, TICKETING_* variables and --config file as ticketing-server; every error is one line on
// stderr and an exit code per error class (see kExitCodes).
#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <iostream>
#include <sstream>
#include <ticketing/cli/bench_locks.hpp>
#include <ticketing/runtime/runtime.hpp>

#include "bench_report.hpp"
#include "output.hpp"

namespace {

using namespace ticketing;
namespace json = boost::json;

/// CLI11's own exit code for usage errors; the library's codes start at 10 (ExitCode).
constexpr int kUsageExit = 2;

std::string ExitCodeTable() {
    std::ostringstream out;
    out << "Exit codes: 0 success; " << kUsageExit
        << " bad usage (unknown command or option, missing argument); otherwise one per error code:\n";
    for (int code = 1; code <= static_cast<int>(Errc::kInternal); ++code) {
        const auto errc = static_cast<Errc>(code);
        out << "  " << ExitCode(errc) << " " << CodeName(errc);
        if (errc == Errc::kInvalidArgument) out << " (a bad value: setting, amount, id)";
        if (errc == Errc::kUnavailable) out << " (a backend cannot be reached; doctor names it)";
        if (errc == Errc::kInternal) out << " (a bug; bench locks: an invariant was violated)";
        out << "\n";
    }
    return out.str();
}

/// One line, whatever the message holds (a configuration error lists each bad value on its own line).
std::string OneLine(std::string text) {
    for (auto at = text.find('\n'); at != std::string::npos; at = text.find('\n', at)) text.replace(at, 1, "; ");
    return text;
}

int Fail(const Error& error) {
    std::cerr << "ticketing: " << CodeName(error.code) << ": " << OneLine(error.message) << "\n";
    return ExitCode(error.code);
}

json::object QueueJson(ConcertId concert, const QueueStats& stats) {
    return {
        {"concert", concert.value},
        {"waiting", stats.waiting},
        {"active", stats.active},
        {"admitted_total", stats.admitted_total},
        {"paused", stats.settings.paused},
        {"max_active", stats.settings.max_active},
        {"admit_per_tick", stats.settings.admit_per_tick},
        {"tick_interval_s", stats.settings.tick_interval.count()},
    };
}

/// What the command line asked for, filled in while CLI11 parses.
struct Request {
    runtime::ConfigInput input;
    bool json{false};
    /// The command, run once the configuration is loaded.
    std::function<Result<json::value>(const runtime::Config&)> run;
};

/// Every setting of the runtime as a global option (usable before or after the subcommand).
void AddConfigOptions(CLI::App& app, Request& request) {
    app.add_option("--config", request.input.file, "TOML file of settings (env TICKETING_CONFIG)")
        ->group("Configuration");
    for (const auto& option : runtime::ConfigOptions()) {
        const auto help = option.help + " (env " + option.env + ", key " + option.key +
                          "; default: " + (option.default_value.empty() ? "none" : option.default_value) + ")";
        const auto key = option.key;
        auto* flags = &request.input.flags;
        if (option.is_switch) {
            app.add_flag_callback(
                   option.flag, [flags, key] { (*flags)[key] = "true"; }, help
            )
                ->group("Configuration");
        } else {
            app.add_option_function<std::string>(
                   option.flag, [flags, key](const std::string& v) { (*flags)[key] = v; }, help
            )
                ->group("Configuration");
        }
    }
}

/// Opens the runtime (which migrates the database) and runs `body` on it.
template <class F>
auto WithRuntime(F body) {
    return [body](const runtime::Config& config) -> Result<json::value> {
        auto config_copy = config;
        config_copy.jobs.enabled = false;  // a CLI command never runs the background jobs
        auto rt = runtime::Runtime::Open(std::move(config_copy));
        if (!rt) return Forward(rt.error());
        return body(**rt);
    };
}

/// The queue commands act on the configured queue store; without Redis that is this process's own.
void WarnInProcessQueue(const runtime::Runtime& rt) {
    if (rt.GetConfig().redis.empty()) {
        std::cerr << "note: no --redis: the queue is in-process, so this command sees only its own (empty) queue\n";
    }
}

/// NOT_FOUND for a concert the catalog does not have.
Result<void> RequireConcert(runtime::Runtime& rt, ConcertId concert) {
    auto schedules = rt.App().Catalog().ListSchedules(concert);
    if (!schedules) return Forward(schedules.error());
    return {};
}

Result<json::value> UpdateQueue(runtime::Runtime& rt, std::int64_t concert_id, const QueueSettingsPatch& patch) {
    const ConcertId concert{concert_id};
    if (auto found = RequireConcert(rt, concert); !found) return Forward(found.error());
    WarnInProcessQueue(rt);
    auto updated = rt.App().Queue().UpdateSettings(concert, patch);
    if (!updated) return Forward(updated.error());
    auto stats = rt.App().Queue().Stats(concert);
    if (!stats) return Forward(stats.error());
    return QueueJson(concert, *stats);
}

void AddDbAndSeed(CLI::App& app, Request& request) {
    auto* db = app.add_subcommand("db", "the database");
    db->require_subcommand(1);
    db->add_subcommand("migrate", "apply pending migrations and print the schema version")->callback([&request] {
        request.run = WithRuntime([](runtime::Runtime& rt) -> Result<json::value> {
            auto schema = rt.Schema();
            if (!schema) return Forward(schema.error());
            return json::object{{"dialect", schema->dialect}, {"version", schema->version}, {"latest", schema->latest}};
        });
    });
    auto* seed = app.add_subcommand("seed", "demo data");
    seed->require_subcommand(1);
    seed->add_subcommand(
            "demo", "two concerts open now, 3 schedules of 50 seats each, users kim, lee, park with 300000"
    )
        ->callback([&request] {
            request.run = WithRuntime([](runtime::Runtime& rt) -> Result<json::value> {
                auto seeded = rt.SeedDemo();
                if (!seeded) return Forward(seeded.error());
                return json::object{
                    {"seeded", *seeded}, {"note", *seeded ? "demo data added" : "the database already has data"}};
            });
        });
}

void AddConcert(CLI::App& app, Request& request) {
    struct Args {
        std::string title;
        std::string opens_at;
        std::string closes_at;
        std::vector<std::string> starts_at;
        std::int64_t price{50'000};
        std::int32_t seats{50};
    };
    auto args = std::make_shared<Args>();
    auto* concert = app.add_subcommand("concert", "concerts");
    concert->require_subcommand(1);
    auto* create = concert->add_subcommand("create", "a concert with one schedule per --starts-at");
    create->add_option("--title", args->title, "title")->required();
    create->add_option("--starts-at", args->starts_at, "a schedule's start, RFC 3339 (repeat for more)")->required();
    create->add_option("--price", args->price, "price of every seat, KRW")->capture_default_str();
    create->add_option("--seats", args->seats, "seats per schedule")->capture_default_str();
    create->add_option("--opens-at", args->opens_at, "reservation window opens, RFC 3339 (default: now)");
    create->add_option(
        "--closes-at", args->closes_at, "reservation window closes, RFC 3339 (default: the first start)"
    );
    create->callback([&request, args] {
        request.run = WithRuntime([args](runtime::Runtime& rt) -> Result<json::value> {
            const auto time = [](const std::string& text, const char* what) -> Result<Timestamp> {
                auto parsed = ParseRfc3339(text);
                if (!parsed)
                    return MakeError(Errc::kInvalidArgument, std::string(what) + ": not an RFC 3339 time: " + text);
                return *parsed;
            };
            NewConcert wanted{
                .title = args->title,
                .reservation_opens_at = rt.Clock().Now(),
                .reservation_closes_at = {},
                .schedules = {}};
            for (const auto& text : args->starts_at) {
                auto starts = time(text, "--starts-at");
                if (!starts) return Forward(starts.error());
                wanted.schedules.push_back({.starts_at = *starts, .price = args->price, .seat_count = args->seats});
            }
            wanted.reservation_closes_at = wanted.schedules.front().starts_at;
            for (auto [text, field, what] :
                 {std::tuple{&args->opens_at, &wanted.reservation_opens_at, "--opens-at"},
                  std::tuple{&args->closes_at, &wanted.reservation_closes_at, "--closes-at"}}) {
                if (text->empty()) continue;
                auto parsed = time(*text, what);
                if (!parsed) return Forward(parsed.error());
                *field = *parsed;
            }
            auto created = rt.App().Catalog().CreateConcert(wanted);
            if (!created) return Forward(created.error());
            json::array schedules;
            for (const auto& s : created->schedules) {
                schedules.push_back(json::object{
                    {"schedule", s.id.value},
                    {"starts_at", FormatRfc3339(s.starts_at)},
                    {"price", s.price},
                    {"seats", s.total_seats}});
            }
            return json::object{
                {"concert", created->concert.id.value}, {"title", created->concert.title}, {"schedules", schedules}};
        });
    });
}

void AddQueue(CLI::App& app, Request& request) {
    auto* queue = app.add_subcommand("queue", "waiting queues (need --redis to act on a server's queue)");
    queue->require_subcommand(1);
    auto concert = std::make_shared<std::int64_t>(0);
    auto* stats =
        queue->add_subcommand("stats", "waiting, active and settings of one concert's queue, or of every queue");
    stats->add_option("concert", *concert, "concert id (default: every concert with a queue)");
    stats->callback([&request, concert] {
        request.run = WithRuntime([concert](runtime::Runtime& rt) -> Result<json::value> {
            WarnInProcessQueue(rt);
            if (*concert != 0) {
                if (auto found = RequireConcert(rt, ConcertId{*concert}); !found) return Forward(found.error());
                auto one = rt.App().Queue().Stats(ConcertId{*concert});
                if (!one) return Forward(one.error());
                return QueueJson(ConcertId{*concert}, *one);
            }
            auto gauges = rt.ReadGauges();
            if (!gauges) return Forward(gauges.error());
            json::array out;
            for (const auto& [id, s] : gauges->queues) out.push_back(QueueJson(id, s));
            return out;
        });
    });
    auto* admit = queue->add_subcommand("admit", "run one admission tick now");
    admit->add_option("concert", *concert, "concert id")->required();
    admit->callback([&request, concert] {
        request.run = WithRuntime([concert](runtime::Runtime& rt) -> Result<json::value> {
            if (auto found = RequireConcert(rt, ConcertId{*concert}); !found) return Forward(found.error());
            WarnInProcessQueue(rt);
            auto tick = rt.App().Queue().Tick(ConcertId{*concert});
            if (!tick) return Forward(tick.error());
            return json::object{
                {"concert", *concert}, {"ran", tick->ran}, {"admitted", tick->admitted}, {"expired", tick->expired}};
        });
    });
    for (auto [name, paused, help] :
         {std::tuple{"pause", true, "stop admitting (joining still works)"},
          std::tuple{"resume", false, "admit again"}}) {
        auto* sub = queue->add_subcommand(name, help);
        sub->add_option("concert", *concert, "concert id")->required();
        sub->callback([&request, concert, paused = paused] {
            request.run = WithRuntime([concert, paused](runtime::Runtime& rt) {
                QueueSettingsPatch patch;
                patch.paused = paused;
                return UpdateQueue(rt, *concert, patch);
            });
        });
    }
    struct Limits {
        std::optional<std::int64_t> max_active;
        std::optional<std::int64_t> admit_per_tick;
        std::optional<std::int64_t> tick_interval;
    };
    auto limits = std::make_shared<Limits>();
    auto* set = queue->add_subcommand("set", "change a queue's limits live");
    set->add_option("concert", *concert, "concert id")->required();
    set->add_option("--max-active", limits->max_active, "ACTIVE users at most");
    set->add_option("--admit-per-tick", limits->admit_per_tick, "users admitted per tick");
    set->add_option("--tick-interval", limits->tick_interval, "seconds between ticks (1..86400)");
    set->callback([&request, concert, limits] {
        request.run = WithRuntime([concert, limits](runtime::Runtime& rt) {
            QueueSettingsPatch patch;
            patch.max_active = limits->max_active;
            patch.admit_per_tick = limits->admit_per_tick;
            if (limits->tick_interval) patch.tick_interval = Seconds{*limits->tick_interval};
            return UpdateQueue(rt, *concert, patch);
        });
    });
}

void AddHoldsAndOutbox(CLI::App& app, Request& request) {
    auto* holds = app.add_subcommand("holds", "seat holds");
    holds->require_subcommand(1);
    holds->add_subcommand("expire", "tidy every hold past its time now (their seats were already free)")
        ->callback([&request] {
            request.run = WithRuntime([](runtime::Runtime& rt) -> Result<json::value> {
                constexpr std::int64_t kBatch = 500;
                std::int64_t total = 0;
                for (;;) {
                    auto expired = rt.App().Reservations().ExpireHolds(kBatch);
                    if (!expired) return Forward(expired.error());
                    total += *expired;
                    if (*expired < kBatch) return json::object{{"expired", total}};
                }
            });
        });

    auto* outbox = app.add_subcommand("outbox", "the transactional outbox");
    outbox->require_subcommand(1);
    outbox->add_subcommand("stats", "pending and dead events, age of the oldest pending, the newest dead events")
        ->callback([&request] {
            request.run = WithRuntime([](runtime::Runtime& rt) -> Result<json::value> {
                auto stats = rt.App().Outbox().Stats();
                if (!stats) return Forward(stats.error());
                json::array dead_events;
                for (const auto& e : stats->dead_events) {
                    dead_events.push_back(json::object{
                        {"event", e.event_id},
                        {"type", e.type},
                        {"aggregate", e.aggregate},
                        {"attempts", e.attempts},
                        {"last_error", e.last_error}});
                }
                return json::object{
                    {"pending", stats->pending},
                    {"dead", stats->dead},
                    {"oldest_pending_age_s", stats->oldest_pending_age_seconds},
                    {"dead_events", std::move(dead_events)}};
            });
        });
    outbox
        ->add_subcommand("relay", "one relay pass now, through the configured sink (jobs.outbox_batch events at most)")
        ->callback([&request] {
            request.run = WithRuntime([](runtime::Runtime& rt) -> Result<json::value> {
                auto relayed = rt.App().Outbox().RelayOnce(rt.Sink(), rt.GetConfig().jobs.outbox_batch);
                if (!relayed) return Forward(relayed.error());
                return json::object{
                    {"published", relayed->published}, {"failed", relayed->failed}, {"dead", relayed->dead}};
            });
        });
    auto event = std::make_shared<std::string>();
    auto* retry = outbox->add_subcommand("retry", "put a dead event back in the queue, due now");
    retry->add_option("event", *event, "event id")->required();
    retry->callback([&request, event] {
        request.run = WithRuntime([event](runtime::Runtime& rt) -> Result<json::value> {
            if (auto done = rt.App().Outbox().Retry(*event); !done) return Forward(done.error());
            return json::object{{"event", *event}, {"status", "PENDING"}};
        });
    });
}

void AddBalance(CLI::App& app, Request& request) {
    struct Args {
        std::int64_t user{0};
        std::int64_t amount{0};
        std::string idempotency_key;
        std::int64_t limit{10};
    };
    auto args = std::make_shared<Args>();
    auto* balance = app.add_subcommand("balance", "users' balances");
    balance->require_subcommand(1);
    auto* charge = balance->add_subcommand("charge", "add 1..10000000 KRW to a balance");
    charge->add_option("user", args->user, "user id")->required();
    charge->add_option("amount", args->amount, "KRW")->required();
    charge->add_option("--idempotency-key", args->idempotency_key, "replaying the same key charges once");
    charge->callback([&request, args] {
        request.run = WithRuntime([args](runtime::Runtime& rt) -> Result<json::value> {
            std::optional<std::string_view> key;
            if (!args->idempotency_key.empty()) key = args->idempotency_key;
            auto charged = rt.App().Accounts().Charge(UserId{args->user}, args->amount, key);
            if (!charged) return Forward(charged.error());
            return json::object{
                {"user", charged->user_id.value}, {"balance", charged->balance}, {"replayed", charged->replayed}};
        });
    });
    auto* show = balance->add_subcommand("show", "a user's balance and latest ledger rows");
    show->add_option("user", args->user, "user id")->required();
    show->add_option("--limit", args->limit, "ledger rows (1..100)")->capture_default_str();
    show->callback([&request, args] {
        request.run = WithRuntime([args](runtime::Runtime& rt) -> Result<json::value> {
            auto user = rt.App().Accounts().GetUser(UserId{args->user});
            if (!user) return Forward(user.error());
            auto history = rt.App().Accounts().History(user->id, {.limit = args->limit, .cursor = std::nullopt});
            if (!history) return Forward(history.error());
            json::array ledger;
            for (const auto& e : history->items) {
                ledger.push_back(json::object{
                    {"id", e.id.value},
                    {"type", std::string(ToString(e.type))},
                    {"amount", e.amount},
                    {"balance_after", e.balance_after},
                    {"at", FormatRfc3339(e.created_at)}});
            }
            return json::object{
                {"user", user->id.value}, {"name", user->name}, {"balance", user->balance}, {"ledger", ledger}};
        });
    });
}

void AddConfigAndDoctor(CLI::App& app, Request& request) {
    auto* config = app.add_subcommand("config", "the configuration");
    config->require_subcommand(1);
    config->add_subcommand("show", "the effective configuration as TOML, secrets redacted")->callback([&request] {
        request.run = [&request](const runtime::Config& c) -> Result<json::value> {
            const auto toml_text = runtime::Describe(c);
            if (!request.json) return json::value(toml_text);
            std::ostringstream as_json;
            as_json << toml::json_formatter{toml::parse(toml_text)};
            return json::parse(as_json.str());
        };
    });
    app.add_subcommand("doctor", "reach every configured backend and say which is down")->callback([&request] {
        request.run = [&request](const runtime::Config& c) -> Result<json::value> {
            json::array out;
            std::string down;
            for (const auto& probe : runtime::ProbeBackends(c)) {
                out.push_back(json::object{
                    {"backend", probe.backend}, {"status", probe.ok ? "ok" : "DOWN"}, {"detail", probe.message}});
                if (!probe.ok) down += (down.empty() ? "" : ", ") + probe.backend;
            }
            cli::Print(out, request.json);
            if (!down.empty()) return MakeError(Errc::kUnavailable, down + " down");
            return json::value(nullptr);
        };
    });
}

void AddBench(CLI::App& app, Request& request) {
    struct Args {
        double seconds{3};
        int clients{8};
        std::vector<std::string> scenarios;
        std::vector<std::string> strategies;
        std::string csv;
        std::string plot;
    };
    auto args = std::make_shared<Args>();
    auto* bench = app.add_subcommand("bench", "benchmarks");
    bench->require_subcommand(1);
    auto* locks = bench->add_subcommand(
        "locks",
        "each scenario under each lock strategy on memory, SQLite, and MariaDB / Redis when --database "
        "mysql://... / --redis are given; throughput, latency, lock counters and a correctness verdict per row"
    );
    locks->add_option("--seconds", args->seconds, "seconds per row")->capture_default_str();
    locks->add_option("--clients", args->clients, "concurrent clients")->capture_default_str();
    locks->add_option("--scenario", args->scenarios, "hot-seat, spread, balance, stalled-holder (default: all)");
    locks->add_option("--strategy", args->strategies, "optimistic, pessimistic, redis (default: all)");
    locks->add_option("--csv", args->csv, "also write the rows to this CSV file");
    locks->add_option("--plot", args->plot, "also draw throughput and p99 to this PNG (gnuplot)");
    locks->callback([&request, args] {
        request.run = [&request, args](const runtime::Config& c) -> Result<json::value> {
            cli::BenchOptions options;
            options.clients = args->clients;
            options.duration = Millis{static_cast<std::int64_t>(args->seconds * 1000)};
            if (c.database.starts_with("mysql://")) options.mysql_url = c.database;
            options.redis_url = c.redis;
            options.work_dir = std::filesystem::temp_directory_path().string();
            if (!args->scenarios.empty()) options.scenarios.clear();
            for (const auto& s : args->scenarios) {
                auto scenario = cli::ParseScenario(s);
                if (!scenario) return Forward(scenario.error());
                options.scenarios.push_back(*scenario);
            }
            if (!args->strategies.empty()) options.strategies.clear();
            for (const auto& s : args->strategies) {
                auto kind = ParseLockStrategyKind(s);
                if (!kind) return MakeError(Errc::kInvalidArgument, kind.error().message);
                options.strategies.push_back(*kind);
            }
            cli::ProgressBar bar;
            auto rows =
                cli::RunBenchLocks(options, [&bar](std::size_t done, std::size_t total, const std::string& label) {
                    bar.Update(done, total, label);
                });
            if (!rows) return Forward(rows.error());
            auto table = cli::BenchRowsJson(*rows);
            if (!args->csv.empty()) {
                if (auto written = cli::WriteCsv(table, args->csv); !written) return Forward(written.error());
            }
            if (!args->plot.empty()) {
                if (auto drawn = cli::PlotPng(*rows, args->plot); !drawn) return Forward(drawn.error());
            }
            const auto failed = std::count_if(rows->begin(), rows->end(), [](const cli::BenchRow& r) { return !r.ok; });
            cli::Print(table, request.json);
            if (failed > 0) {
                return MakeError(
                    Errc::kInternal,
                    std::to_string(failed) + " of " + std::to_string(rows->size()) + " rows violate an invariant"
                );
            }
            return json::value(nullptr);
        };
    });
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "ticketing: run libticketing from a terminal, on the same configuration as ticketing-server.", "ticketing"};
    app.fallthrough();  // global options after the subcommand too
    app.require_subcommand(1);
    app.footer(
        "Settings: defaults < --config FILE (TOML) < TICKETING_* environment < flags.\n"
        "Output: tables for people, --json for scripts.\n\n" +
        ExitCodeTable()
    );
    Request request;
    request.input.env = runtime::ProcessEnvironment();
    if (auto it = request.input.env.find("TICKETING_CONFIG"); it != request.input.env.end())
        request.input.file = it->second;
    app.add_flag("--json", request.json, "print JSON instead of tables");
    AddConfigOptions(app, request);
    AddDbAndSeed(app, request);
    AddConcert(app, request);
    AddQueue(app, request);
    AddHoldsAndOutbox(app, request);
    AddBalance(app, request);
    AddConfigAndDoctor(app, request);
    AddBench(app, request);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // An unknown word is left over as an extra; name it rather than CLI11's "subcommand required".
        const auto extras = app.remaining();
        const auto* last = app.get_subcommands().empty() ? &app : app.get_subcommands().back();
        while (!last->get_subcommands().empty()) last = last->get_subcommands().back();
        if (!extras.empty()) {
            std::cerr << "ticketing: unknown " << (extras.front().starts_with("-") ? "option" : "command") << " '"
                      << extras.front() << "' for '" << last->get_display_name() << "' (see --help)\n";
            return kUsageExit;
        }
        std::cerr << "ticketing: " << OneLine(e.what()) << " (see --help)\n";
        return kUsageExit;
    }
    auto config = runtime::LoadConfig(request.input);
    if (!config) return Fail(config.error());
    auto result = request.run(*config);
    if (!result) return Fail(result.error());
    if (!result->is_null()) cli::Print(*result, request.json);
    return 0;
}
