#pragma once

#include <cstdint>
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
    /// An entry, if any, and the cache generation it was read in.
    struct Read {
        std::optional<std::string> value;
        std::uint64_t generation{0};
    };

    virtual ~CatalogCache() = default;
    virtual Result<Read> Get(std::string_view key) = 0;
    /// Stores `value` unless the cache was invalidated after `generation` was read: a database load
    /// that raced a catalog write is not kept.
    virtual Result<void> Put(std::string_view key, std::string_view value, Millis ttl, std::uint64_t generation) = 0;
    /// Makes every entry stale, for every process sharing the cache.
    virtual Result<void> InvalidateAll() = 0;
};

}  // namespace ticketing::ports
