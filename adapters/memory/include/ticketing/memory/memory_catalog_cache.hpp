#pragma once

#include <map>
#include <mutex>
#include <string>
#include <ticketing/ports/catalog_cache.hpp>
#include <ticketing/ports/clock.hpp>

namespace ticketing::memory {

/// An in-process catalog cache with TTLs on the given clock. Thread-safe.
class MemoryCatalogCache final : public ports::CatalogCache {
public:
    explicit MemoryCatalogCache(const ports::Clock& clock) : clock_(clock) {}

    Result<std::optional<std::string>> Get(std::string_view key) override;
    Result<void> Put(std::string_view key, std::string_view value, Millis ttl) override;
    Result<void> InvalidateAll() override;

private:
    struct Entry {
        std::string value;
        Timestamp expires_at;
    };

    const ports::Clock& clock_;
    std::mutex mutex_;
    std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace ticketing::memory
