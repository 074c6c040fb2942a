#include <algorithm>
#include <ticketing/redis/redis_catalog_cache.hpp>

namespace ticketing::redis {
namespace {

// KEYS[1] the generation key; ARGV[1] the entry prefix, ARGV[2] the key. The entry key is built in
// the script, in the generation key's hash slot.
const RedisScript& GetScript() {
    static const RedisScript script(R"lua(
local gen = redis.call('GET', KEYS[1]) or '0'
return redis.call('GET', ARGV[1] .. gen .. ':' .. ARGV[2])
)lua");
    return script;
}

// KEYS[1] the generation key; ARGV: entry prefix, key, value, ttl ms.
const RedisScript& PutScript() {
    static const RedisScript script(R"lua(
local gen = redis.call('GET', KEYS[1]) or '0'
redis.call('SET', ARGV[1] .. gen .. ':' .. ARGV[2], ARGV[3], 'PX', ARGV[4])
return 1
)lua");
    return script;
}

}  // namespace

RedisCatalogCache::RedisCatalogCache(std::shared_ptr<RedisClient> client, RedisCatalogCacheOptions options)
    : client_(std::move(client)),
      generation_key_(options.key_prefix + "cc:{catalog}:gen"),
      entry_prefix_(options.key_prefix + "cc:{catalog}:") {}

Result<std::optional<std::string>> RedisCatalogCache::Get(std::string_view key) {
    auto reply = client_->Eval(GetScript(), {generation_key_}, {entry_prefix_, std::string(key)});
    if (!reply) return Forward(reply.error());
    if (reply->IsNil()) return std::optional<std::string>{};
    return std::optional<std::string>{std::move(reply->str)};
}

Result<void> RedisCatalogCache::Put(std::string_view key, std::string_view value, Millis ttl) {
    auto reply = client_->Eval(
        PutScript(),
        {generation_key_},
        {entry_prefix_, std::string(key), std::string(value), std::to_string(std::max<std::int64_t>(ttl.count(), 1))}
    );
    if (!reply) return Forward(reply.error());
    return {};
}

Result<void> RedisCatalogCache::InvalidateAll() {
    auto reply = client_->Command({"INCR", generation_key_});
    if (!reply) return Forward(reply.error());
    return {};
}

}  // namespace ticketing::redis
