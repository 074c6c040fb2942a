#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <ticketing/domain/time.hpp>
#include <ticketing/error.hpp>

namespace ticketing::ports {

/// A cache of catalog reads (concerts, schedules), shared by every process that uses the same
/// backend. Catalog rows change only when an operator writes, and each write invalidates the whole
/// cache; seat availability is never cached. Errors are not fatal: callers read the database instead.
/// Thread-safe.
class CatalogCache {
public:
    virtual ~CatalogCache() = default;
    virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
    virtual Result<void> Put(std::string_view key, std::string_view value, Millis ttl) = 0;
    /// Makes every entry stale, for every process sharing the cache.
    virtual Result<void> InvalidateAll() = 0;
};

}  // namespace ticketing::ports
