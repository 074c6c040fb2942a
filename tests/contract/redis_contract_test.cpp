// The contract suites against the Redis adapters (queue store, lock, catalog cache), with the memory database.
// Needs TICKETING_TEST_REDIS (scripts/services start); every backend gets its own key prefix, so the
// executable can share the server with other test runs.
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <ticketing/memory/memory_database.hpp>
#include <ticketing/redis/redis_catalog_cache.hpp>
#include <ticketing/redis/redis_client.hpp>
#include <ticketing/redis/redis_lock.hpp>
#include <ticketing/redis/redis_queue_store.hpp>

#include "contract.hpp"
#include "services.hpp"

namespace ticketing::testing {
namespace {

class RedisAdapters final : public Backend {
public:
    explicit RedisAdapters(const redis::RedisOptions& options)
        : client_(std::make_shared<redis::RedisClient>(options)),
          prefix_(NextPrefix()),
          queue_(client_, redis::RedisQueueStoreOptions{prefix_}),
          lock_(client_, redis::RedisLockOptions{prefix_, true}),
          cache_(client_, redis::RedisCatalogCacheOptions{prefix_}) {}
    ~RedisAdapters() override { (void)client_->DeleteKeysWithPrefix(prefix_); }  // test data only

    ports::UnitOfWorkFactory& Db() override { return db_; }
    ports::QueueStore& Queue() override { return queue_; }
    ports::DistributedLock& Lock() override { return lock_; }
    ports::CatalogCache* Cache() override { return &cache_; }

private:
    static std::string NextPrefix() {
        static std::atomic<int> counter{0};
        return "contract:" + std::to_string(::getpid()) + ":" + std::to_string(++counter) + ":";
    }

    std::shared_ptr<redis::RedisClient> client_;
    std::string prefix_;
    memory::MemoryDatabase db_{memory::MemoryDatabaseOptions{std::chrono::milliseconds{2000}}};
    redis::RedisQueueStore queue_;
    redis::RedisLock lock_;
    redis::RedisCatalogCache cache_;
};

// Records the skip (or, under CI, the failure) when no server is configured; the test body then
// does not run.
void RequireRedis() {
    TK_REQUIRE_SERVICE("TICKETING_TEST_REDIS");
}

BackendFactory RedisBackend() {
    return [](const ports::Clock& clock, ports::Random& random) -> std::unique_ptr<Backend> {
        if (ServiceUrl("TICKETING_TEST_REDIS").empty()) {
            RequireRedis();
            return MemoryBackend()(clock, random);  // a stand-in the skipped test never uses
        }
        auto options = redis::ParseRedisUrl(ServiceUrl("TICKETING_TEST_REDIS"));
        if (!options) throw std::runtime_error(options.error().message);
        options->pool_size = 16;
        return std::make_unique<RedisAdapters>(*options);
    };
}

// The unit-of-work contract is the memory database's: it runs in ticketing_contract_memory.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(UnitOfWorkContract);

const BackendParam kRedis{"redis", RedisBackend(), LockStrategyKind::kRedis};

INSTANTIATE_TEST_SUITE_P(Redis, QueueStoreContract, ::testing::Values(kRedis), BackendName{});
INSTANTIATE_TEST_SUITE_P(Redis, DistributedLockContract, ::testing::Values(kRedis), BackendName{});
INSTANTIATE_TEST_SUITE_P(Redis, CatalogCacheContract, ::testing::Values(kRedis), BackendName{});
INSTANTIATE_TEST_SUITE_P(
    Redis, ConcurrencyScenarios, ::testing::ValuesIn(UnderEveryStrategy("redis", RedisBackend())), BackendName{}
);

}  // namespace
}  // namespace ticketing::testing
