#include "scripts.hpp"

#include <string>

namespace ticketing::redis::scripts {
namespace {

// Shared by every queue script. Times and numbers come in as ARGV strings (the caller's clock);
// ZSET scores hold milliseconds and join sequence numbers, exact in a double below 2^53.
constexpr const char* kQueuePrelude = R"lua(
local meta, waiting, seen, active, revoked, tokens, users =
    KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]

-- Removes a token from wherever it is; the user's mapping only if it still names this token.
local function remove(token)
    local user = redis.call('HGET', tokens, token)
    if not user then return end
    redis.call('ZREM', waiting, token)
    redis.call('ZREM', seen, token)
    redis.call('ZREM', active, token)
    redis.call('ZREM', revoked, token)
    redis.call('HDEL', tokens, token)
    if redis.call('HGET', users, user) == token then redis.call('HDEL', users, user) end
end

-- {status, user, position, active_until}: status 0 WAITING, 1 ACTIVE, 2 REVOKED; nil when unknown
-- or run out at `now` (what has run out is removed by the next tick). O(log n).
local function view(token, now)
    local user = redis.call('HGET', tokens, token)
    if not user then return nil end
    local rank = redis.call('ZRANK', waiting, token)
    if rank then return {0, user, rank + 1, 0} end
    local until_ms = redis.call('ZSCORE', active, token)
    if until_ms then
        if tonumber(until_ms) <= now then return nil end
        return {1, user, 0, until_ms}
    end
    local keep = redis.call('ZSCORE', revoked, token)
    if keep and tonumber(keep) > now then return {2, user, 0, 0} end
    return nil
end

-- Stored settings (false when none) and the next tick time, appended to `out`.
local function append_settings(out)
    local s = redis.call('HMGET', meta, 'set', 'max_active', 'admit_per_tick', 'tick_interval', 'paused', 'next')
    for i = 1, 6 do out[#out + 1] = s[i] end
    return out
end

-- `v` followed by settings that a script read once with append_settings({}), for each of its answers.
local function with_settings(v, stored)
    local n = #v
    for i = 1, 6 do v[n + i] = stored[i] end
    return v
end

-- Settings in force: the stored ones, else the defaults in ARGV[first .. first + 3].
local function settings(first)
    local s = redis.call('HMGET', meta, 'set', 'max_active', 'admit_per_tick', 'tick_interval', 'paused')
    if s[1] then return tonumber(s[2]), tonumber(s[3]), tonumber(s[4]), tonumber(s[5]) end
    return tonumber(ARGV[first]), tonumber(ARGV[first + 1]), tonumber(ARGV[first + 2]), tonumber(ARGV[first + 3])
end

-- Physically drops what has run out by `now`; returns how many ACTIVE tokens.
local function expire(now_arg)
    local gone = redis.call('ZRANGEBYSCORE', active, '-inf', now_arg)
    for _, token in ipairs(gone) do remove(token) end
    local old = redis.call('ZRANGEBYSCORE', revoked, '-inf', now_arg)
    for _, token in ipairs(old) do remove(token) end
    return #gone
end
)lua";

// ARGV: now, then user and candidate token per join. -> per join {created, token, status, user,
// position, active_until, settings...}. One call for all the joins of a concert in a batch, in order:
// a user asked twice gets the token of the first.
constexpr const char* kJoin = R"lua(
local now = tonumber(ARGV[1])
local stored = append_settings({})
local out = {}
for i = 2, #ARGV, 2 do
    local user, candidate = ARGV[i], ARGV[i + 1]
    local existing = redis.call('HGET', users, user)
    local v = existing and view(existing, now)
    if v and v[1] ~= 2 then
        if v[1] == 0 then redis.call('ZADD', seen, ARGV[1], existing) end
        out[#out + 1] = with_settings({0, existing, v[1], v[2], v[3], v[4]}, stored)
    else
        local seq = redis.call('HINCRBY', meta, 'seq', 1)
        redis.call('ZADD', waiting, seq, candidate)
        redis.call('ZADD', seen, ARGV[1], candidate)
        redis.call('HSET', tokens, candidate, user)
        redis.call('HSET', users, user, candidate)
        out[#out + 1] = with_settings({1, candidate, 0, user, redis.call('ZRANK', waiting, candidate) + 1, 0}, stored)
    end
end
return out
)lua";

// ARGV: now, token... -> per token, {} when not found, else {status, user, position, active_until,
// settings...}. One call for all the tokens of a concert that a batch of status polls asks about.
constexpr const char* kLookup = R"lua(
local now = tonumber(ARGV[1])
local stored = append_settings({})
local out = {}
for i = 2, #ARGV do
    local token = ARGV[i]
    local v = view(token, now)
    if v then
        if v[1] == 0 then redis.call('ZADD', seen, 'XX', ARGV[1], token) end
        out[i - 1] = with_settings(v, stored)
    else
        out[i - 1] = {}
    end
end
return out
)lua";

// ARGV: token.
constexpr const char* kLeave = R"lua(
remove(ARGV[1])
return 1
)lua";

// ARGV: token, keep_until. A revoked token keeps its user for payment replays; it blocks no join.
constexpr const char* kRevoke = R"lua(
local token = ARGV[1]
local user = redis.call('HGET', tokens, token)
if not user or redis.call('ZSCORE', revoked, token) then return 0 end
remove(token)
redis.call('HSET', tokens, token, user)
redis.call('ZADD', revoked, ARGV[2], token)
return 1
)lua";

