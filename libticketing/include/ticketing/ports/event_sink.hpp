#pragma once

#include <ticketing/domain/entities.hpp>
#include <ticketing/error.hpp>

namespace ticketing::ports {

/// Where the outbox relay publishes events (Kafka, a log). Thread-safe.
class EventSink {
public:
    virtual ~EventSink() = default;
    /// Returns once the event is durably accepted; an error means it may or may not have been.
    virtual Result<void> Publish(const OutboxEvent& event) = 0;
};

}  // namespace ticketing::ports
