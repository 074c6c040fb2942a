#pragma once

#include <string>
#include <string_view>

namespace ticketing {

/// `url` with the password of its userinfo replaced by "***", everything else kept:
/// "mysql://kim:s3cret@db:3306/app" -> "mysql://kim:***@db:3306/app". For every URL that may reach
/// an error message, a log line or a printed configuration.
///
/// The userinfo ends at the last '@' before any '?' or '#' (as the adapters' URL parsers read it),
/// so a password with an unescaped '@' or '/' is hidden whole; %-escapes are left as written. A URL
/// without userinfo, with a user only or with an empty password comes back unchanged; so does the
/// host, IPv6 ("[::1]:6379") included. Without "://" the whole text is read as the authority.
std::string RedactUrl(std::string_view url);

}  // namespace ticketing
