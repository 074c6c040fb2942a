#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <ticketing/error.hpp>
#include <utility>
#include <vector>

// Plain request and response values between the Beast session (server.cpp) and the routes (api.cpp),
// so that neither Beast nor Boost.JSON leaks into the other translation unit.
namespace ticketing::http {

struct Request {
    std::string method;
    std::string path;   ///< without the query string
    std::string query;  ///< after '?', undecoded
    std::string body;
    std::optional<std::string> authorization;
    std::optional<std::string> idempotency_key;
    std::optional<std::string> if_none_match;  ///< the pages: revalidation of a cached file
    std::string content_type;
};

struct Response {
    Response() = default;
    Response(int status_code, std::string content, std::string type = "application/json")
        : status(status_code), body(std::move(content)), content_type(std::move(type)) {}

    int status{200};
    std::string body;
    std::string content_type{"application/json"};
    std::vector<std::pair<std::string, std::string>> headers;
};

/// `{"error":{"code","message"}}` with the code's status; UNAVAILABLE and RATE_LIMITED carry Retry-After.
Response ErrorResponse(const Error& error, int retry_after_seconds = 1);
/// An error the table of product.md lacks (405, 408, 431): the status with its own code.
Response StatusResponse(int status, std::string_view code, std::string_view message);

}  // namespace ticketing::http
