#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ticketing {

/// Wall-clock time in milliseconds: the precision every backend stores exactly.
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
using Millis = std::chrono::milliseconds;
using Seconds = std::chrono::seconds;

/// RFC 3339 UTC with millisecond precision, e.g. "2024-08-23T10:00:00.000Z".
std::string FormatRfc3339(Timestamp t);
/// Parses RFC 3339 ("Z" or a numeric offset; fractional seconds optional). nullopt when malformed.
std::optional<Timestamp> ParseRfc3339(std::string_view text);

}  // namespace ticketing
