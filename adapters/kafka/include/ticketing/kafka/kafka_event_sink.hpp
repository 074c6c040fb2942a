#pragma once

#include <memory>
#include <ticketing/kafka/kafka_options.hpp>
#include <ticketing/ports/event_sink.hpp>

namespace ticketing::kafka {

/// The outbox relay's sink on Kafka: an idempotent producer (enable.idempotence, acks=all), one
/// message per event on `topic`, keyed by the event's aggregate (one partition per aggregate, so
/// its events keep their order) with the event id and type as headers. A batch is produced at once
/// and each event's outcome is taken from its delivery report. Thread-safe (one batch at a time).
class KafkaEventSink final : public ports::EventSink {
public:
    /// INVALID_ARGUMENT for a client property librdkafka refuses. Connects lazily: a broker down
    /// shows as failed deliveries, not here.
    static Result<std::unique_ptr<KafkaEventSink>> Open(const KafkaOptions& options);
    ~KafkaEventSink() override;
    KafkaEventSink(const KafkaEventSink&) = delete;
    KafkaEventSink& operator=(const KafkaEventSink&) = delete;

    /// Each event's delivery report: ok once every in-sync replica has it; UNAVAILABLE when the
    /// broker could not be reached within the delivery timeout; INVALID_ARGUMENT when the broker
    /// refuses the message itself (too large, say).
    std::vector<Result<void>> PublishBatch(std::span<const OutboxEvent> events) override;

    struct Impl;

private:
    explicit KafkaEventSink(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ticketing::kafka
