#pragma once

// A MariaDB URL as SOCI's connect string, for the benchmarks' raw reference sessions.

#include <regex>
#include <stdexcept>
#include <string>
#include <ticketing/redact.hpp>

namespace ticketing::bench {

// "mysql://user:pass@host:port/db" as a SOCI connect string.
inline std::string SociConnect(const std::string& url) {
    static const std::regex pattern(R"(^(?:mysql|mariadb)://([^:@/]*)(?::([^@/]*))?@([^:/]+)(?::(\d+))?/(\w+)$)");
    std::smatch m;
    if (!std::regex_match(url, m, pattern)) throw std::runtime_error("cannot parse " + RedactUrl(url));
    return "db=" + m[5].str() + " user=" + m[1].str() + " password=" + m[2].str() + " host=" + m[3].str() +
           " port=" + (m[4].matched ? m[4].str() : "3306");
}

}  // namespace ticketing::bench
