#pragma once

#include <span>
#include <ticketing/domain/entities.hpp>
#include <ticketing/error.hpp>
#include <vector>

namespace ticketing::ports {

/// Where the outbox relay publishes events (Kafka, a log). Thread-safe.
class EventSink {
public:
    virtual ~EventSink() = default;
    /// Publishes a batch and returns each event's outcome, in order, once every one is known: ok
    /// means durably accepted; an error means it may or may not have been (it is published again).
    virtual std::vector<Result<void>> PublishBatch(std::span<const OutboxEvent> events) = 0;
};

}  // namespace ticketing::ports
