#pragma once

#include <functional>
#include <memory>
#include <string>
#include <ticketing/domain/entities.hpp>
#include <ticketing/error.hpp>
#include <ticketing/kafka/kafka_options.hpp>

namespace ticketing::kafka {

/// What one poll did.
struct ConsumeOutcome {
    std::int64_t handled{0};  ///< messages the handler accepted (their offsets are committed)
    std::int64_t skipped{0};  ///< messages that are no event of ours (no id header): committed, ignored
};

/// A consumer-group member on `options.topic` that hands each message to a handler as the event it
/// carries and commits its offset only after the handler succeeded (at least once in: the handler
/// de-duplicates by event id). A handler error stops the poll and rewinds to that message, so it is
/// delivered again on the next poll. Not thread-safe: one thread polls.
class KafkaConsumer {
public:
    /// The event (id, type, aggregate, payload) a message carries.
    using Handler = std::function<Result<void>(const OutboxEvent&)>;

    /// INVALID_ARGUMENT for a property librdkafka refuses. Joins `group` lazily, on the first poll.
    static Result<std::unique_ptr<KafkaConsumer>> Open(const KafkaOptions& options, const std::string& group);
    ~KafkaConsumer();
    KafkaConsumer(const KafkaConsumer&) = delete;
    KafkaConsumer& operator=(const KafkaConsumer&) = delete;

    /// Handles messages until none arrives within `wait` or `max_messages` were handled. The
    /// handler's error is returned (after the rewind); UNAVAILABLE when the broker is unreachable.
    Result<ConsumeOutcome> Poll(const Handler& handler, std::int64_t max_messages, Millis wait);

    struct Impl;

private:
    explicit KafkaConsumer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ticketing::kafka
