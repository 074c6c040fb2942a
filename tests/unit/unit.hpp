#pragma once

#include <gtest/gtest.h>

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

#define TK_OK(expr)                                                                         \
    ([&]() {                                                                                \
        auto tk_result_ = (expr);                                                           \
        EXPECT_TRUE(tk_result_.has_value()) << #expr << ": " << tk_result_.error().message; \
        return std::move(tk_result_).value();                                               \
    }())

#define TK_EXPECT_ERROR(expr, errc)                                                     \
    do {                                                                                \
        auto tk_result_ = (expr);                                                       \
        ASSERT_FALSE(tk_result_.has_value()) << #expr << " succeeded, expected " #errc; \
        EXPECT_EQ(tk_result_.error().code, errc) << tk_result_.error().message;         \
    } while (false)

}  // namespace ticketing::testing
