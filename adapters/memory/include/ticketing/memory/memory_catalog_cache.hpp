#pragma once

#include <map>
#include <mutex>
#include <string>
#include <ticketing/ports/catalog_cache.hpp>
#include <ticketing/ports/clock.hpp>

namespace ticketing::memory {

/// An in-process catalog cache with TTLs on the given clock. Expired entries are swept as new ones
/// come, and at most `max_entries` are kept (past that the cache starts over). Thread-safe.
class MemoryCatalogCache final : public ports::CatalogCache {
public:
    explicit MemoryCatalogCache(const ports::Clock& clock, std::size_t max_entries = 100'000)
        : clock_(clock), max_entries_(max_entries) {}

    Result<Read> Get(std::string_view key) override;
    Result<void> Put(std::string_view key, std::string_view value, Millis ttl, std::uint64_t generation) override;
    Result<void> InvalidateAll() override;

private:
    struct Entry {
        std::string value;
        Timestamp expires_at;
    };

    const ports::Clock& clock_;
    const std::size_t max_entries_;
    std::mutex mutex_;
    std::uint64_t generation_{0};
    std::size_t puts_since_sweep_{0};
    std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace ticketing::memory
