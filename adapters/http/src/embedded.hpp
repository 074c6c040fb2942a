#pragma once

#include <string_view>

// Files compiled into the server (cmake/Embed.cmake): it serves them from memory, with no install step.
namespace ticketing::http {

/// openapi.json of this directory: the OpenAPI 3 document of the routes.
std::string_view OpenApiDocument();

}  // namespace ticketing::http
