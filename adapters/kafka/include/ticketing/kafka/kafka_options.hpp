#pragma once

#include <map>
#include <string>
#include <ticketing/domain/time.hpp>

namespace ticketing::kafka {

/// Where and how the adapter talks to Kafka.
struct KafkaOptions {
    std::string brokers;  ///< "host:port[,host:port]"
    std::string topic{"ticketing.events"};
    /// Further librdkafka client properties ("security.protocol" = "ssl", …), applied last.
    std::map<std::string, std::string> client;
    /// How long a produced event may wait for the broker's acknowledgement (librdkafka's
    /// message.timeout.ms); past it, it counts as failed and the relay retries it later. Keep it
    /// below the relay's claim (outbox.claim_ttl).
    Millis delivery_timeout{std::chrono::seconds{10}};
};

/// Headers every published event carries.
inline constexpr const char* kEventIdHeader = "event-id";
inline constexpr const char* kEventTypeHeader = "event-type";

}  // namespace ticketing::kafka
