#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <ticketing/app/settings.hpp>
#include <ticketing/ports/catalog_cache.hpp>
#include <ticketing/ports/clock.hpp>
#include <ticketing/ports/distributed_lock.hpp>
#include <ticketing/ports/queue_store.hpp>
#include <ticketing/ports/random.hpp>
#include <ticketing/ports/unit_of_work.hpp>
#include <vector>

namespace ticketing::testing {

/// One set of adapters under test, fresh and empty. Each adapter family (memory, SQLite, MariaDB,
/// Redis) provides a factory; the contract and scenario suites run unchanged against each.
class Backend {
public:
    virtual ~Backend() = default;
    virtual ports::UnitOfWorkFactory& Db() = 0;
    virtual ports::QueueStore& Queue() = 0;
    virtual ports::DistributedLock& Lock() = 0;
    /// The catalog cache, when the family has one.
    virtual ports::CatalogCache* Cache() { return nullptr; }
};

using BackendFactory = std::function<std::unique_ptr<Backend>(const ports::Clock&, ports::Random&)>;

/// A named backend and the lock strategy to run it under: the parameter of every parameterized suite.
struct BackendParam {
    std::string name;  ///< e.g. "memory_optimistic"; used as the test name suffix
    BackendFactory make;
    LockStrategyKind strategy{LockStrategyKind::kOptimistic};
};

inline std::ostream& operator<<(std::ostream& out, const BackendParam& p) {
    return out << p.name;
}

/// gtest's name generator for BackendParam.
struct BackendName {
    std::string operator()(const auto& info) const { return info.param.name; }
};

/// The memory adapters as a Backend.
BackendFactory MemoryBackend();

/// `factory` under each of the three strategies, named "<prefix>_<strategy>".
std::vector<BackendParam> UnderEveryStrategy(const std::string& prefix, const BackendFactory& factory);

}  // namespace ticketing::testing
