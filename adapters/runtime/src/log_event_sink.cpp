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

Result<void> LogEventSink::Publish(const OutboxEvent& event) {
    std::string line = JsonWriter()
                           .Field("eventId", event.event_id)
                           .Field("type", event.type)
                           .Field("aggregate", event.aggregate)
                           .Field("createdAt", FormatRfc3339(event.created_at))
                           .RawField("payload", event.payload.empty() ? "null" : event.payload)
                           .Done() +
                       "\n";
    std::lock_guard lock(mutex_);
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
        return MakeError(Errc::kUnavailable, std::string("cannot write the event log: ") + std::strerror(errno));
    }
    return {};
}

}  // namespace ticketing::runtime
