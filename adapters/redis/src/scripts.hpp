#pragma once

#include <ticketing/redis/redis_client.hpp>

// The Lua scripts of the adapter (src/scripts.cpp). Each queue script takes the concert's seven keys
// in the order of RedisQueueStore's key list.
namespace ticketing::redis::scripts {

const RedisScript& QueueJoin();
const RedisScript& QueueLookup();
const RedisScript& QueueLeave();
const RedisScript& QueueRevoke();
const RedisScript& QueueTick();
const RedisScript& QueueDropIdle();
const RedisScript& QueueStats();
const RedisScript& QueueUpdateSettings();

const RedisScript& LockAcquire();
const RedisScript& LockRelease();
const RedisScript& LockExtend();

}  // namespace ticketing::redis::scripts
