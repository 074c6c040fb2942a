// The CatalogCache contract. TTLs are real for remote caches and on the manual clock for the
// in-process one, so the expiry test both sleeps and moves the clock.
#include <thread>

#include "contract.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

TEST_P(CatalogCacheContract, PutGetAndMissingKeys) {
    auto* cache = backend_->Cache();
    ASSERT_NE(cache, nullptr);
    EXPECT_FALSE(TK_OK(cache->Get("concert:1")).has_value());
    ASSERT_TRUE(cache->Put("concert:1", std::string("1;5:A\0B;", 8), 10s));
    EXPECT_EQ(TK_OK(cache->Get("concert:1")), std::string("1;5:A\0B;", 8));  // binary-safe
    ASSERT_TRUE(cache->Put("concert:1", "v2", 10s));
    EXPECT_EQ(TK_OK(cache->Get("concert:1")), "v2");
}

TEST_P(CatalogCacheContract, EntriesExpire) {
    auto* cache = backend_->Cache();
    ASSERT_NE(cache, nullptr);
    ASSERT_TRUE(cache->Put("k", "v", 100ms));
    clock_.Advance(200ms);
    std::this_thread::sleep_for(200ms);
    EXPECT_FALSE(TK_OK(cache->Get("k")).has_value());
}

TEST_P(CatalogCacheContract, InvalidateAllDropsEveryEntry) {
    auto* cache = backend_->Cache();
    ASSERT_NE(cache, nullptr);
    ASSERT_TRUE(cache->Put("a", "1", 10s));
    ASSERT_TRUE(cache->Put("b", "2", 10s));
    ASSERT_TRUE(cache->InvalidateAll());
    EXPECT_FALSE(TK_OK(cache->Get("a")).has_value());
    EXPECT_FALSE(TK_OK(cache->Get("b")).has_value());
    ASSERT_TRUE(cache->Put("a", "3", 10s));  // the cache works on after an invalidation
    EXPECT_EQ(TK_OK(cache->Get("a")), "3");
}

}  // namespace
}  // namespace ticketing::testing
