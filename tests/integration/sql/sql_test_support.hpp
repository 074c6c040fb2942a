#pragma once

// Helpers of the SQL integration tests: throwaway databases and raw SOCI sessions for checks the
// ports do not offer (EXPLAIN, KILL, whole-table invariants).

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <ticketing/memory/memory_lock.hpp>
#include <ticketing/memory/memory_queue_store.hpp>
#include <ticketing/sql/sql_database.hpp>

#include "backend.hpp"
#include "detail.hpp"
#include "expect.hpp"
#include "services.hpp"

namespace ticketing::testing {

inline std::string UniqueName(const std::string& prefix) {
    static std::atomic<int> counter{0};
    static const auto salt = std::random_device{}() % 100000;
    return prefix + std::to_string(::getpid()) + "_" + std::to_string(salt) + "_" + std::to_string(++counter);
}

/// A SQLite file in the temp directory, removed with its WAL files.
class TempSqlite {
public:
    TempSqlite() : path_(std::filesystem::temp_directory_path() / (UniqueName("tk-it-") + ".db")) {}
    ~TempSqlite() {
        std::error_code ignored;
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix, ignored);
    }
    TempSqlite(const TempSqlite&) = delete;
    TempSqlite& operator=(const TempSqlite&) = delete;
    std::string Url() const { return "sqlite://" + path_.string(); }

private:
    std::filesystem::path path_;
};

/// A fresh database on the TICKETING_TEST_MYSQL server, dropped at the end.
class TempMysql {
public:
    TempMysql() : server_(ServiceUrl("TICKETING_TEST_MYSQL")), name_(UniqueName("it_")) {
        OrThrow(sql::CreateMysqlDatabase(server_, name_));
    }
    // Leftover test databases are harmless.
    ~TempMysql() { (void)sql::DropMysqlDatabase(server_, name_); }
    TempMysql(const TempMysql&) = delete;
    TempMysql& operator=(const TempMysql&) = delete;
    std::string Url() const { return sql::WithMysqlDatabase(server_, name_); }
    const std::string& Name() const { return name_; }

private:
    std::string server_;
    std::string name_;
};

/// A raw SOCI session on `url`, outside the adapter's pool.
inline std::unique_ptr<soci::session> RawSession(const std::string& url) {
    sql::SqlOptions options;
    options.url = url;
    return sql::detail::Connect(OrThrow(sql::detail::ParseUrl(url, options)), options);
}

/// A Backend over an existing SQL database at `url` (queue and lock in process memory).
inline BackendFactory SqlBackend(std::string url, std::size_t pool_size = 8) {
    class Adapters final : public Backend {
    public:
        Adapters(const ports::Clock& clock, ports::Random& random, const std::string& url, std::size_t pool)
            : db_(OrThrow(sql::SqlDatabase::Open({.url = url, .pool_size = pool}))), lock_(clock, random) {}
        ports::UnitOfWorkFactory& Db() override { return *db_; }
        ports::QueueStore& Queue() override { return queue_; }
        ports::DistributedLock& Lock() override { return lock_; }

    private:
        std::unique_ptr<sql::SqlDatabase> db_;
        memory::MemoryQueueStore queue_;
        memory::MemoryLock lock_;
    };
    return [url = std::move(url), pool_size](const ports::Clock& clock, ports::Random& random) {
        return std::unique_ptr<Backend>(std::make_unique<Adapters>(clock, random, url, pool_size));
    };
}

inline long long Scalar(soci::session& sql, const std::string& query) {
    long long value = 0;
    soci::indicator ind = soci::i_ok;
    sql << query, soci::into(value, ind);
    return ind == soci::i_ok ? value : 0;
}

}  // namespace ticketing::testing
