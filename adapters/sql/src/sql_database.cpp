#include <stdexcept>
#include <ticketing/redact.hpp>
#include <ticketing/sql/sql_database.hpp>

#include "detail.hpp"

namespace ticketing::sql {

namespace {

// Runs `body` on a pooled session outside any unit of work, translating SOCI errors.
template <class T, class F>
Result<T> WithSession(detail::Pool& pool, std::string_view what, F&& body) {
    auto session = pool.Acquire();
    if (!session) return Forward(session.error());
    try {
        T out = body(**session);
        pool.Release(std::move(*session), true);
        return out;
    } catch (const soci::soci_error& e) {
        auto failure = detail::Translate(*pool.endpoint().dialect, **session, e, what);
        pool.Release(std::move(*session), !failure.discard_session);
        return tl::unexpected<Error>(std::move(failure.error));
    } catch (const std::exception& e) {
        pool.Release(std::move(*session), false);
        return MakeError(Errc::kInternal, std::string(what) + ": " + e.what());
    }
}

Result<void> RunAdmin(const std::string& server_url, const std::string& statement) {
    SqlOptions options;
    options.url = server_url;
    auto endpoint = detail::ParseUrl(server_url, options);
    if (!endpoint) return Forward(endpoint.error());
    if (endpoint->dialect->kind != detail::DialectKind::kMysql) {
        return MakeError(Errc::kInvalidArgument, "database administration is for mysql URLs only");
    }
    std::unique_ptr<soci::session> sql;
    try {
        sql = detail::Connect(*endpoint, options);
    } catch (const std::exception& e) {
        return MakeError(Errc::kUnavailable, "cannot connect to " + endpoint->display + ": " + e.what());
    }
    try {
        *sql << statement;
    } catch (const soci::soci_error& e) {
        auto failure = detail::Translate(*endpoint->dialect, *sql, e, "'" + statement + "' on " + endpoint->display);
        return tl::unexpected<Error>(std::move(failure.error));
    }
    return {};
}

Result<std::string> CheckedName(std::string_view name) {
    if (name.empty() || name.size() > 64 ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string_view::npos) {
        return MakeError(Errc::kInvalidArgument, "database names are 1-64 characters of [A-Za-z0-9_]");
    }
    return std::string(name);
}

}  // namespace

SqlDatabase::SqlDatabase(std::shared_ptr<State> state) : state_(std::move(state)) {}

Result<std::unique_ptr<SqlDatabase>> SqlDatabase::Open(SqlOptions options) {
    auto endpoint = detail::ParseUrl(options.url, options);
    if (!endpoint) return Forward(endpoint.error());
    const bool migrate = options.migrate;
    auto state = std::make_shared<State>();
    state->pool = std::make_shared<detail::Pool>(std::move(*endpoint), std::move(options));
    std::unique_ptr<SqlDatabase> db(new SqlDatabase(std::move(state)));
    // One connection now: an unreachable server or a bad schema is a start-up error, not a 503 later.
    auto reached = migrate ? db->Migrate() : db->SchemaVersion();
    if (!reached) return Forward(reached.error());
    return db;
}

SqlDatabase::~SqlDatabase() = default;

Result<std::unique_ptr<ports::UnitOfWork>> SqlDatabase::Begin(ports::TxMode mode) {
    const auto& dialect = *state_->pool->endpoint().dialect;
    const std::string begin(
        mode == ports::TxMode::kRead          ? dialect.begin_read
        : mode == ports::TxMode::kPessimistic ? dialect.begin_pessimistic
                                              : dialect.begin_optimistic
    );
    detail::WriterGate::Turn turn;
    if (auto* gate = state_->pool->writer_gate(); gate != nullptr && mode != ports::TxMode::kRead) {
        const auto timeout = state_->pool->options().busy_timeout;
        auto entered = gate->Enter(timeout);
        if (!entered) {
            return MakeError(
                Errc::kConflict, "no turn to write within the busy timeout (" + std::to_string(timeout.count()) + " ms)"
            );
        }
        turn = std::move(*entered);
    }
    // Pooled connections may have died while idle (a server restart, wait_timeout): each dead one is
    // dropped and the next tried, until a new connection is opened; only then is the server down.
    const auto tries = state_->pool->options().pool_size + 1;
    for (std::size_t attempt = 0;; ++attempt) {
        auto session = state_->pool->Acquire();
        if (!session) return Forward(session.error());
        try {
            if (!begin.empty()) **session << begin;
            return detail::MakeUnitOfWork(state_->pool, std::move(*session), mode, std::move(turn));
        } catch (const soci::soci_error& e) {
            auto failure = detail::Translate(dialect, **session, e, "begin");
            state_->pool->Release(std::move(*session), !failure.discard_session);
            if (failure.discard_session && attempt + 1 < tries) continue;
            return tl::unexpected<Error>(std::move(failure.error));
        }
    }
}

Result<int> SqlDatabase::Migrate() {
    const auto& dialect = *state_->pool->endpoint().dialect;
    return WithSession<int>(*state_->pool, "migrate", [&](soci::session& sql) {
        return detail::RunMigrations(sql, dialect);
    });
}

Result<int> SqlDatabase::SchemaVersion() {
    const auto& dialect = *state_->pool->endpoint().dialect;
    return WithSession<int>(*state_->pool, "schema version", [&](soci::session& sql) {
        return detail::CurrentVersion(sql, dialect);
    });
}

int SqlDatabase::LatestSchemaVersion() const {
    int latest = 0;
    for (const auto& file : detail::Migrations(state_->pool->endpoint().dialect->kind)) {
        latest = std::max(latest, detail::VersionOf(file));
    }
    return latest;
}

std::string_view SqlDatabase::DialectName() const {
    return state_->pool->endpoint().dialect->name;
}

Result<void> CreateMysqlDatabase(const std::string& server_url, std::string_view name) {
    return CheckedName(name).and_then([&](const std::string& checked) {
        return RunAdmin(server_url, "CREATE DATABASE IF NOT EXISTS " + checked + " CHARACTER SET utf8mb4");
    });
}

Result<void> DropMysqlDatabase(const std::string& server_url, std::string_view name) {
    return CheckedName(name).and_then([&](const std::string& checked) {
        return RunAdmin(server_url, "DROP DATABASE IF EXISTS " + checked);
    });
}

std::string WithMysqlDatabase(const std::string& url, std::string_view name) {
    const auto at = url.rfind('@');
    const auto slash = url.find('/', at == std::string::npos ? 0 : at);
    if (at == std::string::npos || slash == std::string::npos)
        throw std::runtime_error("not a mysql URL: " + RedactUrl(url));
    auto query = url.find('?', slash);
    return url.substr(0, slash + 1) + std::string(name) + (query == std::string::npos ? "" : url.substr(query));
}

}  // namespace ticketing::sql
