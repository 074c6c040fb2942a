#include <algorithm>
#include <set>
#include <string>
#include <ticketing/app/outbox_service.hpp>

#include "internal.hpp"

namespace ticketing {

Result<OutboxStats> OutboxService::Stats() {
    auto uow = ctx_.db.Begin(ports::TxMode::kRead);
    if (!uow) return Forward(uow.error());
    auto counts = (*uow)->CountOutbox();
    if (!counts) return Forward(counts.error());
    OutboxStats out{counts->pending, counts->dead, 0};
    if (counts->oldest_pending_at) {
        out.oldest_pending_age_seconds = std::max<std::int64_t>(
            0, std::chrono::floor<Seconds>(ctx_.clock.Now() - *counts->oldest_pending_at).count()
        );
    }
    return out;
}

Result<void> OutboxService::Retry(std::string_view event_id) {
    auto uow = ctx_.db.Begin(ports::TxMode::kOptimistic);
    if (!uow) return Forward(uow.error());
    auto event = internal::RequireFound((*uow)->FindOutboxEvent(event_id), "event " + std::string(event_id));
    if (!event) return Forward(event.error());
    if (event->status != OutboxStatus::kDead) return MakeError(Errc::kConflict, "only a dead event can be retried");
    event->status = OutboxStatus::kPending;
    event->attempts = 0;
    event->next_attempt_at = ctx_.clock.Now();
    event->last_error.clear();
    if (auto updated = (*uow)->UpdateOutboxEvent(*event); !updated) return updated;
    return (*uow)->Commit();
}

Result<RelayOutcome> OutboxService::RelayOnce(ports::EventSink& sink, std::int64_t limit) {
    std::vector<OutboxEvent> pending;
    {
        auto uow = ctx_.db.Begin(ports::TxMode::kRead);
        if (!uow) return Forward(uow.error());
        auto listed = (*uow)->ListPendingOutboxEvents(limit);
        if (!listed) return Forward(listed.error());
        pending = std::move(*listed);
    }
    const auto& settings = ctx_.settings.outbox;
    RelayOutcome out;
    std::set<std::string> held_back;  // aggregates with an earlier event still pending
    for (auto& event : pending) {
        const auto now = ctx_.clock.Now();
        if (held_back.contains(event.aggregate)) continue;
        if (event.next_attempt_at > now) {
            held_back.insert(event.aggregate);
            continue;
        }
        auto published = sink.Publish(event);
        if (published) {
            event.status = OutboxStatus::kPublished;
            ++out.published;
        } else {
            ++event.attempts;
            event.last_error = published.error().message;
            if (event.attempts >= settings.max_attempts) {
                event.status = OutboxStatus::kDead;
                ++out.dead;
            } else {
                const auto cap = std::min<std::int64_t>(
                    settings.backoff_max.count(), settings.backoff_base.count() << std::min(event.attempts, 30)
                );
                // Half fixed, half jitter: relays that failed together do not retry together.
                const auto half = cap / 2;
                event.next_attempt_at =
                    now +
                    Millis{half + static_cast<std::int64_t>(ctx_.random.Below(static_cast<std::uint64_t>(half) + 1))};
                held_back.insert(event.aggregate);
                ++out.failed;
            }
        }
        auto uow = ctx_.db.Begin(ports::TxMode::kOptimistic);
        if (!uow) return Forward(uow.error());
        // Lost to another relay: it published too (at least once), nothing to record.
        if (auto updated = (*uow)->UpdateOutboxEvent(event); !updated) {
            if (updated.error().code == Errc::kAborted) continue;
            return Forward(updated.error());
        }
        if (auto committed = (*uow)->Commit(); !committed && committed.error().code != Errc::kAborted) {
            return Forward(committed.error());
        }
    }
    return out;
}

}  // namespace ticketing
