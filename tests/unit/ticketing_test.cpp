// Ticketing as a library user meets it: built from a factory, held by value, settings checked once.
#include <functional>
#include <optional>
#include <stdexcept>
#include <ticketing/memory/memory_database.hpp>
#include <ticketing/memory/memory_lock.hpp>
#include <ticketing/memory/memory_queue_store.hpp>
#include <type_traits>

#include "unit.hpp"

namespace ticketing::testing {
namespace {

static_assert(std::is_nothrow_move_constructible_v<Ticketing>);
static_assert(std::is_nothrow_move_assignable_v<Ticketing>);

class TicketingTest : public ::testing::Test {
protected:
    Backends Adapters(bool with_lock = true) {
        return Backends{db_, queue_, clock_, random_, with_lock ? &lock_ : nullptr};
    }

    memory::ManualClock clock_{kStart};
    SystemRandom random_;
    memory::MemoryDatabase db_;
    memory::MemoryQueueStore queue_;
    memory::MemoryLock lock_{clock_, random_};
};

TEST_F(TicketingTest, LivesInAnOptionalAndSurvivesMoves) {
    std::optional<Ticketing> app = Ticketing::Create(Adapters(), Settings{}).value();
    const auto user = TK_OK(app->Accounts().CreateUser("kim"));
    Ticketing moved = std::move(*app);
    app.reset();
    EXPECT_EQ(TK_OK(moved.Accounts().Charge(user.id, 500, std::nullopt)).balance, 500);
    app.emplace(Adapters(), Settings{});
    *app = std::move(moved);
    EXPECT_EQ(TK_OK(app->Accounts().GetUser(user.id)).balance, 500);
}

TEST_F(TicketingTest, EverySettingIsValidatedByName) {
    const std::vector<std::pair<std::function<void(Settings&)>, std::string>> cases{
        {[](Settings& s) { s.queue.max_active = 0; }, "queue.max_active must be at least 1"},
        {[](Settings& s) { s.queue.admit_per_tick = -1; }, "queue.admit_per_tick must be at least 1"},
        {[](Settings& s) { s.queue.tick_interval = Seconds{0}; }, "queue.tick_interval must be positive"},
        {[](Settings& s) { s.queue_timeouts.active_ttl = 0ms; }, "queue_timeouts.active_ttl must be positive"},
        {[](Settings& s) { s.queue_timeouts.waiting_idle_timeout = -1ms; },
         "queue_timeouts.waiting_idle_timeout must be positive"},
        {[](Settings& s) { s.queue_timeouts.revoked_retention = -1ms; },
         "queue_timeouts.revoked_retention must not be negative"},
        {[](Settings& s) { s.reservation.max_seats_per_reservation = 0; },
         "reservation.max_seats_per_reservation must be at least 1"},
        {[](Settings& s) { s.reservation.hold_ttl = 0ms; }, "reservation.hold_ttl must be positive"},
        {[](Settings& s) { s.lock.max_attempts = 0; }, "lock.max_attempts must be at least 1"},
        {[](Settings& s) { s.lock.backoff_base = -1ms; }, "lock.backoff_base must not be negative"},
        {[](Settings& s) { s.lock.backoff_base = s.lock.backoff_max + 1ms; },
         "lock.backoff_base must not exceed lock.backoff_max"},
        {[](Settings& s) { s.lock.lease_ttl = 0ms; }, "lock.lease_ttl must be positive"},
        {[](Settings& s) { s.lock.lease_wait = -1ms; }, "lock.lease_wait must not be negative"},
        {[](Settings& s) { s.outbox.max_attempts = 0; }, "outbox.max_attempts must be at least 1"},
        {[](Settings& s) { s.outbox.backoff_base = -1ms; }, "outbox.backoff_base must not be negative"},
        {[](Settings& s) { s.outbox.backoff_base = s.outbox.backoff_max + 1ms; },
         "outbox.backoff_base must not exceed outbox.backoff_max"},
        {[](Settings& s) { s.idempotency_ttl = 0ms; }, "idempotency_ttl must be positive"},
        {[](Settings& s) { s.catalog_cache_ttl = 0ms; }, "catalog_cache_ttl must be positive"},
    };
    EXPECT_TRUE(ValidateSettings(Settings{}));
    for (const auto& [spoil, message] : cases) {
        Settings settings;
        spoil(settings);
        auto valid = ValidateSettings(settings);
        ASSERT_FALSE(valid) << message;
        EXPECT_EQ(valid.error().code, Errc::kInvalidArgument);
        EXPECT_EQ(valid.error().message, message);
        auto created = Ticketing::Create(Adapters(), settings);
        ASSERT_FALSE(created) << message;
        EXPECT_EQ(created.error().message, message);
        try {
            Ticketing app(Adapters(), settings);
            ADD_FAILURE() << "constructed with " << message;
        } catch (const std::invalid_argument& e) {
            EXPECT_EQ(e.what(), message);
        }
    }
}

TEST_F(TicketingTest, TheRedisStrategyNeedsALock) {
    Settings settings;
    settings.lock.kind = LockStrategyKind::kRedis;
    auto created = Ticketing::Create(Adapters(false), settings);
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(created.error().message, "lock.kind redis needs Backends::lock");
    EXPECT_TRUE(Ticketing::Create(Adapters(true), settings));
}

}  // namespace
}  // namespace ticketing::testing
