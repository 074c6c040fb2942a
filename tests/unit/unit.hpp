#pragma once

#include <gtest/gtest.h>

#include <atomic>

#include "expect.hpp"
#include "world.hpp"

namespace ticketing::testing {

using namespace std::chrono_literals;

/// Use-case tests over the memory adapters under the default (optimistic) strategy.
class RulesTest : public ::testing::Test {
protected:
    explicit RulesTest(Settings settings = {})
        : world_(MemoryBackend(), LockStrategyKind::kOptimistic, std::move(settings)) {}

    World& W() { return world_; }
    Ticketing& App() { return world_.App(); }

    World world_;
};

// The memory backend, counting the transactions begun on it; the next write units can be made to
// fail to begin with a chosen error.
class CountingBackend final : public Backend {
public:
    CountingBackend(const ports::Clock& clock, ports::Random& random)
        : inner_(MemoryBackend()(clock, random)), db_(*inner_) {}
    ports::UnitOfWorkFactory& Db() override { return db_; }
    ports::QueueStore& Queue() override { return inner_->Queue(); }
    ports::DistributedLock& Lock() override { return inner_->Lock(); }
    int Begun() const { return db_.begun; }
    /// The next `count` write units fail to begin with `code`.
    void FailWrites(Errc code, int count) {
        db_.failure = code;
        db_.failures_left = count;
    }

private:
    struct CountingDb final : ports::UnitOfWorkFactory {
        explicit CountingDb(Backend& b) : backend(b) {}
        Result<std::unique_ptr<ports::UnitOfWork>> Begin(ports::TxMode mode) override {
            ++begun;
            if (mode != ports::TxMode::kRead && failures_left.fetch_sub(1) > 0) {
                return MakeError(failure, "failed by the test");
            }
            return backend.Db().Begin(mode);
        }
        Backend& backend;
        std::atomic<int> begun{0};
        Errc failure{Errc::kUnavailable};
        std::atomic<int> failures_left{0};
    };
    std::unique_ptr<Backend> inner_;
    CountingDb db_;
};

// A world whose database counts the units of work begun on it.
struct CountingWorld {
    CountingBackend* counting = nullptr;
    World world{
        [this](const ports::Clock& clock, ports::Random& random) {
            auto backend = std::make_unique<CountingBackend>(clock, random);
            counting = backend.get();
            return std::unique_ptr<Backend>(std::move(backend));
        },
        LockStrategyKind::kOptimistic};
};

}  // namespace ticketing::testing
