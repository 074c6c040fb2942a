// The buyer pages and the operator dashboard: embedded files with caching and security headers.
#include "web.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "embedded.hpp"

namespace ticketing::http {

namespace {

// Scripts and styles from this origin only (no inline code, no eval), API calls to this origin only.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string_view ContentType(std::string_view name) {
    constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kTypes{{
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
    }};
    for (const auto& [extension, type] : kTypes) {
        if (name.ends_with(extension)) return type;
    }
    return "application/octet-stream";
}

/// A strong ETag from the bytes (FNV-1a, 64 bits): the same build serves the same tags on every instance.
std::string ETagOf(std::string_view data) {
    std::uint64_t hash = 14'695'981'039'346'656'037ULL;
    for (const char c : data) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 1'099'511'628'211ULL;
    }
    return fmt::format("\"{:016x}\"", hash);
}

struct Served {
    EmbeddedFile file;
    std::string etag;
};

const std::vector<Served>& Files() {
    static const std::vector<Served> files = [] {
        std::vector<Served> out;
        for (const auto& file : WebFiles()) out.push_back({file, ETagOf(file.data)});
        return out;
    }();
    return files;
}

/// Whether an If-None-Match header names `etag` (a list, or "*").
bool Matches(std::string_view header, std::string_view etag) {
    while (!header.empty()) {
        const auto comma = header.find(',');
        auto item = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.starts_with("W/")) item.remove_prefix(2);
        if (item == etag || item == "*") return true;
    }
    return false;
}

}  // namespace

Response WebFile(std::string_view name, const std::optional<std::string>& if_none_match) {
    const auto& files = Files();
    const auto it = std::find_if(files.begin(), files.end(), [name](const Served& s) { return s.file.name == name; });
    if (it == files.end()) return StatusResponse(404, "NOT_FOUND", "no such file");
    const bool fresh = if_none_match && Matches(*if_none_match, it->etag);
    Response response{
        fresh ? 304 : 200, fresh ? std::string{} : std::string(it->file.data), std::string(ContentType(name))};
    response.headers = {
        {"ETag", it->etag},
        {"Cache-Control", "no-cache"},
        {"Content-Security-Policy", std::string(kContentSecurityPolicy)},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
    };
    return response;
}

}  // namespace ticketing::http
