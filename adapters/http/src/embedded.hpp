#pragma once

#include <span>
#include <string_view>

// Files compiled into the server (cmake/Embed.cmake): it serves them from memory, with no install step.
namespace ticketing::http {

/// openapi.json of this directory: the OpenAPI 3 document of the routes.
std::string_view OpenApiDocument();

struct EmbeddedFile {
    std::string_view name;  ///< path under web/, e.g. "index.html"
    std::string_view data;
};

/// The files of web/: the buyer pages and the operator dashboard.
std::span<const EmbeddedFile> WebFiles();

}  // namespace ticketing::http
