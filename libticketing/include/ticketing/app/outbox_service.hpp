#pragma once

#include <optional>
#include <string_view>
#include <ticketing/app/context.hpp>
#include <ticketing/ports/event_sink.hpp>

namespace ticketing {

struct OutboxStats {
    std::int64_t pending{0};
    std::int64_t dead{0};
    std::int64_t oldest_pending_age_seconds{0};
};

struct RelayOutcome {
    std::int64_t published{0};
    std::int64_t failed{0};
    std::int64_t dead{0};
};

/// The outbox: its state, the operator's retry, and the relay. Thread-safe; run one relay at a time
/// per database (a second only publishes some events twice, which consumers de-duplicate).
class OutboxService {
public:
    explicit OutboxService(const Context& ctx) : ctx_(ctx) {}

    Result<OutboxStats> Stats();
    /// A DEAD event goes back to PENDING, due now. NOT_FOUND, or CONFLICT when it is not dead.
    Result<void> Retry(std::string_view event_id);
    /// Publishes up to `limit` due events in store order. An event that fails is retried later with
    /// exponential backoff and jitter, and holds back its aggregate's later events; after
    /// `max_attempts` it is DEAD and no longer holds them back (an aggregate is not stuck behind an
    /// event that needs an operator; `Retry` republishes it).
    Result<RelayOutcome> RelayOnce(ports::EventSink& sink, std::int64_t limit);

private:
    Context ctx_;
};

}  // namespace ticketing
