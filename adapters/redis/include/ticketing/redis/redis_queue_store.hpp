#pragma once

#include <memory>
#include <string>
#include <ticketing/ports/queue_store.hpp>
#include <ticketing/redis/redis_client.hpp>

namespace ticketing::redis {

struct RedisQueueStoreOptions {
    /// Prepended to every key (e.g. "app1:"), so several deployments or tests share one server.
    /// Must not contain '{' or '}': the keys' hash tags follow it.
    std::string key_prefix;
};

/// The waiting queues on Redis. Each concert's keys share the hash tag `{<concert id>}` (one Redis
/// Cluster slot), and every operation is one Lua script over them, so it is atomic across instances.
/// A status lookup costs O(log n) (ZRANK). Times are the caller's, never Redis server time.
///
/// Keys, with P the prefix and C the concert id:
///   P tq:{C}:meta     HASH   seq (join counter), next (next tick, ms), admitted, settings if stored
///   P tq:{C}:waiting  ZSET   token -> join sequence number (strict FIFO across instances)
///   P tq:{C}:seen     ZSET   WAITING token -> last poll (ms), for DropIdle
///   P tq:{C}:active   ZSET   token -> active until (ms)
///   P tq:{C}:revoked  ZSET   token -> kept until (ms)
///   P tq:{C}:tokens   HASH   token -> user id
///   P tq:{C}:users    HASH   user id -> current token
///   P tq:concerts     SET    concert ids with a queue
///
/// ACTIVE and revoked tokens past their time are invisible at once and removed by the next Tick.
/// Thread-safe.
class RedisQueueStore final : public ports::QueueStore {
public:
    explicit RedisQueueStore(std::shared_ptr<RedisClient> client, RedisQueueStoreOptions options = {});
    ~RedisQueueStore() override;

    Result<JoinOutcome> Join(
        ConcertId concert, UserId user, const std::string& candidate_token, Timestamp now, const QueueSettings& defaults
    ) override;
    std::vector<Result<JoinOutcome>> JoinMany(
        std::span<const JoinCall> calls, Timestamp now, const QueueSettings& defaults
    ) override;
    Result<std::optional<TokenView>> Lookup(std::string_view token, Timestamp now, const QueueSettings& defaults)
        override;
    /// One pipeline of lookup scripts for all the tokens.
    std::vector<Result<std::optional<TokenView>>> LookupMany(
        std::span<const std::string_view> tokens, Timestamp now, const QueueSettings& defaults
    ) override;
    Result<void> Leave(std::string_view token) override;
    Result<void> Revoke(std::string_view token, Timestamp keep_until) override;
    Result<TickOutcome> Tick(ConcertId concert, Timestamp now, Millis active_ttl, const QueueSettings& defaults)
        override;
    Result<std::int64_t> DropIdle(ConcertId concert, Timestamp idle_before) override;
    Result<QueueStats> Stats(ConcertId concert, Timestamp now, const QueueSettings& defaults) override;
    Result<QueueSettings> UpdateSettings(
        ConcertId concert, const QueueSettingsPatch& patch, Timestamp now, const QueueSettings& defaults
    ) override;
    Result<std::vector<ConcertId>> Concerts() override;

private:
    std::vector<std::string> Keys(ConcertId concert) const;
    std::string ConcertList() const { return options_.key_prefix + "tq:concerts"; }

    std::shared_ptr<RedisClient> client_;
    RedisQueueStoreOptions options_;
};

}  // namespace ticketing::redis
