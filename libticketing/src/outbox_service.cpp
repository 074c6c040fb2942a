#include <algorithm>
#include <string>
#include <ticketing/app/outbox_service.hpp>

#include "internal.hpp"

namespace ticketing {

Result<OutboxStats> OutboxService::Stats() {
    auto uow = ctx_.db.Begin(ports::TxMode::kRead);
    if (!uow) return Forward(uow.error());
    auto counts = (*uow)->CountOutbox();
    if (!counts) return Forward(counts.error());
    auto dead_events = (*uow)->ListDeadOutboxEvents(OutboxStats::kDeadEventsListed);
    if (!dead_events) return Forward(dead_events.error());
    OutboxStats out{counts->pending, counts->dead, 0, std::move(*dead_events)};
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
    const auto& settings = ctx_.settings.outbox;
    const std::string owner = ctx_.random.Uuid();
    std::vector<OutboxEvent> claimed;
    {
        auto uow = ctx_.db.Begin(ports::TxMode::kPessimistic);
        if (!uow) return Forward(uow.error());
        const auto now = ctx_.clock.Now();
        auto listed = (*uow)->ClaimOutboxEvents({owner, now, now + settings.claim_ttl, limit});
        if (!listed) return Forward(listed.error());
        if (listed->empty()) return RelayOutcome{};
        // Lost to another relay's claim (memory, SQLite): those events are in good hands.
        if (auto committed = (*uow)->Commit(); !committed) {
            if (committed.error().code == Errc::kAborted) return RelayOutcome{};
            return Forward(committed.error());
        }
        claimed = std::move(*listed);
    }
    const auto results = sink.PublishBatch(claimed);
    if (results.size() != claimed.size()) return MakeError(Errc::kInternal, "the event sink lost track of a batch");

    const auto now = ctx_.clock.Now();
    RelayOutcome out;
    std::vector<ports::OutboxMark> marks;
    marks.reserve(claimed.size());
    for (std::size_t i = 0; i < claimed.size(); ++i) {
        const auto& event = claimed[i];
        ports::OutboxMark mark{event.id, OutboxStatus::kPublished, event.attempts, event.next_attempt_at, {}};
        if (results[i]) {
            ++out.published;
        } else {
            mark.attempts = event.attempts + 1;
            mark.last_error = results[i].error().message;
            if (mark.attempts >= settings.max_attempts) {
                mark.status = OutboxStatus::kDead;
                ++out.dead;
            } else {
                const auto cap = std::min<std::int64_t>(
                    settings.backoff_max.count(), settings.backoff_base.count() << std::min(mark.attempts, 30)
                );
                // Half fixed, half jitter: relays that failed together do not retry together.
                const auto half = cap / 2;
                mark.status = OutboxStatus::kPending;
                mark.next_attempt_at =
                    now +
                    Millis{half + static_cast<std::int64_t>(ctx_.random.Below(static_cast<std::uint64_t>(half) + 1))};
                ++out.failed;
            }
        }
        marks.push_back(std::move(mark));
    }
    // Pessimistic: SQLite takes its write lock up front, so the mark waits for a claim instead of
    // losing to it.
    auto uow = ctx_.db.Begin(ports::TxMode::kPessimistic);
    if (!uow) return Forward(uow.error());
    // Unmarked (database down, or the claim lapsed and another relay took the events): the claim
    // lapses and the events are published again, at least once in all.
    auto marked = (*uow)->MarkOutboxEvents(owner, marks);
    if (!marked) return Forward(marked.error());
    if (auto committed = (*uow)->Commit(); !committed) return Forward(committed.error());
    out.unmarked = static_cast<std::int64_t>(marks.size()) - *marked;
    return out;
}

}  // namespace ticketing
