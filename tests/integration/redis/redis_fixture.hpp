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
        if (!client_) return;
        std::string cursor = "0";
        do {
            auto page = client_->Command({"SCAN", cursor, "MATCH", prefix_ + "*", "COUNT", "1000"});
            if (!page || page->elements.size() != 2) return;
            cursor = page->elements[0].str;
            for (const auto& key : page->elements[1].elements) (void)client_->Command({"DEL", key.str});
        } while (cursor != "0");
    }

    std::shared_ptr<redis::RedisClient> client_;
    std::string prefix_;
};

}  // namespace ticketing::testing
