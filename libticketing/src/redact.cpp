#include <ticketing/redact.hpp>

namespace ticketing {

std::string RedactUrl(std::string_view url) {
    const auto scheme_end = url.find("://");
    const std::size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    const auto query = url.find_first_of("?#", start);
    const auto authority = url.substr(start, query == std::string_view::npos ? std::string_view::npos : query - start);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) return std::string(url);
    const auto colon = authority.substr(0, at).find(':');
    if (colon == std::string_view::npos || colon + 1 == at) return std::string(url);
    std::string out(url.substr(0, start + colon + 1));
    out += "***";
    out += url.substr(start + at);
    return out;
}

}  // namespace ticketing
