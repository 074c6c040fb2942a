#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <ticketing/domain/time.hpp>
#include <ticketing/error.hpp>
#include <ticketing/ports/unit_of_work.hpp>

namespace ticketing::sql {

struct SqlOptions {
    /// "sqlite:///abs/path/file.db", "sqlite://relative.db" or "mysql://user:pass@host:port/db".
    std::string url;
    /// Connections kept open at most; a unit of work holds one for its whole life.
    std::size_t pool_size{8};
    /// SQLite: how long a writer waits for the database lock. MariaDB: the row lock wait
    /// (innodb_lock_wait_timeout, whole seconds, at least 1). Past it a unit of work fails with CONFLICT.
    Millis busy_timeout{5000};
    /// How long Begin waits for a free pooled connection before UNAVAILABLE.
    Millis pool_wait{30000};
    /// MariaDB: connect timeout of a new connection.
    Millis connect_timeout{5000};
    /// Apply pending migrations in Open.
    bool migrate{true};
};

/// The repositories over SOCI: SQLite for a single box, MySQL/MariaDB for many instances.
/// Each unit of work is one database transaction on one pooled connection. Thread-safe.
///
/// Every failure is a value: Open's for a malformed URL, an unreachable server or a failed migration,
/// then every unit of work's, by one rule on both dialects (README.md, "Error
/// translation"): a lock wait past busy_timeout is CONFLICT; a lost race (deadlock, stale snapshot,
/// duplicate key) is ABORTED, which the lock strategy retries; a value the schema refuses (CHECK,
/// NOT NULL, too long) is INVALID_ARGUMENT; a lost connection is UNAVAILABLE.
class SqlDatabase final : public ports::UnitOfWorkFactory {
public:
    /// Parses the URL, opens one connection and migrates (unless `migrate` is false), so a wrong
    /// setting fails at start-up, not as a 503 later: INVALID_ARGUMENT for a malformed URL,
    /// UNAVAILABLE for a server that cannot be reached or refuses the login, the migration's error
    /// otherwise. Messages carry the URL without its password.
    static Result<std::unique_ptr<SqlDatabase>> Open(SqlOptions options);
    ~SqlDatabase() override;
    SqlDatabase(const SqlDatabase&) = delete;
    SqlDatabase& operator=(const SqlDatabase&) = delete;

    Result<std::unique_ptr<ports::UnitOfWork>> Begin(ports::TxMode mode) override;

    /// Applies the migrations not yet recorded in `schema_version`, in order; safe to run from many
    /// processes at once. Returns the schema version reached.
    Result<int> Migrate();
    /// The version recorded in `schema_version` (0 on an empty database).
    Result<int> SchemaVersion();
    /// The newest migration compiled into the library for this database's dialect.
    int LatestSchemaVersion() const;

    /// "sqlite" or "mysql".
    std::string_view DialectName() const;

    struct State;

private:
    friend class SqlLeaseLock;  // shares the connection pool

    explicit SqlDatabase(std::shared_ptr<State> state);

    std::shared_ptr<State> state_;
};

/// MariaDB administration for tools and tests: runs `CREATE DATABASE IF NOT EXISTS name` (or
/// `DROP DATABASE IF EXISTS name`) over `server_url`'s credentials. INVALID_ARGUMENT for a URL that
/// is not mysql:// or a name outside [A-Za-z0-9_]{1,64}; UNAVAILABLE when the server cannot be reached.
Result<void> CreateMysqlDatabase(const std::string& server_url, std::string_view name);
Result<void> DropMysqlDatabase(const std::string& server_url, std::string_view name);

/// `url` with its database name replaced (mysql://user:pass@host:port/<name>).
std::string WithMysqlDatabase(const std::string& url, std::string_view name);

}  // namespace ticketing::sql
