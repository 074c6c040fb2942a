#include "internal.hpp"

#include <charconv>
#include <cstdio>
#include <string>

namespace ticketing {

Result<ports::PageRequest> ToPageRequest(PageQuery query) {
    const auto limit = query.limit.value_or(kDefaultPageLimit);
    if (limit < 1 || limit > kMaxPageLimit) return MakeError(Errc::kInvalidArgument, "limit must be within 1..100");
    const auto cursor = query.cursor.value_or(0);
    if (cursor < 0) return MakeError(Errc::kInvalidArgument, "cursor must be a positive id");
    return ports::PageRequest{cursor, limit};
}

}  // namespace ticketing

namespace ticketing::internal {

std::string LockKey(std::string_view kind, std::int64_t id) {
    return std::string(kind) + ":" + std::to_string(id);
}

std::vector<std::string> ReservationKeys(const Reservation& reservation) {
    std::vector<std::string> keys{LockKey("reservation", reservation.id.value)};
    for (const auto& seat : reservation.seats) keys.push_back(LockKey("seat", seat.seat_id.value));
    return keys;
}

LockKeys ReservationLockKeys(ReservationId id, std::vector<std::string> also) {
    also.push_back(LockKey("reservation", id.value));
    return LockKeys{std::move(also), [id](ports::UnitOfWork& uow) -> Result<std::vector<std::string>> {
                        auto found = uow.FindReservation(id);
                        if (!found) return Forward(found.error());
                        return *found ? ReservationKeys(**found) : std::vector<std::string>{};
                    }};
}

std::string JoinJsonArray(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ',';
        out += items[i];
    }
    return out + ']';
}

std::optional<std::int64_t> RecordField(std::string_view record, std::string_view key) {
    std::size_t pos = 0;
    while (pos <= record.size()) {
        const auto end = std::min(record.find(';', pos), record.size());
        const auto part = record.substr(pos, end - pos);
        const auto eq = part.find('=');
        if (eq != std::string_view::npos && part.substr(0, eq) == key) {
            std::int64_t value = 0;
            const auto text = part.substr(eq + 1);
            const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
            return value;
        }
        pos = end + 1;
    }
    return std::nullopt;
}

namespace {

constexpr std::size_t kNone = std::string_view::npos;

std::size_t SkipSpace(std::string_view text, std::size_t at) {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) ++at;
    return at;
}

// Past the string starting at `at` (a quote), or kNone.
std::size_t SkipString(std::string_view text, std::size_t at) {
    for (++at; at < text.size(); ++at) {
        if (text[at] == '\\') {
            ++at;
        } else if (text[at] == '"') {
            return at + 1;
        }
    }
    return kNone;
}

// Past the value starting at `at`, or kNone: strings, nested objects and arrays, scalars.
std::size_t SkipValue(std::string_view text, std::size_t at) {
    if (at >= text.size()) return kNone;
    if (text[at] == '"') return SkipString(text, at);
    if (text[at] == '{' || text[at] == '[') {
        int depth = 0;
        while (at < text.size()) {
            const char c = text[at];
            if (c == '"') {
                at = SkipString(text, at);
                if (at == kNone) return kNone;
                continue;
            }
            if (c == '{' || c == '[') ++depth;
            if ((c == '}' || c == ']') && --depth == 0) return at + 1;
            ++at;
        }
        return kNone;
    }
    const auto end = text.find_first_of(",}] \t\r\n", at);
    return end == at ? kNone : (end == kNone ? text.size() : end);
}

// Calls `visit(raw element)` (or `visit(key, raw value)` for an object) for each top-level item of
// the object or array `text`; false when the text is not one.
template <class Visit>
bool ForEachItem(std::string_view text, char open, char close, Visit visit) {
    auto at = SkipSpace(text, 0);
    if (at >= text.size() || text[at] != open) return false;
    at = SkipSpace(text, at + 1);
    if (at < text.size() && text[at] == close) return SkipSpace(text, at + 1) == text.size();
    for (;;) {
        std::string_view key;
        if (open == '{') {
            const auto key_end = text[at] == '"' ? SkipString(text, at) : kNone;
            if (key_end == kNone) return false;
            key = text.substr(at + 1, key_end - at - 2);
            at = SkipSpace(text, key_end);
            if (at >= text.size() || text[at] != ':') return false;
            at = SkipSpace(text, at + 1);
        }
        const auto end = SkipValue(text, at);
        if (end == kNone) return false;
        visit(key, text.substr(at, end - at));
        at = SkipSpace(text, end);
        if (at >= text.size()) return false;
        if (text[at] == close) return SkipSpace(text, at + 1) == text.size();
        if (text[at] != ',') return false;
        at = SkipSpace(text, at + 1);
    }
}

}  // namespace

std::optional<std::string_view> JsonField(std::string_view object, std::string_view key) {
    std::optional<std::string_view> found;
    const bool ok = ForEachItem(object, '{', '}', [&](std::string_view name, std::string_view value) {
        if (name == key) found = value;
    });
    return ok ? found : std::nullopt;
}

std::optional<std::int64_t> JsonIntField(std::string_view object, std::string_view key) {
    auto raw = JsonField(object, key);
    if (!raw) return std::nullopt;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), value);
    if (ec != std::errc{} || end != raw->data() + raw->size()) return std::nullopt;
    return value;
}

std::optional<std::int64_t> JsonArraySize(std::string_view array) {
    std::int64_t size = 0;
    if (!ForEachItem(array, '[', ']', [&](std::string_view, std::string_view) { ++size; })) return std::nullopt;
    return size;
}

}  // namespace ticketing::internal
