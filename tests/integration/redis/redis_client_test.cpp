// The client's failures as an operator meets them: refused credentials are a configuration error
// (UNAVAILABLE, said so), never a lost race to retry; no message carries the password.
#include <gtest/gtest.h>

#include <ticketing/redis/redis_client.hpp>

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

}  // namespace
}  // namespace ticketing::testing
