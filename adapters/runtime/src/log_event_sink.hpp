#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <ticketing/ports/event_sink.hpp>

namespace ticketing::runtime {

/// The embedded default's event sink: one JSON line per event appended to a file, flushed (once per
/// batch) before PublishBatch returns, so the outbox drains without Kafka. Thread-safe.
class LogEventSink final : public ports::EventSink {
public:
    /// UNAVAILABLE when the file cannot be opened for appending.
    static Result<std::unique_ptr<LogEventSink>> Open(const std::string& path);
    ~LogEventSink() override;
    LogEventSink(const LogEventSink&) = delete;
    LogEventSink& operator=(const LogEventSink&) = delete;

    std::vector<Result<void>> PublishBatch(std::span<const OutboxEvent> events) override;

private:
    explicit LogEventSink(std::FILE* file) : file_(file) {}

    std::mutex mutex_;
    std::FILE* file_;
};

}  // namespace ticketing::runtime
