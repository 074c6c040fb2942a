#pragma once

#include <optional>
#include <string_view>
#include <ticketing/app/context.hpp>
#include <ticketing/ports/event_sink.hpp>
#include <vector>

namespace ticketing {

struct OutboxStats {
    /// How many dead events `dead_events` lists at most: enough to find one to retry.
    static constexpr std::int64_t kDeadEventsListed = 20;
    std::int64_t pending{0};
    std::int64_t dead{0};
    std::int64_t oldest_pending_age_seconds{0};
    std::vector<OutboxEvent> dead_events;  ///< newest first, at most kDeadEventsListed
};

struct RelayOutcome {
    std::int64_t published{0};
    std::int64_t failed{0};
    std::int64_t dead{0};
    /// Outcomes not recorded because the claim had lapsed and another relay holds the event now.
    std::int64_t unmarked{0};
};

/// The outbox: its state, the operator's retry, and the relay. Thread-safe; any number of relays may
/// run at once on one database: each claims its own batch.
class OutboxService {
public:
    explicit OutboxService(const Context& ctx) : ctx_(ctx) {}

    /// Counts, and the newest dead events (the ids `Retry` takes).
    Result<OutboxStats> Stats();
    /// A DEAD event goes back to PENDING, due now. NOT_FOUND, or CONFLICT when it is not dead.
    Result<void> Retry(std::string_view event_id);
    /// Claims up to `limit` due events (by due time, then id; a failing event waiting for its backoff
    /// never delays a due one), publishes them as one batch and marks them in one statement.
    /// An event that fails is retried with exponential backoff and jitter, and holds back its
    /// aggregate's later events; after `max_attempts` it is DEAD and no longer holds them back: an
    /// aggregate is not stuck behind an event that needs an operator, so its later events go out
    /// first and `Retry` republishes the dead one after them (consumers apply events of one
    /// aggregate in any order: the sales projection only adds). A relay that dies between publishing
    /// and marking leaves its claim to lapse (`outbox.claim_ttl`): the events go out again.
    Result<RelayOutcome> RelayOnce(ports::EventSink& sink, std::int64_t limit);

private:
    Context ctx_;
};

}  // namespace ticketing
