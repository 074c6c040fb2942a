#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <ticketing/app/system.hpp>
#include <ticketing/memory/manual_clock.hpp>

#include "backend.hpp"
#include "expect.hpp"
#include "world.hpp"

namespace ticketing::testing {

/// Base of the port contract suites: a fresh backend per test with a manual clock.
class PortContract : public ::testing::TestWithParam<BackendParam> {
protected:
    void SetUp() override { backend_ = GetParam().make(clock_, random_); }

    std::unique_ptr<ports::UnitOfWork> Begin(ports::TxMode mode = ports::TxMode::kOptimistic) {
        auto uow = backend_->Db().Begin(mode);
        EXPECT_TRUE(uow.has_value()) << uow.error().message;
        return std::move(*uow);
    }

    memory::ManualClock clock_{kStart};
    SystemRandom random_;
    std::unique_ptr<Backend> backend_;
};

class UnitOfWorkContract : public PortContract {};
class QueueStoreContract : public PortContract {};
class DistributedLockContract : public PortContract {};
class CatalogCacheContract : public PortContract {
protected:
    ports::CatalogCache& Cache() {
        auto* cache = backend_->Cache();
        if (cache == nullptr) throw std::logic_error("this backend has no catalog cache");
        return *cache;
    }
};
/// Whole use cases raced against one backend under the parameter's lock strategy.
class ConcurrencyScenarios : public ::testing::TestWithParam<BackendParam> {
protected:
    void SetUp() override;
    World& W() { return *world_; }

    std::unique_ptr<World> world_;
};

}  // namespace ticketing::testing
