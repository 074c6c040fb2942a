#include <array>
#include <chrono>
#include <mutex>
#include <ticketing/kafka/kafka_event_sink.hpp>

#include "handles.hpp"

namespace ticketing::kafka {
namespace {

/// One message's place in its batch: where its delivery report goes.
struct Delivery {
    Result<void>* result;
    std::int64_t* outstanding;
};

void OnDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* /*opaque*/) {
    auto* delivery = static_cast<Delivery*>(message->_private);
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        *delivery->result = tl::unexpected(detail::Translate(message->err, "kafka delivery"));
    }
    --*delivery->outstanding;
}

}  // namespace

struct KafkaEventSink::Impl {
    KafkaOptions options;
    std::mutex mutex;  // one batch at a time: delivery reports are served by the publishing thread
    detail::Handle producer;

    Result<void> EnsureProducer() {
        if (producer) return {};
        auto conf = detail::MakeConf(
            options,
            {
                {"enable.idempotence", "true"},
                {"acks", "all"},
                {"linger.ms", "5"},
                // Batches go out whole: Nagle's delay would hold the last segment of each for an ACK.
                {"socket.nagle.disable", "true"},
                {"message.timeout.ms", std::to_string(options.delivery_timeout.count())},
            }
        );
        if (!conf) return Forward(conf.error());
        rd_kafka_conf_set_dr_msg_cb(conf->get(), OnDelivery);
        auto handle = detail::NewHandle(RD_KAFKA_PRODUCER, std::move(*conf));
        if (!handle) return Forward(handle.error());
        producer = std::move(*handle);
        return {};
    }

    rd_kafka_resp_err_t Produce(const OutboxEvent& event, Delivery* delivery) {
        std::array<rd_kafka_vu_t, 7> values{};
        values[0].vtype = RD_KAFKA_VTYPE_TOPIC;
        values[0].u.cstr = options.topic.c_str();
        values[1].vtype = RD_KAFKA_VTYPE_KEY;
        values[1].u.mem = {const_cast<char*>(event.aggregate.data()), event.aggregate.size()};
        values[2].vtype = RD_KAFKA_VTYPE_VALUE;
        values[2].u.mem = {const_cast<char*>(event.payload.data()), event.payload.size()};
        values[3].vtype = RD_KAFKA_VTYPE_HEADER;
        values[3].u.header = {kEventIdHeader, event.event_id.data(), static_cast<ssize_t>(event.event_id.size())};
        values[4].vtype = RD_KAFKA_VTYPE_HEADER;
        values[4].u.header = {kEventTypeHeader, event.type.data(), static_cast<ssize_t>(event.type.size())};
        values[5].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
        values[5].u.i = RD_KAFKA_MSG_F_COPY;  // the events die with the batch
        values[6].vtype = RD_KAFKA_VTYPE_OPAQUE;
        values[6].u.ptr = delivery;
        detail::KafkaError error(rd_kafka_produceva(producer.get(), values.data(), values.size()));
        return error ? rd_kafka_error_code(error.get()) : RD_KAFKA_RESP_ERR_NO_ERROR;
    }
};

KafkaEventSink::KafkaEventSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KafkaEventSink::~KafkaEventSink() = default;

Result<std::unique_ptr<KafkaEventSink>> KafkaEventSink::Open(const KafkaOptions& options) {
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    if (auto ok = impl->EnsureProducer(); !ok) return Forward(ok.error());
    return std::unique_ptr<KafkaEventSink>(new KafkaEventSink(std::move(impl)));
}

std::vector<Result<void>> KafkaEventSink::PublishBatch(std::span<const OutboxEvent> events) {
    std::lock_guard lock(impl_->mutex);
    if (auto ok = impl_->EnsureProducer(); !ok) return std::vector<Result<void>>(events.size(), ok);
    rd_kafka_t* rk = impl_->producer.get();

    std::vector<Result<void>> results(events.size());
    std::vector<Delivery> deliveries(events.size());
    std::int64_t outstanding = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        deliveries[i] = {&results[i], &outstanding};
        auto err = impl_->Produce(events[i], &deliveries[i]);
        while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 10);  // serves delivery reports, which frees the local queue
            err = impl_->Produce(events[i], &deliveries[i]);
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            results[i] = tl::unexpected(detail::Translate(err, "kafka produce"));
        } else {
            ++outstanding;
        }
    }
    // Every message ends in a delivery report within message.timeout.ms; the margin covers the
    // in-flight request's own timeout. Past it, what is left is purged, which reports it too. flush
    // serves the reports as they come (it polls), and returns as soon as none is outstanding.
    const auto deadline = std::chrono::steady_clock::now() + impl_->options.delivery_timeout + std::chrono::seconds{5};
    while (outstanding > 0 && std::chrono::steady_clock::now() < deadline) rd_kafka_flush(rk, 100);
    if (outstanding > 0) {
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        while (outstanding > 0) rd_kafka_poll(rk, 20);
    }
    // An idempotent producer that raised a fatal error (its sequence broken) produces no more:
    // the next batch starts a new one. Its unmarked events were reported failed and go again.
    std::array<char, 256> reason{};
    if (rd_kafka_fatal_error(rk, reason.data(), reason.size()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        impl_->producer.reset();
    }
    return results;
}

}  // namespace ticketing::kafka
