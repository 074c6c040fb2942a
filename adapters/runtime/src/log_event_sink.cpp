#include "log_event_sink.hpp"

#include <cerrno>
#include <cstring>
#include <memory>

namespace ticketing::runtime {
namespace {

/// `text` as a JSON string literal.
std::string Quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
                    out += escaped;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

}  // namespace

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
    std::string line = "{\"eventId\":" + Quote(event.event_id) + ",\"type\":" + Quote(event.type) +
                       ",\"aggregate\":" + Quote(event.aggregate) +
                       ",\"createdAt\":" + Quote(FormatRfc3339(event.created_at)) +
                       ",\"payload\":" + (event.payload.empty() ? std::string("null") : event.payload) + "}\n";
    std::lock_guard lock(mutex_);
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
        return MakeError(Errc::kUnavailable, std::string("cannot write the event log: ") + std::strerror(errno));
    }
    return {};
}

}  // namespace ticketing::runtime
