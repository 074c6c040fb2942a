#pragma once

// Internals of ticketing::sql shared by its .cpp files. The only header that includes SOCI.

#include <soci/soci.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <ticketing/error.hpp>
#include <ticketing/sql/sql_database.hpp>
#include <vector>

namespace ticketing::sql::detail {

enum class DialectKind : std::uint8_t { kSqlite, kMysql };

/// Everything that differs between SQLite and MySQL/MariaDB. The rest of the adapter is one code path.
struct Dialect {
    DialectKind kind;
    std::string_view name;  ///< "sqlite" / "mysql": the migrations directory too
    /// Empty: a read unit of work runs in autocommit, and its first statement finds a dead connection.
    std::string_view begin_read;
    std::string_view begin_optimistic;
    /// SQLite has no row locks: a pessimistic unit of work takes the database write lock up front.
    std::string_view begin_pessimistic;
    /// Appended to the `*ForUpdate` reads of a pessimistic unit of work ("" on SQLite, see above).
    std::string_view for_update;
    /// Appended to the relay's claim: rows another claim is locking are skipped, not waited for.
    std::string_view for_update_skip_locked;
    /// Records an inbox row unless it is there: 1 affected row when new, 0 when a duplicate. MySQL's
    /// INSERT IGNORE would also truncate a too-long value: RecordInbox refuses those first.
    std::string_view inbox_insert;
    /// Adds :seats, :revenue, :refunds to :schedule's sales row (created from zero) and stamps :at.
    std::string_view sales_upsert;
    /// Appended to `INSERT INTO lock_fence (resource, token) VALUES ...`: keeps max(stored, new) per
    /// resource. The statement then returns what is stored (RETURNING: SQLite 3.35, MariaDB 10.5).
    std::string_view fence_upsert;
    /// Retention deletes at most :n rows matching {where} of {table}. MariaDB has DELETE ... LIMIT;
    /// SQLite only in builds with SQLITE_ENABLE_UPDATE_DELETE_LIMIT, so it picks the rowids first.
    std::string_view bounded_delete;
    /// One row, 1 when the schema_version table exists.
    std::string_view schema_version_exists;
    /// Serializes migrations across processes: taken before reading schema_version.
    std::string_view migration_lock;
    std::string_view migration_unlock;
};

const Dialect& SqliteDialect();
const Dialect& MysqlDialect();

/// A parsed SqlOptions::url.
struct Endpoint {
    const Dialect* dialect{nullptr};
    std::string connect_string;  ///< SOCI's "key=value ..." form
    std::string database;        ///< the MySQL database, or the SQLite file path
    std::string display;         ///< the URL with its password redacted (RedactUrl), for messages
};

/// INVALID_ARGUMENT, with the reason, when the URL is malformed.
Result<Endpoint> ParseUrl(const std::string& url, const SqlOptions& options);

/// Opens a session and applies the per-connection settings (busy timeout, lock wait, isolation).
/// Throws soci::soci_error.
std::unique_ptr<soci::session> Connect(const Endpoint& endpoint, const SqlOptions& options);

/// A SOCI exception as a port error, and whether the connection is dead and must not be reused.
struct Failure {
    Error error;
    bool discard_session{false};
};

/// The one rule (adapters/sql/README.md, "Error translation"), the same on both dialects:
/// - a lock wait past its bound (busy_timeout / innodb_lock_wait_timeout) is CONFLICT;
/// - a lost race (deadlock victim, stale SQLite snapshot, duplicate key) is ABORTED: the lock
///   strategy reruns the unit of work;
/// - a value the schema refuses (CHECK, NOT NULL, too long, out of range, bad UTF-8) is
///   INVALID_ARGUMENT: the same value would be refused again;
/// - a lost connection or an unusable database is UNAVAILABLE, and the session is discarded.
/// `session` is the one `e` came from (SQLite: whether the failed statement waited).
Failure Translate(const Dialect& dialect, soci::session& session, const soci::soci_error& e, std::string_view what);

/// SQLite lets one transaction write at a time. The writers of one process take turns here (one
/// waiter woken per release) rather than in SQLite's busy handler, which sleeps 1-100 ms between its
/// tries: there a writer could lose every try to another for the whole busy timeout while the lock
/// sat idle during its sleeps. Writers of other processes still meet the busy handler.
class WriterGate {
    struct Leave {
        void operator()(WriterGate* gate) const { gate->Leave(); }
    };

public:
    /// The turn, released when destroyed; empty for a thread that already had it.
    using Turn = std::unique_ptr<WriterGate, Leave>;

    /// Waits up to `timeout` for the turn: nullopt past it. A thread that has the turn already passes
    /// with an empty one, and its second unit of work meets SQLite's own lock, as across processes.
    std::optional<Turn> Enter(Millis timeout);

private:
    void Leave();

    std::mutex mutex_;
    std::condition_variable released_;
    bool busy_{false};
    std::thread::id owner_;
};

/// A bounded pool of sessions. A session is used by one unit of work (one thread) at a time; a dead
/// one is dropped and a fresh connection made on the next Acquire.
class Pool {
public:
    Pool(Endpoint endpoint, SqlOptions options);
    ~Pool();

    Result<std::unique_ptr<soci::session>> Acquire();
    /// Returns `session` for reuse, or closes it when `healthy` is false.
    void Release(std::unique_ptr<soci::session> session, bool healthy);

    const Endpoint& endpoint() const { return endpoint_; }
    const SqlOptions& options() const { return options_; }
    /// SQLite's writers take turns here; MySQL's lock rows, not the database, and pass by.
    WriterGate* writer_gate() { return endpoint_.dialect->kind == DialectKind::kSqlite ? &writer_gate_ : nullptr; }

private:
    Endpoint endpoint_;
    SqlOptions options_;
    WriterGate writer_gate_;
    std::mutex mutex_;
    std::condition_variable released_;
    std::vector<std::unique_ptr<soci::session>> idle_;
    std::size_t open_{0};
};

struct MigrationFile {
    std::string_view name;  ///< "0001_init": the leading number is the version
    std::string_view text;
};

/// The migrations compiled in from adapters/sql/migrations/<dialect>/*.sql, in file name order.
std::span<const MigrationFile> Migrations(DialectKind kind);

/// The SQL statements of a migration file: split at ';' ending a line, comment lines dropped.
std::vector<std::string> SplitStatements(std::string_view text);

int VersionOf(const MigrationFile& file);

/// Applies pending migrations on `sql`; returns the version reached. Throws soci::soci_error.
int RunMigrations(soci::session& sql, const Dialect& dialect);

/// The version recorded in schema_version, 0 when the table is missing or empty.
int CurrentVersion(soci::session& sql, const Dialect& dialect);

std::unique_ptr<ports::UnitOfWork> MakeUnitOfWork(
    std::shared_ptr<Pool> pool, std::unique_ptr<soci::session> session, ports::TxMode mode, WriterGate::Turn turn
);

}  // namespace ticketing::sql::detail

namespace ticketing::sql {

struct SqlDatabase::State {
    std::shared_ptr<detail::Pool> pool;
};

}  // namespace ticketing::sql
