// The contract suites against the SQL database: SQLite (a fresh temp file per test) and MariaDB (a
// fresh database per test on the server of TICKETING_TEST_MYSQL, dropped afterwards). The queue and
// lock are the memory adapters: this executable tests the database.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <ticketing/memory/memory_lock.hpp>
#include <ticketing/memory/memory_queue_store.hpp>
#include <ticketing/sql/sql_database.hpp>
#include <ticketing/sql/sql_lease_lock.hpp>

#include "contract.hpp"
#include "expect.hpp"
#include "services.hpp"

namespace ticketing::testing {
namespace {

std::string UniqueSuffix() {
    static std::atomic<int> counter{0};
    static const auto salt = std::random_device{}();
    return std::to_string(::getpid()) + "_" + std::to_string(salt % 100000) + "_" + std::to_string(++counter);
}

// Which lock a SQL backend offers: the in-process one (the database is what is under test), or
// SqlLeaseLock over the database (its DistributedLock contract).
enum class LockKind : std::uint8_t { kMemory, kSqlLease };

// The parts every SQL backend shares: the database under test plus in-process queue and a lock.
class SqlAdapters : public Backend {
public:
    SqlAdapters(const ports::Clock& clock, ports::Random& random, LockKind lock)
        : clock_(clock), random_(random), kind_(lock), lock_(clock, random) {}
    ports::UnitOfWorkFactory& Db() override { return *db_; }
    ports::QueueStore& Queue() override { return queue_; }
    ports::DistributedLock& Lock() override {
        if (sql_lock_) return *sql_lock_;
        return lock_;
    }

protected:
    void Open(const sql::SqlOptions& options) {
        db_ = OrThrow(sql::SqlDatabase::Open(options));
        if (kind_ == LockKind::kSqlLease) sql_lock_ = std::make_unique<sql::SqlLeaseLock>(*db_, clock_, random_);
    }
    // Before the database goes: nothing may hold a connection then.
    void Close() {
        sql_lock_.reset();
        db_.reset();
    }

private:
    const ports::Clock& clock_;
    ports::Random& random_;
    LockKind kind_;
    std::unique_ptr<sql::SqlDatabase> db_;
    memory::MemoryQueueStore queue_;
    memory::MemoryLock lock_;
    std::unique_ptr<sql::SqlLeaseLock> sql_lock_;
};

class SqliteAdapters final : public SqlAdapters {
public:
    SqliteAdapters(const ports::Clock& clock, ports::Random& random, LockKind lock)
        : SqlAdapters(clock, random, lock),
          path_(std::filesystem::temp_directory_path() / ("tk-contract-" + UniqueSuffix() + ".db")) {
        sql::SqlOptions options;
        options.url = "sqlite://" + path_.string();
        options.pool_size = 8;
        options.busy_timeout = Millis{5000};
        Open(options);
    }
    ~SqliteAdapters() override {
        Close();
        std::error_code ignored;
        for (const char* suffix : {"", "-wal", "-shm"}) {
            std::filesystem::remove(path_.string() + suffix, ignored);
        }
    }

private:
    std::filesystem::path path_;
};

class MariadbAdapters final : public SqlAdapters {
public:
    MariadbAdapters(const ports::Clock& clock, ports::Random& random, std::string server_url, LockKind lock)
        : SqlAdapters(clock, random, lock), server_url_(std::move(server_url)), database_("t_" + UniqueSuffix()) {
        OrThrow(sql::CreateMysqlDatabase(server_url_, database_));
        sql::SqlOptions options;
        options.url = sql::WithMysqlDatabase(server_url_, database_);
        options.pool_size = 16;
        options.busy_timeout = Millis{5000};
        Open(options);
    }
    ~MariadbAdapters() override {
        Close();
        // Best effort: a leftover t_* database is harmless test debris.
        (void)sql::DropMysqlDatabase(server_url_, database_);
    }

private:
    std::string server_url_;
    std::string database_;
};

BackendFactory SqliteBackend(LockKind lock = LockKind::kMemory) {
    return [lock](const ports::Clock& clock, ports::Random& random) -> std::unique_ptr<Backend> {
        return std::make_unique<SqliteAdapters>(clock, random, lock);
    };
}

// Records the skip (or, under CI, the failure) when no server is configured; the test body then
// does not run.
void RequireMysql() {
    TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
}

BackendFactory MariadbBackend(LockKind lock = LockKind::kMemory) {
    return [lock](const ports::Clock& clock, ports::Random& random) -> std::unique_ptr<Backend> {
        const auto url = ServiceUrl("TICKETING_TEST_MYSQL");
        if (url.empty()) {
            RequireMysql();
            return MemoryBackend()(clock, random);  // a stand-in the skipped test never uses
        }
        return std::make_unique<MariadbAdapters>(clock, random, url, lock);
    };
}

const BackendParam kSqlite{"sqlite", SqliteBackend(), LockStrategyKind::kOptimistic};
const BackendParam kMariadb{"mariadb", MariadbBackend(), LockStrategyKind::kOptimistic};

// The queue store here is the memory one: its contract runs in ticketing_contract_memory.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(QueueStoreContract);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CatalogCacheContract);

INSTANTIATE_TEST_SUITE_P(
    Sql,
    DistributedLockContract,
    ::testing::Values(
        BackendParam{"sqlite_lease", SqliteBackend(LockKind::kSqlLease)},
        BackendParam{"mariadb_lease", MariadbBackend(LockKind::kSqlLease)}
    ),
    BackendName{}
);

INSTANTIATE_TEST_SUITE_P(Sql, UnitOfWorkContract, ::testing::Values(kSqlite, kMariadb), BackendName{});

std::vector<BackendParam> Scenarios() {
    auto out = UnderEveryStrategy("sqlite", SqliteBackend());
    auto mariadb = UnderEveryStrategy("mariadb", MariadbBackend());
    out.insert(out.end(), mariadb.begin(), mariadb.end());
    return out;
}

INSTANTIATE_TEST_SUITE_P(Sql, ConcurrencyScenarios, ::testing::ValuesIn(Scenarios()), BackendName{});

}  // namespace
}  // namespace ticketing::testing
