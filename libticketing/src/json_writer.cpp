#include <cstdio>
#include <ticketing/json_writer.hpp>

namespace ticketing {

void JsonWriter::Name(std::string_view name) {
    if (out_.size() > 1) out_ += ',';
    out_ += '"';
    out_ += name;
    out_ += "\":";
}

JsonWriter& JsonWriter::Field(std::string_view name, std::string_view value) {
    Name(name);
    out_ += '"';
    for (char c : value) {
        switch (c) {
            case '"':
                out_ += "\\\"";
                break;
            case '\\':
                out_ += "\\\\";
                break;
            case '\n':
                out_ += "\\n";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
                    out_ += escaped;
                } else {
                    out_ += c;
                }
        }
    }
    out_ += '"';
    return *this;
}

JsonWriter& JsonWriter::Field(std::string_view name, std::int64_t value) {
    return RawField(name, std::to_string(value));
}

JsonWriter& JsonWriter::RawField(std::string_view name, std::string_view raw) {
    Name(name);
    out_ += raw;
    return *this;
}

std::string JsonWriter::Done() {
    return std::move(out_) + '}';
}

}  // namespace ticketing
