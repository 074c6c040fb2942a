#include <charconv>
#include <cstdio>
#include <ticketing/domain/time.hpp>

namespace ticketing {
namespace {

// Reads exactly `width` digits at `pos`.
bool ReadNumber(std::string_view text, std::size_t pos, std::size_t width, int& out) {
    if (pos + width > text.size()) return false;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
    }
    std::from_chars(text.data() + pos, text.data() + pos + width, out);
    return true;
}

}  // namespace

std::string FormatRfc3339(Timestamp t) {
    using namespace std::chrono;
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    char buffer[64];
    std::snprintf(
        buffer,
        sizeof buffer,
        "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ",
        static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()),
        static_cast<unsigned>(ymd.day()),
        static_cast<long>(hms.hours().count()),
        static_cast<long>(hms.minutes().count()),
        static_cast<long>(hms.seconds().count()),
        static_cast<long>(hms.subseconds().count())
    );
    return buffer;
}

std::optional<Timestamp> ParseRfc3339(std::string_view text) {
    using namespace std::chrono;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (!ReadNumber(text, 0, 4, y) || text.size() < 19 || text[4] != '-' || !ReadNumber(text, 5, 2, mo) ||
        text[7] != '-' || !ReadNumber(text, 8, 2, d) || (text[10] != 'T' && text[10] != 't') ||
        !ReadNumber(text, 11, 2, h) || text[13] != ':' || !ReadNumber(text, 14, 2, mi) || text[16] != ':' ||
        !ReadNumber(text, 17, 2, s)) {
        return std::nullopt;
    }
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;

    std::size_t pos = 19;
    milliseconds fraction{0};
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        const std::size_t start = pos;
        std::int64_t scale = 100;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            fraction += milliseconds{(text[pos] - '0') * scale};
            scale /= 10;
            ++pos;
        }
        if (pos == start) return std::nullopt;
    }
    minutes offset{0};
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        int oh = 0, om = 0;
        if (!ReadNumber(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
            !ReadNumber(text, pos + 4, 2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset = hours{oh} + minutes{om};
        if (text[pos] == '-') offset = -offset;
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) return std::nullopt;
    return sys_days{ymd} + hours{h} + minutes{mi} + seconds{s} + fraction - offset;
}

}  // namespace ticketing
