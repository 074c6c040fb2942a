#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <ticketing/redis/redis_client.hpp>

#include "services.hpp"

namespace ticketing::testing {

/// A client on TICKETING_TEST_REDIS and a key prefix of the test's own, deleted afterwards.
class RedisTest : public ::testing::Test {
protected:
    void SetUp() override {
        TK_REQUIRE_SERVICE("TICKETING_TEST_REDIS");
        auto options = redis::ParseRedisUrl(ServiceUrl("TICKETING_TEST_REDIS"));
        ASSERT_TRUE(options.has_value()) << options.error().message;
        options->pool_size = 16;
        options->command_timeout = std::chrono::milliseconds{2000};
        client_ = std::make_shared<redis::RedisClient>(*options);
        static std::atomic<int> counter{0};
        prefix_ = "it:" + std::to_string(::getpid()) + ":" + std::to_string(++counter) + ":";
    }

    void TearDown() override {
        if (client_) (void)client_->DeleteKeysWithPrefix(prefix_);
    }

    std::shared_ptr<redis::RedisClient> client_;
    std::string prefix_;
};

}  // namespace ticketing::testing
