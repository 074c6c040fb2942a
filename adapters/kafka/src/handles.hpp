#pragma once

// Internals of ticketing::kafka: the only header that includes librdkafka. RAII over its handles,
// the client configuration, and its errors as port errors.

#include <librdkafka/rdkafka.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <ticketing/error.hpp>
#include <ticketing/kafka/kafka_options.hpp>
#include <utility>

namespace ticketing::kafka::detail {

struct Deleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
    void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
    void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
    void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
    void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
using Handle = std::unique_ptr<rd_kafka_t, Deleter>;
using Conf = std::unique_ptr<rd_kafka_conf_t, Deleter>;
using Message = std::unique_ptr<rd_kafka_message_t, Deleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, Deleter>;
using KafkaError = std::unique_ptr<rd_kafka_error_t, Deleter>;

using Setting = std::pair<std::string_view, std::string>;

/// bootstrap.servers from `options`, then `fixed`, then the user's client properties.
/// INVALID_ARGUMENT naming a property librdkafka refuses.
Result<Conf> MakeConf(const KafkaOptions& options, std::initializer_list<Setting> fixed);

/// A client over `conf` (which it takes). INVALID_ARGUMENT when librdkafka refuses the configuration.
Result<Handle> NewHandle(rd_kafka_type_t type, Conf conf);

/// A librdkafka error as a port error: a message the broker refuses as such is INVALID_ARGUMENT,
/// everything else (unreachable, timed out, not leader yet) UNAVAILABLE.
Error Translate(rd_kafka_resp_err_t err, std::string_view what);

}  // namespace ticketing::kafka::detail
