#pragma once

#include <string_view>

namespace ticketing {

/// Well-formed UTF-8: no stray or missing continuation bytes, no overlong forms, no surrogates
/// (U+D800..U+DFFF), nothing above U+10FFFF. Text the core stores must pass, so that every backend
/// (SQLite, MariaDB utf8mb4, Redis, JSON) keeps it as it came.
bool IsValidUtf8(std::string_view text);

}  // namespace ticketing
