#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ticketing {

/// A minimal JSON object writer (the core has no JSON library): event payloads, and event lines of
/// sinks that need no JSON library either.
class JsonWriter {
public:
    JsonWriter& Field(std::string_view name, std::string_view value);
    JsonWriter& Field(std::string_view name, std::int64_t value);
    /// `raw` is already JSON.
    JsonWriter& RawField(std::string_view name, std::string_view raw);
    std::string Done();

private:
    void Name(std::string_view name);
    std::string out_{"{"};
};

}  // namespace ticketing
