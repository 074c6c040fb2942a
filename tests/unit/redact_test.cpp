// RedactUrl: the one place that hides a URL's password from messages, logs and printed settings.
#include <gtest/gtest.h>

#include <ticketing/redact.hpp>

namespace ticketing {
namespace {

TEST(RedactUrl, HidesThePasswordAndKeepsTheRest) {
    EXPECT_EQ(RedactUrl("mysql://kim:s3cret@db.local:3306/app?ssl=1"), "mysql://kim:***@db.local:3306/app?ssl=1");
    EXPECT_EQ(RedactUrl("redis://:s3cret@127.0.0.1:6379/2"), "redis://:***@127.0.0.1:6379/2");
}

TEST(RedactUrl, LeavesUrlsWithoutAPasswordAlone) {
    EXPECT_EQ(RedactUrl("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
    EXPECT_EQ(RedactUrl("mysql://kim@db:3306/app"), "mysql://kim@db:3306/app");
    EXPECT_EQ(RedactUrl("mysql://kim:@db/app"), "mysql://kim:@db/app");
    EXPECT_EQ(RedactUrl("sqlite:///var/lib/ticketing/t.db"), "sqlite:///var/lib/ticketing/t.db");
    EXPECT_EQ(RedactUrl(""), "");
}

TEST(RedactUrl, EscapedAndUnescapedSpecialCharactersStayHidden) {
    EXPECT_EQ(RedactUrl("mysql://k%40m:p%40ss%3Aw@db/app"), "mysql://k%40m:***@db/app");
    EXPECT_EQ(RedactUrl("mysql://kim:p@ss/w:rd@db/app"), "mysql://kim:***@db/app");
    EXPECT_EQ(RedactUrl("mysql://kim:s3cret@db/app?next=a@b"), "mysql://kim:***@db/app?next=a@b");
}

TEST(RedactUrl, KeepsAnIpv6Host) {
    EXPECT_EQ(RedactUrl("redis://u:s3cret@[::1]:6379/0"), "redis://u:***@[::1]:6379/0");
    EXPECT_EQ(RedactUrl("redis://[::1]:6379/0"), "redis://[::1]:6379/0");
}

TEST(RedactUrl, AUrlWithoutSchemeIsStillRedacted) {
    EXPECT_EQ(RedactUrl("kim:s3cret@db:3306/app"), "kim:***@db:3306/app");
}

}  // namespace
}  // namespace ticketing
