#pragma once

// Existence checks that need not repeat; not installed.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <unordered_set>

namespace ticketing::internal {

/// Ids of rows seen to exist, for tables whose rows are never deleted (users, concerts): once found, a
/// row need not be looked up again to prove it exists. Past `capacity` ids it starts over. Thread-safe.
class KnownIds {
public:
    explicit KnownIds(std::size_t capacity = 1 << 20) : capacity_(capacity) {}

    bool Contains(std::int64_t id) const {
        std::shared_lock lock(mutex_);
        return ids_.contains(id);
    }

    void Add(std::int64_t id) {
        std::lock_guard lock(mutex_);
        if (ids_.size() >= capacity_) ids_.clear();
        ids_.insert(id);
    }

private:
    mutable std::shared_mutex mutex_;
    std::unordered_set<std::int64_t> ids_;
    std::size_t capacity_;
};

}  // namespace ticketing::internal