// ARGV: now, active_until, default max_active, admit_per_tick, tick_interval (s), paused.
// -> {ran, admitted, expired}
constexpr const char* kTick = R"lua(
local now = tonumber(ARGV[1])
local next_tick = tonumber(redis.call('HGET', meta, 'next') or '0')
if now < next_tick then return {0, 0, 0} end
local max_active, admit_per_tick, tick_interval, paused = settings(3)
redis.call('HSET', meta, 'next', now + tick_interval * 1000)
local expired = expire(ARGV[1])
if paused ~= 0 then return {1, 0, expired} end
local admit = math.min(admit_per_tick, max_active - redis.call('ZCARD', active), redis.call('ZCARD', waiting))
if admit <= 0 then return {1, 0, expired} end
-- By member, exactly the ones popped: nobody is dropped who was not admitted.
local head = redis.call('ZPOPMIN', waiting, admit)
local admitted = 0
for i = 1, #head, 2 do
    redis.call('ZREM', seen, head[i])
    redis.call('ZADD', active, ARGV[2], head[i])
    admitted = admitted + 1
end
redis.call('HINCRBY', meta, 'admitted', admitted)
return {1, admitted, expired}
)lua";

// ARGV: idle_before. WAITING tokens last seen strictly before it go.
// ARGV: idle_before, batch. At most `batch` a call, so one script never blocks Redis for long; the
// caller repeats while a full batch comes back.
constexpr const char* kDropIdle = R"lua(
local idle = redis.call('ZRANGEBYSCORE', seen, '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, token in ipairs(idle) do remove(token) end
return #idle
)lua";

// ARGV: now. -> {waiting, active, admitted_total, settings...}. Read-only, O(log n).
constexpr const char* kStats = R"lua(
local out = {redis.call('ZCARD', waiting), redis.call('ZCOUNT', active, '(' .. ARGV[1], '+inf'),
             tonumber(redis.call('HGET', meta, 'admitted') or '0')}
return append_settings(out)
)lua";

// ARGV: now, default max_active, admit_per_tick, tick_interval (s), paused, then the patch with ''
// for "unchanged". -> {max_active, admit_per_tick, tick_interval, paused}
constexpr const char* kUpdateSettings = R"lua(
local now = tonumber(ARGV[1])
local max_active, admit_per_tick, tick_interval, paused = settings(2)
if ARGV[6] ~= '' then max_active = tonumber(ARGV[6]) end
if ARGV[7] ~= '' then admit_per_tick = tonumber(ARGV[7]) end
if ARGV[8] ~= '' then tick_interval = tonumber(ARGV[8]) end
if ARGV[9] ~= '' then paused = tonumber(ARGV[9]) end
redis.call('HSET', meta, 'set', 1, 'max_active', max_active, 'admit_per_tick', admit_per_tick,
           'tick_interval', tick_interval, 'paused', paused)
local next_tick = tonumber(redis.call('HGET', meta, 'next') or '0')
redis.call('HSET', meta, 'next', math.min(next_tick, now + tick_interval * 1000))
return {max_active, admit_per_tick, tick_interval, paused}
)lua";

// KEYS: lease key, fence key. ARGV: owner token, ttl ms. -> the new fencing token, or 0 when busy.
// The fence is max(last + 1, server time in µs): it grows with every acquisition and never goes back,
// even if Redis loses the fence key (restart without persistence, failover, eviction), so the
// database's fence check never refuses every new holder. µs stay exact in Lua's doubles; the key
// expires after a week of disuse.
constexpr const char* kLockAcquire = R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    local t = redis.call('TIME')
    local fence = math.max(tonumber(redis.call('GET', KEYS[2]) or '0') + 1, tonumber(t[1]) * 1000000 + tonumber(t[2]))
    redis.call('SET', KEYS[2], string.format('%.0f', fence), 'EX', 604800)
    return fence
end
return 0
)lua";

// KEYS: lease key. ARGV: owner token. Deletes only the owner's lease.
constexpr const char* kLockRelease = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// KEYS: lease key. ARGV: owner token, ttl ms. Extends only the owner's lease.
constexpr const char* kLockExtend = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
)lua";

RedisScript Queue(const char* body) {
    return RedisScript(std::string(kQueuePrelude) + body);
}

}  // namespace

const RedisScript& QueueJoin() {
    static const RedisScript script = Queue(kJoin);
    return script;
}
const RedisScript& QueueLookup() {
    static const RedisScript script = Queue(kLookup);
    return script;
}
const RedisScript& QueueLeave() {
    static const RedisScript script = Queue(kLeave);
    return script;
}
const RedisScript& QueueRevoke() {
    static const RedisScript script = Queue(kRevoke);
    return script;
}
const RedisScript& QueueTick() {
    static const RedisScript script = Queue(kTick);
    return script;
}
const RedisScript& QueueDropIdle() {
    static const RedisScript script = Queue(kDropIdle);
    return script;
}
const RedisScript& QueueStats() {
    static const RedisScript script = Queue(kStats);
    return script;
}
const RedisScript& QueueUpdateSettings() {
    static const RedisScript script = Queue(kUpdateSettings);
    return script;
}
const RedisScript& LockAcquire() {
    static const RedisScript script{kLockAcquire};
    return script;
}
const RedisScript& LockRelease() {
    static const RedisScript script{kLockRelease};
    return script;
}
const RedisScript& LockExtend() {
    static const RedisScript script{kLockExtend};
    return script;
}

}  // namespace ticketing::redis::scripts
