#include <algorithm>
#include <charconv>
#include <ticketing/redis/redis_catalog_cache.hpp>

namespace ticketing::redis {
namespace {

// A new generation is max(current + 1, server time in µs): it never repeats, even if the generation
// key is lost (restart without persistence, failover, eviction), so old entries are never read again.
constexpr const char* kNextGeneration = R"lua(
local function next_generation()
    local t = redis.call('TIME')
    local gen = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') + 1, tonumber(t[1]) * 1000000 + tonumber(t[2]))
    gen = string.format('%.0f', gen)
    redis.call('SET', KEYS[1], gen)
    return gen
end
)lua";

// KEYS[1] the generation key; ARGV[1] the entry prefix, ARGV[2] the key -> {entry or false, generation}.
// The entry key is built in the script, in the generation key's hash slot.
const RedisScript& GetScript() {
    static const RedisScript script(std::string(kNextGeneration) + R"lua(
local gen = redis.call('GET', KEYS[1]) or next_generation()
return {redis.call('GET', ARGV[1] .. gen .. ':' .. ARGV[2]), gen}
)lua");
    return script;
}

// KEYS[1] the generation key.
const RedisScript& InvalidateScript() {
    static const RedisScript script(std::string(kNextGeneration) + "return next_generation()\n");
    return script;
}

}  // namespace

RedisCatalogCache::RedisCatalogCache(std::shared_ptr<RedisClient> client, RedisCatalogCacheOptions options)
    : client_(std::move(client)),
      generation_key_(options.key_prefix + "cc:{catalog}:gen"),
      entry_prefix_(options.key_prefix + "cc:{catalog}:") {}

Result<ports::CatalogCache::Read> RedisCatalogCache::Get(std::string_view key) {
    auto reply = client_->Eval(GetScript(), {generation_key_}, {entry_prefix_, std::string(key)});
    if (!reply) return Forward(reply.error());
    if (reply->type != RedisReply::Type::kArray || reply->elements.size() != 2) {
        return MakeError(Errc::kInternal, "redis catalog cache: malformed reply");
    }
    Read read;
    const auto& gen = reply->elements[1].str;
    if (auto [ptr, ec] = std::from_chars(gen.data(), gen.data() + gen.size(), read.generation); ec != std::errc{}) {
        return MakeError(Errc::kInternal, "redis catalog cache: bad generation '" + gen + "'");
    }
    if (reply->elements[0].type == RedisReply::Type::kString) read.value = std::move(reply->elements[0].str);
    return read;
}

Result<void> RedisCatalogCache::Put(
    std::string_view key, std::string_view value, Millis ttl, std::uint64_t generation
) {
    // Stored under the generation it was read in: after an invalidation nobody reads that one again.
    auto reply = client_->Command(
        {"SET",
         entry_prefix_ + std::to_string(generation) + ":" + std::string(key),
         std::string(value),
         "PX",
         std::to_string(std::max<std::int64_t>(ttl.count(), 1))}
    );
    if (!reply) return Forward(reply.error());
    return {};
}

Result<void> RedisCatalogCache::InvalidateAll() {
    auto reply = client_->Eval(InvalidateScript(), {generation_key_}, {});
    if (!reply) return Forward(reply.error());
    return {};
}

}  // namespace ticketing::redis
