// The client's failures as an operator meets them: refused credentials are a configuration error
// (UNAVAILABLE, said so), never a lost race to retry; no message carries the password.
#include <gtest/gtest.h>

#include <thread>
#include <ticketing/redis/redis_client.hpp>
#include <vector>

#include "redis_fixture.hpp"
#include "services.hpp"

namespace ticketing::testing {
namespace {

constexpr std::string_view kPassword = "pw-s3cret-do-not-print";

redis::RedisOptions TestServer() {
    auto options = redis::ParseRedisUrl(ServiceUrl("TICKETING_TEST_REDIS"));
    EXPECT_TRUE(options.has_value());
    return options.value_or(redis::RedisOptions{});
}

void ExpectAuthFailure(const Result<void>& done) {
    ASSERT_FALSE(done.has_value());
    EXPECT_EQ(done.error().code, Errc::kUnavailable) << done.error().message;
    EXPECT_NE(done.error().message.find("authentication failed"), std::string::npos) << done.error().message;
    EXPECT_EQ(done.error().message.find(kPassword), std::string::npos) << done.error().message;
}

TEST(RedisClientAuth, AnUnknownUserIsAnAuthenticationFailure) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_REDIS");
    auto options = TestServer();
    options.user = "nobody";
    options.password = std::string(kPassword);
    redis::RedisClient client(options);
    ExpectAuthFailure(client.Ping());
}

TEST(RedisClientAuth, APasswordTheServerDoesNotExpectIsAnAuthenticationFailure) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_REDIS");
    auto options = TestServer();
    options.password = std::string(kPassword);  // the test server's default user has none
    redis::RedisClient client(options);
    ExpectAuthFailure(client.Ping());
}

TEST(RedisUrl, NoPasswordInAParseError) {
    const std::string password(kPassword);
    for (const auto& url : {
             "redis://kim:" + password + "@127.0.0.1:notaport/0",
             "redis://kim:" + password + "@127.0.0.1:6379/notadb",
             "redis://kim:" + password + "%zz@127.0.0.1:6379/0",
             "kim:" + password + "@127.0.0.1:6379",
         }) {
        auto parsed = redis::ParseRedisUrl(url);
        ASSERT_FALSE(parsed.has_value()) << url;
        EXPECT_EQ(parsed.error().code, Errc::kInvalidArgument);
        EXPECT_EQ(parsed.error().message.find(kPassword), std::string::npos) << parsed.error().message;
        EXPECT_NE(parsed.error().message.find("kim:***@127.0.0.1"), std::string::npos) << parsed.error().message;
    }
}

TEST(RedisClientAuth, ARefusedCommandIsAConfigurationErrorNotTransient) {
    const auto error = redis::ReplyError({redis::RedisReply::Type::kError, 0, "NOAUTH Authentication required.", {}});
    EXPECT_EQ(error.code, Errc::kUnavailable);
    EXPECT_NE(error.message.find("authentication failed"), std::string::npos) << error.message;
    const auto busy = redis::ReplyError({redis::RedisReply::Type::kError, 0, "LOADING Redis is loading", {}});
    EXPECT_EQ(busy.code, Errc::kUnavailable);
    EXPECT_EQ(busy.message.find("authentication"), std::string::npos) << busy.message;
}

using RedisScriptTest = RedisTest;

TEST_F(RedisScriptTest, TheLocalDigestIsTheServersAndNoscriptFallsBackToEval) {
    const redis::RedisScript script("return ARGV[1] .. '-' .. KEYS[1]");
    ASSERT_TRUE(client_->Command({"SCRIPT", "FLUSH"}).has_value());
    // Not cached on the server: EVALSHA answers NOSCRIPT, the client falls back to EVAL.
    auto first = client_->Eval(script, {prefix_ + "k"}, {"v"});
    ASSERT_TRUE(first.has_value()) << first.error().message;
    EXPECT_EQ(first->str, "v-" + prefix_ + "k");
    auto loaded = client_->Command({"SCRIPT", "LOAD", script.Source()});
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(loaded->str, script.Sha1());
    auto cached = client_->Command({"SCRIPT", "EXISTS", script.Sha1()});
    ASSERT_TRUE(cached.has_value());
    EXPECT_EQ(cached->elements.at(0).integer, 1);
}

using RedisGroupCommitTest = RedisTest;

// Callers that queue behind the round trips in flight share the next one: each must still get exactly
// its own replies, in its own order, and an error reply must stay with the caller whose command it was.
TEST_F(RedisGroupCommitTest, SixteenThreadsSharingRoundTripsEachGetTheirOwnReplies) {
    constexpr int kThreads = 16;
    constexpr int kCalls = 1500;
    ASSERT_TRUE(client_->Command({"SET", prefix_ + "text", "not a number"}).has_value());
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const auto counter = prefix_ + "n" + std::to_string(t);
            for (int i = 1; i <= kCalls; ++i) {
                const auto mine = std::to_string(t) + "-" + std::to_string(i);
                switch (i % 3) {
                    case 0: {
                        auto echoed = client_->Command({"ECHO", mine});
                        if (!echoed || echoed->str != mine) ++wrong;
                        break;
                    }
                    case 1: {
                        auto replies =
                            client_->Pipeline({{"INCR", counter}, {"ECHO", mine}, {"INCR", prefix_ + "text"}});
                        if (!replies || replies->size() != 3 || (*replies)[0].integer != (i + 2) / 3 ||
                            (*replies)[1].str != mine || !(*replies)[2].IsError()) {
                            ++wrong;
                        }
                        break;
                    }
                    default: {
                        auto refused = client_->Command({"INCR", prefix_ + "text"});
                        if (refused || refused.error().code != Errc::kInternal) ++wrong;
                    }
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0);
    for (int t = 0; t < kThreads; ++t) {
        auto count = client_->Command({"GET", prefix_ + "n" + std::to_string(t)});
        ASSERT_TRUE(count.has_value());
        EXPECT_EQ(count->str, std::to_string(kCalls / 3));
    }
}

}  // namespace
}  // namespace ticketing::testing
