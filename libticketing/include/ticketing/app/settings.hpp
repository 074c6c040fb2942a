#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <ticketing/domain/lock_strategy_kind.hpp>
#include <ticketing/domain/queue.hpp>
#include <ticketing/domain/time.hpp>
#include <ticketing/error.hpp>

namespace ticketing {

using namespace std::chrono_literals;

struct QueueTimeouts {
    Millis active_ttl{5min};
    Millis waiting_idle_timeout{5min};
    /// How long a token revoked by payment still answers payment replays.
    Millis revoked_retention{24h};
};

struct ReservationSettings {
    std::int32_t max_seats_per_reservation{10};
    Millis hold_ttl{5min};
};

struct LockSettings {
    LockStrategyKind kind{LockStrategyKind::kOptimistic};
    /// Tries of a unit of work that lost a race (version conflict, deadlock) before CONFLICT.
    std::int32_t max_attempts{16};
    Millis backoff_base{1};
    Millis backoff_max{50};
    Millis lease_ttl{5s};
    /// How long to wait for a busy lease before CONFLICT.
    Millis lease_wait{5s};
};

struct OutboxSettings {
    /// Failed publishes before an event is dead.
    std::int32_t max_attempts{10};
    Millis backoff_base{1s};
    Millis backoff_max{5min};
    /// How long a relay's claim on a batch lasts: a relay that dies between publishing and marking
    /// leaves its events to the next claim after this (they are published again).
    Millis claim_ttl{30s};
};

/// How long finished records are kept (RetentionService). Each table is trimmed in batches of
/// `batch_size` rows, one short transaction each, at most `max_batches` per run.
struct RetentionSettings {
    Millis published_outbox_age{7 * 24h};
    Millis inbox_age{7 * 24h};
    /// Fences whose token (µs) is older than this are forgotten: far longer than any lease is held.
    Millis fence_age{24h};
    std::int64_t batch_size{500};
    std::int32_t max_batches{100};
};

/// Everything the use cases are configured with. Defaults are product.md's.
struct Settings {
    QueueSettings queue;
    QueueTimeouts queue_timeouts;
    ReservationSettings reservation;
    LockSettings lock;
    OutboxSettings outbox;
    RetentionSettings retention;
    Millis idempotency_ttl{24h};
    /// How long catalog reads (concerts, schedules) stay cached when a cache is configured.
    Millis catalog_cache_ttl{30s};
    /// How old a seat map read may be (0: read the database every time). This instance's own holds,
    /// cancellations, payments and refunds show at once; other instances' within this age. Holds and
    /// payments always decide on the database.
    Millis seat_map_max_age{200ms};
};

/// INVALID_ARGUMENT naming the first bad field, e.g. "lock.max_attempts must be at least 1": limits
/// below 1, times that must be positive, negative backoffs, a backoff base above its maximum.
Result<void> ValidateSettings(const Settings& settings);

}  // namespace ticketing
