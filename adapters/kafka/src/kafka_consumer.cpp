#include <ticketing/kafka/kafka_consumer.hpp>

#include "handles.hpp"

namespace ticketing::kafka {
namespace {

std::string Header(const rd_kafka_message_t* message, const char* name) {
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
    const void* value = nullptr;
    std::size_t size = 0;
    if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR || value == nullptr) {
        return {};
    }
    return {static_cast<const char*>(value), size};
}

OutboxEvent ToEvent(const rd_kafka_message_t* message) {
    OutboxEvent event;
    event.event_id = Header(message, kEventIdHeader);
    event.type = Header(message, kEventTypeHeader);
    if (message->key != nullptr) event.aggregate.assign(static_cast<const char*>(message->key), message->key_len);
    if (message->payload != nullptr) {
        event.payload.assign(static_cast<const char*>(message->payload), message->len);
    }
    return event;
}

}  // namespace

struct KafkaConsumer::Impl {
    detail::Handle consumer;

    // Commits the offset after `message`: the group resumes behind it.
    Result<void> Commit(const rd_kafka_message_t* message) {
        auto err = rd_kafka_commit_message(consumer.get(), message, 0);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return tl::unexpected(detail::Translate(err, "kafka commit"));
        return {};
    }

    // Back to `message`, so that the next poll delivers it again.
    void Rewind(const rd_kafka_message_t* message) {
        detail::PartitionList list(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(list.get(), rd_kafka_topic_name(message->rkt), message->partition)->offset =
            message->offset;
        detail::KafkaError failed(rd_kafka_seek_partitions(consumer.get(), list.get(), 5000));
        // A failed seek leaves the position past the message, but its offset is not committed: the
        // group's next member (or this one after a rebalance) starts at it.
    }
};

KafkaConsumer::KafkaConsumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KafkaConsumer::~KafkaConsumer() {
    rd_kafka_consumer_close(impl_->consumer.get());  // leaves the group at once
}

Result<std::unique_ptr<KafkaConsumer>> KafkaConsumer::Open(const KafkaOptions& options, const std::string& group) {
    auto conf = detail::MakeConf(
        options,
        {
            {"group.id", group},
            {"enable.auto.commit", "false"},
            {"auto.offset.reset", "earliest"},
        }
    );
    if (!conf) return Forward(conf.error());
    auto handle = detail::NewHandle(RD_KAFKA_CONSUMER, std::move(*conf));
    if (!handle) return Forward(handle.error());
    rd_kafka_poll_set_consumer(handle->get());
    detail::PartitionList topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), options.topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(handle->get(), topics.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return tl::unexpected(detail::Translate(err, "kafka subscribe"));
    }
    auto impl = std::make_unique<Impl>();
    impl->consumer = std::move(*handle);
    return std::unique_ptr<KafkaConsumer>(new KafkaConsumer(std::move(impl)));
}

Result<ConsumeOutcome> KafkaConsumer::Poll(const Handler& handler, std::int64_t max_messages, Millis wait) {
    ConsumeOutcome out;
    while (out.handled + out.skipped < max_messages) {
        detail::Message message(rd_kafka_consumer_poll(impl_->consumer.get(), static_cast<int>(wait.count())));
        if (!message) break;
        if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
        if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return tl::unexpected(detail::Translate(message->err, "kafka consume"));
        }
        const auto event = ToEvent(message.get());
        // Not an event of ours (no id to de-duplicate by), or one the handler can never take:
        // skipped for good rather than blocking its partition.
        auto handled =
            event.event_id.empty() ? Result<void>(MakeError(Errc::kInvalidArgument, "no event id")) : handler(event);
        if (!handled && handled.error().code != Errc::kInvalidArgument) {
            impl_->Rewind(message.get());
            return Forward(handled.error());
        }
        if (auto committed = impl_->Commit(message.get()); !committed) return Forward(committed.error());
        ++(handled ? out.handled : out.skipped);
    }
    return out;
}

}  // namespace ticketing::kafka
