#include "log_event_sink.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <ticketing/json_writer.hpp>

namespace ticketing::runtime {
Result<std::unique_ptr<LogEventSink>> LogEventSink::Open(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "a");
    if (file == nullptr) {
        return MakeError(Errc::kUnavailable, "cannot open the event log " + path + ": " + std::strerror(errno));
    }
    return std::unique_ptr<LogEventSink>(new LogEventSink(file));
}

LogEventSink::~LogEventSink() {
    std::fclose(file_);
}

std::vector<Result<void>> LogEventSink::PublishBatch(std::span<const OutboxEvent> events) {
    std::string lines;
    for (const auto& event : events) {
        lines += JsonWriter()
                     .Field("eventId", event.event_id)
                     .Field("type", event.type)
                     .Field("aggregate", event.aggregate)
                     .Field("createdAt", FormatRfc3339(event.created_at))
                     .RawField("payload", event.payload.empty() ? "null" : event.payload)
                     .Done();
        lines += '\n';
    }
    Result<void> written;
    {
        std::lock_guard lock(mutex_);
        if (std::fwrite(lines.data(), 1, lines.size(), file_) != lines.size() || std::fflush(file_) != 0) {
            written = MakeError(Errc::kUnavailable, std::string("cannot write the event log: ") + std::strerror(errno));
        }
    }
    return std::vector<Result<void>>(events.size(), written);
}

}  // namespace ticketing::runtime
