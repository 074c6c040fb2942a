#include <algorithm>
#include <charconv>
#include <ticketing/domain/queue.hpp>

namespace ticketing {

std::int64_t EstimateWaitSeconds(
    std::int64_t position, const QueueSettings& settings, Timestamp next_tick_at, Timestamp now
) {
    if (position <= 0) return 0;
    const auto per_tick = std::max<std::int64_t>(settings.admit_per_tick, 1);
    const std::int64_t ticks_before = (position - 1) / per_tick;
    const auto until_next = std::max<std::int64_t>(std::chrono::ceil<Seconds>(next_tick_at - now).count(), 0);
    return until_next + ticks_before * settings.tick_interval.count();
}

std::string MakeQueueToken(ConcertId concert, std::string_view random_hex) {
    std::string token = std::to_string(concert.value);
    token += '.';
    token += random_hex;
    return token;
}

std::optional<ConcertId> QueueTokenConcert(std::string_view token) {
    constexpr std::size_t kHexDigits = 32;
    const auto dot = token.find('.');
    if (dot == std::string_view::npos || dot == 0 || token.size() - dot - 1 != kHexDigits) return std::nullopt;
    std::int64_t concert = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + dot, concert);
    if (ec != std::errc{} || end != token.data() + dot || concert <= 0) return std::nullopt;
    const bool hex = std::all_of(token.begin() + static_cast<std::ptrdiff_t>(dot) + 1, token.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
    if (!hex) return std::nullopt;
    return ConcertId{concert};
}

}  // namespace ticketing
