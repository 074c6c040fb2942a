#include <ticketing/app/settings.hpp>

namespace ticketing {

Result<void> ValidateSettings(const Settings& s) {
    constexpr Millis kZero{0};
    struct Rule {
        bool holds;
        const char* message;
    };
    const Rule rules[] = {
        {s.queue.max_active >= 1, "queue.max_active must be at least 1"},
        {s.queue.admit_per_tick >= 1, "queue.admit_per_tick must be at least 1"},
        {s.queue.tick_interval > Seconds{0}, "queue.tick_interval must be positive"},
        {s.queue_timeouts.active_ttl > kZero, "queue_timeouts.active_ttl must be positive"},
        {s.queue_timeouts.waiting_idle_timeout > kZero, "queue_timeouts.waiting_idle_timeout must be positive"},
        {s.queue_timeouts.revoked_retention >= kZero, "queue_timeouts.revoked_retention must not be negative"},
        {s.reservation.max_seats_per_reservation >= 1, "reservation.max_seats_per_reservation must be at least 1"},
        {s.reservation.hold_ttl > kZero, "reservation.hold_ttl must be positive"},
        {s.lock.max_attempts >= 1, "lock.max_attempts must be at least 1"},
        {s.lock.backoff_base >= kZero, "lock.backoff_base must not be negative"},
        {s.lock.backoff_base <= s.lock.backoff_max, "lock.backoff_base must not exceed lock.backoff_max"},
        {s.lock.lease_ttl > kZero, "lock.lease_ttl must be positive"},
        {s.lock.lease_wait >= kZero, "lock.lease_wait must not be negative"},
        {s.outbox.max_attempts >= 1, "outbox.max_attempts must be at least 1"},
        {s.outbox.backoff_base >= kZero, "outbox.backoff_base must not be negative"},
        {s.outbox.backoff_base <= s.outbox.backoff_max, "outbox.backoff_base must not exceed outbox.backoff_max"},
        {s.outbox.claim_ttl > kZero, "outbox.claim_ttl must be positive"},
        {s.idempotency_ttl > kZero, "idempotency_ttl must be positive"},
        {s.catalog_cache_ttl > kZero, "catalog_cache_ttl must be positive"},
        {s.seat_map_max_age >= kZero, "seat_map_max_age must not be negative"},
    };
    for (const auto& rule : rules) {
        if (!rule.holds) return MakeError(Errc::kInvalidArgument, rule.message);
    }
    return {};
}

}  // namespace ticketing
