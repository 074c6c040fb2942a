// Dialects, URLs, connections, the pool and error translation.
#include <soci/mysql/soci-mysql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <ticketing/redact.hpp>

#include "detail.hpp"

namespace ticketing::sql::detail {
namespace {

// SQLite result codes. Connections report extended codes; the low byte is the primary code.
constexpr int kSqliteBusy = 5;
constexpr int kSqliteLocked = 6;
constexpr int kSqliteReadonly = 8;
constexpr int kSqliteIoErr = 10;
constexpr int kSqliteCorrupt = 11;
constexpr int kSqliteFull = 13;
constexpr int kSqliteCantOpen = 14;
constexpr int kSqliteConstraint = 19;
constexpr int kSqliteConstraintPrimaryKey = 1555;
constexpr int kSqliteConstraintUnique = 2067;
constexpr int kSqliteNotADb = 26;

// MySQL / MariaDB server and client error numbers.
constexpr unsigned kMysqlDuplicateEntry = 1062;
constexpr unsigned kMysqlDuplicateEntryWithKey = 1586;
constexpr unsigned kMysqlLockWaitTimeout = 1205;
constexpr unsigned kMysqlDeadlock = 1213;
constexpr unsigned kMysqlCheckFailed = 4025;
constexpr unsigned kMysqlCheckFailedOracle = 3819;
constexpr unsigned kMysqlDataTooLong = 1406;
constexpr unsigned kMysqlColumnNotNull = 1048;
constexpr unsigned kMysqlTooManyConnections = 1040;
constexpr unsigned kMysqlServerShutdown = 1053;
constexpr unsigned kMysqlQueryInterrupted = 1317;
constexpr unsigned kMysqlConnectionKilled = 1927;
constexpr unsigned kMysqlReadOnly = 1290;  // --read-only, e.g. a demoted primary
constexpr unsigned kMysqlReadOnlyMode = 1836;
constexpr unsigned kMysqlBadString = 1366;  // e.g. invalid UTF-8
constexpr unsigned kMysqlOutOfRange = 1264;
constexpr unsigned kMysqlTruncatedValue = 1292;
constexpr unsigned kMysqlFirstClientError = 2000;  // 2000..2999 come from the client library
constexpr unsigned kMysqlLastClientError = 2999;

bool IsMysqlConnectionLoss(unsigned code) {
    return code == kMysqlServerShutdown || code == kMysqlQueryInterrupted || code == kMysqlConnectionKilled ||
           code == kMysqlTooManyConnections || code == kMysqlReadOnly || code == kMysqlReadOnlyMode ||
           (code >= 1158 && code <= 1161) ||  // network read/write errors
           (code >= kMysqlFirstClientError && code <= kMysqlLastClientError);
}

sqlite_api::sqlite3* SqliteHandle(soci::session& session) {
    return static_cast<soci::sqlite3_session_backend*>(session.get_backend())->conn_;
}

tl::unexpected<Error> BadUrl(std::string message) {
    return MakeError(Errc::kInvalidArgument, std::move(message));
}

Result<std::string> PercentDecode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            unsigned value = 0;
            auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
            if (ec != std::errc{} || end != text.data() + i + 3) return BadUrl("bad percent escape in URL");
            out.push_back(static_cast<char>(value));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

// SOCI's connect strings are "key=value" separated by spaces: keep values simple.
Result<std::string> CheckedValue(std::string value, std::string_view what) {
    if (std::any_of(value.begin(), value.end(), [](char c) {
            return std::isspace(static_cast<unsigned char>(c)) != 0 || c == '\'' || c == '"';
        })) {
        return BadUrl("the " + std::string(what) + " must not contain spaces or quotes");
    }
    return value;
}

// A %-decoded URL part that is also safe in a connect string.
Result<std::string> CheckedPart(std::string_view text, std::string_view what) {
    return PercentDecode(text).and_then([&](std::string value) { return CheckedValue(std::move(value), what); });
}

std::int64_t WholeSeconds(Millis ms) {
    return std::max<std::int64_t>(1, (ms.count() + 999) / 1000);
}

Result<Endpoint> ParseSqlite(std::string_view rest) {
    if (rest.empty()) return BadUrl("sqlite URL without a file path: use sqlite:///path/to/file.db");
    if (rest == ":memory:") {
        return BadUrl("sqlite in-memory databases are per connection: use a file (sqlite:///path/to/file.db)");
    }
    auto path = CheckedPart(rest, "sqlite path");
    if (!path) return Forward(path.error());
    Endpoint out;
    out.dialect = &SqliteDialect();
    out.database = std::move(*path);
    out.connect_string = "db=" + out.database;
    return out;
}

Result<Endpoint> ParseMysql(std::string_view rest, const SqlOptions& options) {
    const auto at = rest.rfind('@');
    if (at == std::string_view::npos) return BadUrl("mysql URL needs user@host: mysql://user:pass@host:port/db");
    const auto credentials = rest.substr(0, at);
    auto location = rest.substr(at + 1);
    const auto colon = credentials.find(':');
    const auto slash = location.find('/');
    if (slash == std::string_view::npos || slash + 1 == location.size()) {
        return BadUrl("mysql URL without a database name: mysql://user:pass@host:port/db");
    }
    auto database = location.substr(slash + 1);
    if (const auto query = database.find('?'); query != std::string_view::npos) database = database.substr(0, query);
    const auto host_port = location.substr(0, slash);
    const auto port_colon = host_port.rfind(':');
    const auto host = host_port.substr(0, port_colon);
    int port = 3306;
    if (port_colon != std::string_view::npos) {
        const auto text = host_port.substr(port_colon + 1);
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
        if (ec != std::errc{} || end != text.data() + text.size() || port <= 0 || port > 65535) {
            return BadUrl("bad port in mysql URL: '" + std::string(text) + "'");
        }
    }
    auto user = CheckedPart(credentials.substr(0, colon), "user");
    auto password = CheckedPart(colon == std::string_view::npos ? "" : credentials.substr(colon + 1), "password");
    auto checked_host = CheckedValue(std::string(host), "host");
    auto checked_database = CheckedValue(std::string(database), "database name");
    for (const auto* part : {&user, &password, &checked_host, &checked_database}) {
        if (!*part) return Forward(part->error());
    }
    if (user->empty() || host.empty()) return BadUrl("mysql URL needs a user and a host");

    Endpoint out;
    out.dialect = &MysqlDialect();
    out.database = std::move(*checked_database);
    out.connect_string = "db=" + out.database + " user=" + *user;
    if (!password->empty()) out.connect_string += " password=" + *password;
    out.connect_string += " host=" + *checked_host + " port=" + std::to_string(port);
    out.connect_string += " connect_timeout=" + std::to_string(WholeSeconds(options.connect_timeout));
    // Bounds a read from a server that stopped answering; lock waits end well before it.
    const auto io_timeout = std::max<std::int64_t>(30, 3 * WholeSeconds(options.busy_timeout));
    out.connect_string +=
        " read_timeout=" + std::to_string(io_timeout) + " write_timeout=" + std::to_string(io_timeout);
    return out;
}

}  // namespace

const Dialect& SqliteDialect() {
    static const Dialect kDialect{
        DialectKind::kSqlite,
        "sqlite",
        "BEGIN",
        "BEGIN",
        "BEGIN IMMEDIATE",
        "",
        "",
        "INSERT INTO inbox (consumer, event_id, recorded_at) VALUES (:consumer, :event, :at) ON CONFLICT DO NOTHING",
        "INSERT INTO schedule_sales (schedule_id, seats_sold, revenue, refunds, updated_at) VALUES (:schedule, "
        ":seats, :revenue, :refunds, :at) ON CONFLICT (schedule_id) DO UPDATE SET seats_sold = seats_sold + "
        "excluded.seats_sold, revenue = revenue + excluded.revenue, refunds = refunds + excluded.refunds, "
        "updated_at = excluded.updated_at",
        " ON CONFLICT (resource) DO UPDATE SET token = MAX(token, excluded.token)",
        "DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {where} LIMIT :n)",
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
        // The database write lock, held to COMMIT: DDL is transactional in SQLite.
        "BEGIN IMMEDIATE",
        "COMMIT",
    };
    return kDialect;
}

const Dialect& MysqlDialect() {
    static const Dialect kDialect{
        DialectKind::kMysql,
        "mysql",
        // Sessions run READ COMMITTED: every statement reads its own snapshot, in a transaction or
        // not. A read unit of work therefore runs its statements as they are (autocommit), without
        // the two round trips of START TRANSACTION READ ONLY and ROLLBACK.
        "",
        "START TRANSACTION",
        "START TRANSACTION",
        " FOR UPDATE",
        " FOR UPDATE SKIP LOCKED",
        "INSERT IGNORE INTO inbox (consumer, event_id, recorded_at) VALUES (:consumer, :event, :at)",
        "INSERT INTO schedule_sales (schedule_id, seats_sold, revenue, refunds, updated_at) VALUES (:schedule, "
        ":seats, :revenue, :refunds, :at) ON DUPLICATE KEY UPDATE seats_sold = seats_sold + VALUES(seats_sold), "
        "revenue = revenue + VALUES(revenue), refunds = refunds + VALUES(refunds), updated_at = VALUES(updated_at)",
        " ON DUPLICATE KEY UPDATE token = GREATEST(token, VALUES(token))",
        "DELETE FROM {table} WHERE {where} LIMIT :n",
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
        "AND table_name = 'schema_version'",
        // A named server lock per database: DDL commits implicitly, so no transaction can cover it.
        "SELECT GET_LOCK(CONCAT('ticketing.migrate.', DATABASE()), 60)",
        "SELECT RELEASE_LOCK(CONCAT('ticketing.migrate.', DATABASE()))",
    };
    return kDialect;
}

Result<Endpoint> ParseUrl(const std::string& url, const SqlOptions& options) {
    const auto sep = url.find("://");
    if (sep == std::string::npos) {
        return BadUrl(
            "bad database URL '" + RedactUrl(url) +
            "': expected sqlite:///path/file.db or mysql://user:pass@host:port/db"
        );
    }
    const std::string_view scheme(url.data(), sep);
    const std::string_view rest(url.data() + sep + 3, url.size() - sep - 3);
    Result<Endpoint> out = BadUrl("unsupported database URL scheme '" + std::string(scheme) + "': use sqlite or mysql");
    if (scheme == "sqlite" || scheme == "sqlite3") out = ParseSqlite(rest);
    if (scheme == "mysql" || scheme == "mariadb") out = ParseMysql(rest, options);
    if (out) out->display = RedactUrl(url);
    return out;
}

std::unique_ptr<soci::session> Connect(const Endpoint& endpoint, const SqlOptions& options) {
    if (endpoint.dialect->kind == DialectKind::kSqlite) {
        auto sql = std::make_unique<soci::session>(soci::sqlite3, endpoint.connect_string);
        // Extended codes tell a duplicate key (a lost race) from a CHECK violation (a refused value).
        sqlite_api::sqlite3_extended_result_codes(SqliteHandle(*sql), 1);
        *sql << "PRAGMA busy_timeout = " + std::to_string(options.busy_timeout.count());
        // WAL: readers never block the writer. Persistent in the file; the first connection sets it.
        try {
            std::string mode;
            *sql << "PRAGMA journal_mode = WAL", soci::into(mode);
        } catch (const soci::soci_error&) {
            // Another connection is switching it right now: it ends in WAL either way.
        }
        // Durable against process crashes; only a power loss may drop the last commits.
        *sql << "PRAGMA synchronous = NORMAL";
        return sql;
    }
    auto sql = std::make_unique<soci::session>(soci::mysql, endpoint.connect_string);
    *sql << "SET NAMES utf8mb4";
    *sql << "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'";
    // A short row lock wait: a stuck holder surfaces as CONFLICT instead of piling up requests.
    *sql << "SET SESSION innodb_lock_wait_timeout = " + std::to_string(WholeSeconds(options.busy_timeout));
    // No gap locks: versioned writes and unique keys carry the invariants, with fewer deadlocks.
    *sql << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
    return sql;
}

Failure Translate(const Dialect& dialect, soci::session& session, const soci::soci_error& e, std::string_view what) {
    const std::string message = std::string(what) + ": " + e.what();
    if (dialect.kind == DialectKind::kSqlite) {
        const auto* error = dynamic_cast<const soci::sqlite3_soci_error*>(&e);
        if (error == nullptr) return {{Errc::kInternal, message}, false};
        const int code = error->result();
        switch (code & 0xff) {
            case kSqliteBusy:
            case kSqliteLocked:
                // SQLite runs the busy handler (which waits up to busy_timeout) only when no read
                // transaction is open: waiting while holding a snapshot could deadlock, so it fails at
                // once and keeps the snapshot. A BUSY that left a transaction open is a lost race.
                if (sqlite_api::sqlite3_txn_state(SqliteHandle(session), nullptr) == SQLITE_TXN_NONE) {
                    return {{Errc::kConflict, message}, false};
                }
                return {{Errc::kAborted, message}, false};
            case kSqliteConstraint:
                if (code == kSqliteConstraintUnique || code == kSqliteConstraintPrimaryKey) {
                    return {{Errc::kAborted, message}, false};
                }
                return {{Errc::kInvalidArgument, message}, false};
            case kSqliteReadonly:
            case kSqliteIoErr:
            case kSqliteCorrupt:
            case kSqliteFull:
            case kSqliteCantOpen:
            case kSqliteNotADb:
                return {{Errc::kUnavailable, message}, true};
            default:
                return {{Errc::kInternal, message}, false};
        }
    }
    const auto* error = dynamic_cast<const soci::mysql_soci_error*>(&e);
    if (error == nullptr) {
        const bool lost = e.get_error_category() == soci::soci_error::connection_error;
        return {{lost ? Errc::kUnavailable : Errc::kInternal, message}, lost};
    }
    const unsigned code = error->err_num_;
    switch (code) {
        case kMysqlDuplicateEntry:
        case kMysqlDuplicateEntryWithKey:
        case kMysqlDeadlock:
            return {{Errc::kAborted, message}, false};
        case kMysqlLockWaitTimeout:
            return {{Errc::kConflict, message}, false};
        case kMysqlCheckFailed:
        case kMysqlCheckFailedOracle:
        case kMysqlColumnNotNull:
        case kMysqlDataTooLong:
        case kMysqlBadString:
        case kMysqlOutOfRange:
        case kMysqlTruncatedValue:
            return {{Errc::kInvalidArgument, message}, false};
        default:
            break;
    }
    if (IsMysqlConnectionLoss(code) || e.get_error_category() == soci::soci_error::connection_error) {
        return {{Errc::kUnavailable, message}, true};
    }
    return {{Errc::kInternal, message}, false};
}

std::optional<WriterGate::Turn> WriterGate::Enter(Millis timeout) {
    std::unique_lock lock(mutex_);
    const auto self = std::this_thread::get_id();
    if (busy_ && owner_ == self) return Turn{};
    if (!released_.wait_for(lock, timeout, [&] { return !busy_; })) {
        // A release this waiter was woken by, just as its time ran out, goes to the next one.
        if (!busy_) released_.notify_one();
        return std::nullopt;
    }
    busy_ = true;
    owner_ = self;
    return Turn(this);
}

void WriterGate::Leave() {
    {
        std::lock_guard lock(mutex_);
        busy_ = false;
        owner_ = {};
    }
    released_.notify_one();
}

Pool::Pool(Endpoint endpoint, SqlOptions options) : endpoint_(std::move(endpoint)), options_(std::move(options)) {
    if (options_.pool_size == 0) options_.pool_size = 1;
}

Pool::~Pool() = default;

Result<std::unique_ptr<soci::session>> Pool::Acquire() {
    std::unique_lock lock(mutex_);
    const bool got =
        released_.wait_for(lock, options_.pool_wait, [&] { return !idle_.empty() || open_ < options_.pool_size; });
    if (!got) {
        return MakeError(
            Errc::kUnavailable, "no free database connection within the pool wait (" + endpoint_.display + ")"
        );
    }
    if (!idle_.empty()) {
        auto session = std::move(idle_.back());
        idle_.pop_back();
        return session;
    }
    ++open_;
    lock.unlock();
    try {
        return Connect(endpoint_, options_);
    } catch (const std::exception& e) {
        lock.lock();
        --open_;
        lock.unlock();
        released_.notify_one();
        return MakeError(Errc::kUnavailable, "cannot connect to " + endpoint_.display + ": " + e.what());
    }
}

void Pool::Release(std::unique_ptr<soci::session> session, bool healthy) {
    {
        std::lock_guard lock(mutex_);
        if (healthy && session) {
            idle_.push_back(std::move(session));
        } else {
            --open_;
        }
    }
    released_.notify_one();
    // A discarded session closes here, outside the lock.
}

}  // namespace ticketing::sql::detail
