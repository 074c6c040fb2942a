#pragma once

// The SQL plumbing every repository file uses: SOCI statements with bound parameters, row buffers,
// and the versioned write. Times are stored as BIGINT milliseconds since the epoch.

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail.hpp"

namespace ticketing::sql::detail {

inline std::int64_t ToMs(Timestamp t) {
    return t.time_since_epoch().count();
}
inline Timestamp FromMs(std::int64_t ms) {
    return Timestamp{Millis{ms}};
}

// soci::use keeps references to its arguments (and to a default name string): build the use
// elements inside the one expression that consumes them.
template <class... Params>
soci::details::prepare_temp_type Prepare(soci::session& sql, const std::string& query, const Params&... params) {
    soci::details::prepare_temp_type prep = (sql.prepare << query);
    (void)(prep, ..., soci::use(params));
    return prep;
}

// Runs a write; returns the affected row count.
template <class... Params>
long long Exec(soci::session& sql, const std::string& query, const Params&... params) {
    soci::statement st(Prepare(sql, query, params...));
    st.execute(true);
    return st.get_affected_rows();
}

// Runs a query, converting each fetched row with Row::ToEntity.
template <class Row, class... Params>
auto Select(soci::session& sql, const std::string& query, const Params&... params) {
    Row row;
    auto prep = Prepare(sql, query, params...);
    row.Bind(prep);
    soci::statement st(prep);
    st.execute();
    std::vector<decltype(row.ToEntity())> out;
    while (st.fetch()) out.push_back(row.ToEntity());
    return out;
}

template <class Row, class... Params>
auto SelectOne(soci::session& sql, const std::string& query, const Params&... params) {
    auto rows = Select<Row>(sql, query, params...);
    using Entity = typename decltype(rows)::value_type;
    return rows.empty() ? std::optional<Entity>{} : std::optional<Entity>{std::move(rows.front())};
}

// "(1, 2, 3)": ids written into the SQL text (integers only, so nothing to escape), for set-based
// statements over a number of rows known only at run time.
template <class Ids>
std::string IdList(const Ids& ids) {
    std::string out = "(";
    for (const auto& id : ids) {
        if (out.size() > 1) out += ", ";
        out += std::to_string(id);
    }
    return out + ")";
}

// "CASE id WHEN 1 THEN a WHEN 2 THEN b END": each row's new value of a column (an integer, or a
// placeholder), so one UPDATE writes many rows.
template <class Rows, class ValueOf>
std::string CaseById(const Rows& rows, ValueOf value_of) {
    std::string out = "CASE id";
    for (const auto& row : rows) out += " WHEN " + std::to_string(row.id.value) + " THEN " + value_of(row);
    return out + " END";
}

// "id IN (1, 2) AND version = CASE id WHEN 1 THEN 3 ... END": each row matches only at the version
// read. (A CASE, not a chain of ORs: SQLite parses an OR chain as a tree 1,000 deep at most.)
template <class Rows>
std::string AtVersionsRead(const Rows& rows) {
    std::vector<std::int64_t> ids;
    for (const auto& row : rows) ids.push_back(row.id.value);
    return "id IN " + IdList(ids) +
           " AND version = " + CaseById(rows, [](const auto& row) { return std::to_string(row.version); });
}

// Runs an INSERT of `rows` rows with `RETURNING id` (its `into` bound to `id`): the ids in insert
// order (they grow in insert order on both databases; RETURNING's own row order is not promised).
inline std::vector<std::int64_t> InsertedIds(soci::statement& st, const std::int64_t& id, std::size_t rows) {
    st.execute();
    std::vector<std::int64_t> ids;
    while (st.fetch()) ids.push_back(id);
    if (ids.size() != rows) throw std::logic_error("the insert returned another number of ids");
    std::sort(ids.begin(), ids.end());
    return ids;
}

// Row buffers: SOCI fetches into plain variables, then the entity is built from them.
struct IdRow {
    static constexpr std::string_view kColumns = "id";
    std::int64_t id{0};
    void Bind(soci::details::prepare_temp_type& p) { p, soci::into(id); }
    std::int64_t ToEntity() const { return id; }
};

// "SELECT <Row's columns> FROM <table> <rest>"
template <class Row>
std::string SelectFrom(std::string_view table, std::string_view rest) {
    std::string out = "SELECT ";
    out += Row::kColumns;
    out += " FROM ";
    out += table;
    out += ' ';
    out += rest;
    return out;
}

// The rows of `table` whose ids are among `ids`, each once, by id; `lock` ends the query (ForUpdate()
// or ""). One statement: InnoDB walks the primary key in id order and locks as it goes, so two lockers
// of overlapping sets take their common rows in the same order and cannot deadlock.
template <class Row, class Id>
auto SelectByIds(soci::session& sql, std::string_view table, std::span<const Id> ids, const std::string& lock) {
    std::vector<std::int64_t> sorted;
    sorted.reserve(ids.size());
    for (auto id : ids) sorted.push_back(id.value);
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    if (sorted.empty()) return std::vector<decltype(Row{}.ToEntity())>{};
    return Select<Row>(sql, SelectFrom<Row>(table, "WHERE id IN " + IdList(sorted) + " ORDER BY id") + lock);
}

// A retention delete: at most `limit` rows of `table` matching `where` (whose parameters come first).
// Returns how many went.
template <class... Params>
std::int64_t DeleteBounded(
    soci::session& sql,
    const Dialect& dialect,
    std::string_view table,
    std::string_view where,
    std::int64_t limit,
    const Params&... params
) {
    std::string query(dialect.bounded_delete);
    for (const auto& [name, value] :
         {std::pair{std::string_view{"{table}"}, table}, std::pair{std::string_view{"{where}"}, where}}) {
        for (auto at = query.find(name); at != std::string::npos; at = query.find(name, at + value.size())) {
            query.replace(at, name.size(), value);
        }
    }
    return static_cast<std::int64_t>(Exec(sql, query, params..., limit));
}

// The versioned write every Update* is: the row changes only if it still has `version`, and its
// version grows by one; otherwise ABORTED (a lost race the lock strategy retries).
template <class... Values>
Result<void> UpdateVersioned(
    soci::session& sql,
    std::string_view table,
    std::string_view assignments,
    std::int64_t id,
    Version version,
    const Values&... values
) {
    const auto affected = Exec(
        sql,
        "UPDATE " + std::string(table) + " SET " + std::string(assignments) +
            ", version = version + 1 WHERE id = :id AND version = :version",
        values...,
        id,
        version
    );
    if (affected == 1) return {};
    return MakeError(Errc::kAborted, std::string(table) + " " + std::to_string(id) + " changed since it was read");
}

}  // namespace ticketing::sql::detail
