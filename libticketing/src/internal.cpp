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

}  // namespace ticketing::internal
