#pragma once

#include <ticketing/app/sales_projection.hpp>
#include <ticketing/ports/event_sink.hpp>

namespace ticketing::runtime {

/// The embedded default's relay sink: an event counts as published once `inner` (the event log) took
/// it and the sales projection applied it, so the projection reads the same without Kafka. Each
/// application goes through the projection's inbox: an event relayed twice counts once.
class ProjectingSink final : public ports::EventSink {
public:
    ProjectingSink(ports::EventSink& inner, SalesProjection& sales) : inner_(inner), sales_(sales) {}

    std::vector<Result<void>> PublishBatch(std::span<const OutboxEvent> events) override;

private:
    ports::EventSink& inner_;
    SalesProjection& sales_;
};

}  // namespace ticketing::runtime
