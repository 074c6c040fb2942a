#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "message.hpp"

namespace ticketing::http {

/// A file of web/ (embedded at build time) as a response: its Content-Type, an ETag with
/// `Cache-Control: no-cache` (the browser revalidates and gets 304 while the file is unchanged), and
/// the strict Content-Security-Policy of the pages. 404 for a name web/ lacks.
Response WebFile(std::string_view name, const std::optional<std::string>& if_none_match);

}  // namespace ticketing::http
