#pragma once

// Reads that need not repeat; not installed.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <variant>

namespace ticketing::internal {

/// Rows by id as first found, for tables whose rows never change or go once inserted (concerts,
/// schedules): a row found once need not be read again. Past `capacity` rows it starts over.
/// Thread-safe.
template <class Row>
class KnownRows {
public:
    explicit KnownRows(std::size_t capacity = 1 << 20) : capacity_(capacity) {}

    std::optional<Row> Find(std::int64_t id) const {
        std::shared_lock lock(mutex_);
        const auto it = rows_.find(id);
        if (it == rows_.end()) return std::nullopt;
        return it->second;
    }

    void Add(std::int64_t id, Row row) {
        std::lock_guard lock(mutex_);
        if (rows_.size() >= capacity_) rows_.clear();
        rows_.insert_or_assign(id, std::move(row));
    }

private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::int64_t, Row> rows_;
    std::size_t capacity_;
};

/// Ids of rows seen to exist, for tables whose rows are never deleted (users): once found, a row need
/// not be looked up again to prove it exists.
class KnownIds {
public:
    bool Contains(std::int64_t id) const { return ids_.Find(id).has_value(); }
    void Add(std::int64_t id) { ids_.Add(id, {}); }

private:
    KnownRows<std::monostate> ids_;
};

}  // namespace ticketing::internal
