#pragma once

#include <memory>
#include <string>
#include <ticketing/ports/catalog_cache.hpp>
#include <ticketing/redis/redis_client.hpp>

namespace ticketing::redis {

struct RedisCatalogCacheOptions {
    /// Prepended to every key; must not contain '{' or '}'.
    std::string key_prefix;
};

/// The catalog cache on Redis. Entries live under a generation number, so one write of a new
/// generation invalidates every entry for every instance at once; old generations expire by their TTL.
/// Generations come from the server clock and only grow, even if the generation key is lost. An entry is stored
/// under the generation its load began in, so a load that raced a write is never read. All keys
/// share the hash tag `{catalog}` (one Redis Cluster slot), so a read is one script and one round trip:
///   P cc:{catalog}:gen          STRING  the current generation
///   P cc:{catalog}:<gen>:<key>  STRING  an entry, with PX ttl
/// Thread-safe.
class RedisCatalogCache final : public ports::CatalogCache {
public:
    explicit RedisCatalogCache(std::shared_ptr<RedisClient> client, RedisCatalogCacheOptions options = {});

    Result<Read> Get(std::string_view key) override;
    Result<void> Put(std::string_view key, std::string_view value, Millis ttl, std::uint64_t generation) override;
    Result<void> InvalidateAll() override;

private:
    std::shared_ptr<RedisClient> client_;
    std::string generation_key_;
    std::string entry_prefix_;
};

}  // namespace ticketing::redis
