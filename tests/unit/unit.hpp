#pragma once

#include <gtest/gtest.h>

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

}  // namespace ticketing::testing
