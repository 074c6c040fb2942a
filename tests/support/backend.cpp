#include "backend.hpp"

#include <ticketing/memory/memory_catalog_cache.hpp>
#include <ticketing/memory/memory_database.hpp>
#include <ticketing/memory/memory_lock.hpp>
#include <ticketing/memory/memory_queue_store.hpp>

namespace ticketing::testing {
namespace {

class MemoryAdapters final : public Backend {
public:
    MemoryAdapters(const ports::Clock& clock, ports::Random& random) : lock_(clock, random), cache_(clock) {}
    ports::UnitOfWorkFactory& Db() override { return db_; }
    ports::QueueStore& Queue() override { return queue_; }
    ports::DistributedLock& Lock() override { return lock_; }
    ports::CatalogCache* Cache() override { return &cache_; }

private:
    memory::MemoryDatabase db_{memory::MemoryDatabaseOptions{std::chrono::milliseconds{2000}}};
    memory::MemoryQueueStore queue_;
    memory::MemoryLock lock_;
    memory::MemoryCatalogCache cache_;
};

}  // namespace

BackendFactory MemoryBackend() {
    return [](const ports::Clock& clock, ports::Random& random) -> std::unique_ptr<Backend> {
        return std::make_unique<MemoryAdapters>(clock, random);
    };
}

std::vector<BackendParam> UnderEveryStrategy(const std::string& prefix, const BackendFactory& factory) {
    std::vector<BackendParam> out;
    for (auto kind : {LockStrategyKind::kOptimistic, LockStrategyKind::kPessimistic, LockStrategyKind::kRedis}) {
        out.push_back({prefix + "_" + std::string(ToString(kind)), factory, kind});
    }
    return out;
}

}  // namespace ticketing::testing
