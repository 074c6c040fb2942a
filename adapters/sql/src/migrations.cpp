// Versioned schema migrations: adapters/sql/migrations/<dialect>/NNNN_name.sql, compiled in.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <stdexcept>

#include "detail.hpp"

namespace ticketing::sql::detail {
namespace {

std::string_view Trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

std::int64_t NowMillis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::vector<std::string> SplitStatements(std::string_view text) {
    std::vector<std::string> out;
    std::string current;
    while (!text.empty()) {
        const auto end = text.find('\n');
        const auto line = Trim(text.substr(0, end));
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        // Whole comment lines go: SOCI would read a ':' or a quote in them as SQL.
        if (line.empty() || line.starts_with("--")) continue;
        if (!current.empty()) current += '\n';
        current += line;
        if (line.ends_with(';')) {
            current.pop_back();
            out.push_back(std::move(current));
            current.clear();
        }
    }
    if (!Trim(current).empty()) out.push_back(std::move(current));
    return out;
}

int VersionOf(const MigrationFile& file) {
    int version = 0;
    auto [end, ec] = std::from_chars(file.name.data(), file.name.data() + file.name.size(), version);
    if (ec != std::errc{} || version <= 0) {
        throw std::logic_error("migration file name must start with its version: " + std::string(file.name));
    }
    return version;
}

int CurrentVersion(soci::session& sql, const Dialect& dialect) {
    int exists = 0;
    sql << std::string(dialect.schema_version_exists), soci::into(exists);
    if (exists == 0) return 0;
    int version = 0;
    sql << "SELECT COALESCE(MAX(version), 0) FROM schema_version", soci::into(version);
    return version;
}

int RunMigrations(soci::session& sql, const Dialect& dialect) {
    long long locked = 0;
    soci::indicator locked_ind = soci::i_ok;
    if (dialect.kind == DialectKind::kMysql) {
        sql << std::string(dialect.migration_lock), soci::into(locked, locked_ind);
        if (locked_ind != soci::i_ok || locked != 1) {
            throw soci::soci_error("another process holds the migration lock for too long");
        }
    } else {
        sql << std::string(dialect.migration_lock);
    }
    auto unlock = [&](bool ok) {
        if (dialect.kind == DialectKind::kMysql) {
            long long released = 0;
            soci::indicator released_ind = soci::i_ok;
            sql << std::string(dialect.migration_unlock), soci::into(released, released_ind);
        } else {
            sql << (ok ? std::string(dialect.migration_unlock) : std::string("ROLLBACK"));
        }
    };
    try {
        sql << "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, "
               "name VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL)";
        int current = CurrentVersion(sql, dialect);
        for (const auto& file : Migrations(dialect.kind)) {
            const int version = VersionOf(file);
            if (version <= current) continue;
            for (const auto& statement : SplitStatements(file.text)) sql << statement;
            const std::string name(file.name);
            const auto applied_at = NowMillis();
            sql << "INSERT INTO schema_version (version, name, applied_at) VALUES (:v, :n, :a)", soci::use(version),
                soci::use(name), soci::use(applied_at);
            current = version;
        }
        unlock(true);
        return current;
    } catch (...) {
        try {
            unlock(false);
        } catch (...) {
            // The original error matters more; a lost connection drops the lock anyway.
        }
        throw;
    }
}

}  // namespace ticketing::sql::detail
