// The CatalogCache contract. TTLs are real for remote caches and on the manual clock for the
// in-process one, so the expiry test both sleeps and moves the clock.
#include <thread>

#include "contract.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

TEST_P(CatalogCacheContract, PutGetAndMissingKeys) {
    auto& cache = Cache();
    const auto miss = TK_OK(cache.Get("concert:1"));
    EXPECT_FALSE(miss.value.has_value());
    ASSERT_TRUE(cache.Put("concert:1", std::string("1;5:A\0B;", 8), 10s, miss.generation));
    EXPECT_EQ(TK_OK(cache.Get("concert:1")).value, std::string("1;5:A\0B;", 8));  // binary-safe
    ASSERT_TRUE(cache.Put("concert:1", "v2", 10s, miss.generation));
    EXPECT_EQ(TK_OK(cache.Get("concert:1")).value, "v2");
}

TEST_P(CatalogCacheContract, EntriesExpire) {
    auto& cache = Cache();
    ASSERT_TRUE(cache.Put("k", "v", 100ms, TK_OK(cache.Get("k")).generation));
    clock_.Advance(200ms);
    std::this_thread::sleep_for(200ms);
    EXPECT_FALSE(TK_OK(cache.Get("k")).value.has_value());
}

TEST_P(CatalogCacheContract, InvalidateAllDropsEveryEntry) {
    auto& cache = Cache();
    const auto generation = TK_OK(cache.Get("a")).generation;
    ASSERT_TRUE(cache.Put("a", "1", 10s, generation));
    ASSERT_TRUE(cache.Put("b", "2", 10s, generation));
    ASSERT_TRUE(cache.InvalidateAll());
    EXPECT_FALSE(TK_OK(cache.Get("a")).value.has_value());
    EXPECT_FALSE(TK_OK(cache.Get("b")).value.has_value());
    ASSERT_TRUE(cache.Put("a", "3", 10s, TK_OK(cache.Get("a")).generation));  // works on after it
    EXPECT_EQ(TK_OK(cache.Get("a")).value, "3");
}

TEST_P(CatalogCacheContract, ALoadThatRacedAnInvalidationIsNotKept) {
    auto& cache = Cache();
    const auto before = TK_OK(cache.Get("concerts")).generation;  // a reader misses and loads...
    ASSERT_TRUE(cache.InvalidateAll());                           // ...a catalog write lands...
    ASSERT_TRUE(cache.Put("concerts", "stale", 10s, before));     // ...the reader stores its load
    EXPECT_FALSE(TK_OK(cache.Get("concerts")).value.has_value());
}

}  // namespace
}  // namespace ticketing::testing
