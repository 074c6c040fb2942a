// Catalog reads go through the cache; writes invalidate it; availability is always live.
#include <atomic>
#include <ticketing/memory/memory_catalog_cache.hpp>
#include <ticketing/memory/memory_database.hpp>

#include "catalog_reader.hpp"  // the core's private codec, tested directly
#include "unit.hpp"

namespace ticketing::testing {
namespace {

class CatalogCacheRules : public RulesTest {};

TEST_F(CatalogCacheRules, CachedReadsSurviveADatabaseOutageAndAvailabilityStaysLive) {
    auto concert = W().NewConcert(10);
    auto token = W().Admit(concert.concert.id, W().NewUser());
    ASSERT_EQ(TK_OK(App().Catalog().ListSchedules(concert.concert.id))[0].available_seats, 10);
    TK_OK(App().Catalog().ListConcerts(std::nullopt, {}));
    // Holds change availability: the cached schedule list must not hide it.
    TK_OK(App().Reservations().Hold(token, concert.schedules[0].id, W().Seats(concert.schedules[0].id, {1, 2})));
    EXPECT_EQ(TK_OK(App().Catalog().ListSchedules(concert.concert.id))[0].available_seats, 8);

    auto& db = dynamic_cast<memory::MemoryDatabase&>(W().Adapters().Db());
    db.SetAvailable(false);
    auto listed = TK_OK(App().Catalog().ListConcerts(std::nullopt, {}));  // same second: served from the cache
    EXPECT_EQ(listed.items.size(), 1U);
    TK_EXPECT_ERROR(App().Catalog().ListSchedules(concert.concert.id), Errc::kUnavailable);  // availability is live
    db.SetAvailable(true);
}

TEST_F(CatalogCacheRules, ANewConcertShowsAtOnce) {
    W().NewConcert(1);
    EXPECT_EQ(TK_OK(App().Catalog().ListConcerts(std::nullopt, {})).items.size(), 1U);
    W().NewConcert(1);
    EXPECT_EQ(TK_OK(App().Catalog().ListConcerts(std::nullopt, {})).items.size(), 2U);
}

TEST_F(CatalogCacheRules, UnknownIdsAreNotCached) {
    TK_EXPECT_ERROR(App().Catalog().ListSchedules(ConcertId{1}), Errc::kNotFound);
    auto concert = W().NewConcert(1);
    ASSERT_EQ(concert.concert.id, ConcertId{1});
    EXPECT_EQ(TK_OK(App().Catalog().ListSchedules(ConcertId{1})).size(), 1U);
}

// The memory family with its catalog cache's reads counted.
class CountingCacheBackend final : public Backend, public ports::CatalogCache {
public:
    CountingCacheBackend(const ports::Clock& clock, ports::Random& random)
        : inner_(MemoryBackend()(clock, random)), cache_(clock) {}
    ports::UnitOfWorkFactory& Db() override { return inner_->Db(); }
    ports::QueueStore& Queue() override { return inner_->Queue(); }
    ports::DistributedLock& Lock() override { return inner_->Lock(); }
    ports::CatalogCache* Cache() override { return this; }

    Result<Read> Get(std::string_view key) override {
        ++gets;
        return cache_.Get(key);
    }
    Result<void> Put(std::string_view key, std::string_view value, Millis ttl, std::uint64_t generation) override {
        return cache_.Put(key, value, ttl, generation);
    }
    Result<void> InvalidateAll() override { return cache_.InvalidateAll(); }

    std::atomic<int> gets{0};

private:
    std::unique_ptr<Backend> inner_;
    memory::MemoryCatalogCache cache_;
};

// Concerts and schedules never change once inserted: once found, holds and joins read them from
// memory, not from the shared cache (a round trip to Redis) or the database.
TEST(CatalogRows, HoldsFindTheConcertAndScheduleInMemoryOnceFound) {
    CountingCacheBackend* backend = nullptr;
    World world(
        [&](const ports::Clock& clock, ports::Random& random) {
            auto made = std::make_unique<CountingCacheBackend>(clock, random);
            backend = made.get();
            return std::unique_ptr<Backend>(std::move(made));
        },
        LockStrategyKind::kOptimistic
    );
    const auto concert = world.NewConcert(10);
    const auto schedule = concert.schedules[0].id;
    const auto first = world.Admit(concert.concert.id, world.NewUser());
    TK_OK(world.App().Reservations().Hold(first, schedule, world.Seats(schedule, {1})));
    const int gets = backend->gets;
    for (int number = 2; number <= 4; ++number) {
        const auto token = world.Admit(concert.concert.id, world.NewUser());
        TK_OK(world.App().Reservations().Hold(token, schedule, world.Seats(schedule, {number})));
    }
    EXPECT_EQ(backend->gets, gets);
    TK_EXPECT_ERROR(world.App().Queue().Join(ConcertId{999}, world.NewUser()), Errc::kNotFound);
}

TEST(CatalogCodec, RoundTripsAndRejectsDamage) {
    std::vector<Concert> concerts{{ConcertId{3}, "semi;colon:and\nnewline", kStart, kStart + 1h}};
    const auto text = internal::EncodeRows(concerts);
    auto decoded = internal::DecodeConcerts(text).value();
    ASSERT_EQ(decoded.size(), 1U);
    EXPECT_EQ(decoded[0].title, concerts[0].title);
    EXPECT_EQ(decoded[0].reservation_closes_at, kStart + 1h);
    std::vector<Schedule> schedules{{ScheduleId{4}, ConcertId{3}, kStart, 99'000, 50}};
    auto back = internal::DecodeSchedules(internal::EncodeRows(schedules)).value();
    EXPECT_EQ(back[0].price, 99'000);
    EXPECT_EQ(back[0].total_seats, 50);
    EXPECT_FALSE(internal::DecodeConcerts(text.substr(0, text.size() - 2)).has_value());
    EXPECT_FALSE(internal::DecodeConcerts(text + "x").has_value());
    EXPECT_FALSE(internal::DecodeSchedules("").has_value());
}

}  // namespace
}  // namespace ticketing::testing

namespace ticketing::testing {
namespace {

TEST(MemoryCatalogCache, StaysBoundedAndSweepsExpiredEntries) {
    memory::ManualClock clock{kStart};
    memory::MemoryCatalogCache cache(clock, 3);
    const auto put = [&](const char* key) { ASSERT_TRUE(cache.Put(key, "v", 1s, cache.Get(key)->generation)); };
    put("a");
    put("b");
    put("c");
    put("d");  // past the bound: the cache starts over
    EXPECT_FALSE(cache.Get("a")->value.has_value());
    EXPECT_TRUE(cache.Get("d")->value.has_value());
    clock.Advance(2s);
    EXPECT_FALSE(cache.Get("d")->value.has_value());
}

}  // namespace
}  // namespace ticketing::testing
