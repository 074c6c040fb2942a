#include "queue_eta.hpp"

#include <algorithm>
#include <cmath>

namespace ticketing::http {

bool QueueEta::ClaimSample(ConcertId concert, Timestamp now) {
    std::lock_guard lock(mutex_);
    auto& entry = concerts_[concert];
    if (now - entry.claimed < kSampleEvery) return false;
    entry.claimed = now;
    return true;
}

void QueueEta::Record(ConcertId concert, const QueueStats& stats, Timestamp now) {
    std::lock_guard lock(mutex_);
    auto& entry = concerts_[concert];
    entry.settings = stats.settings;
    // A counter that went back (a store that lost its data) starts the history over.
    if (!entry.samples.empty() && stats.admitted_total < entry.samples.back().admitted_total) entry.samples.clear();
    entry.samples.push_back({now, stats.admitted_total});
    while (entry.samples.size() > 1 && now - entry.samples.front().at > kWindow) entry.samples.pop_front();
}

std::optional<double> QueueEta::RateLocked(const Concert& concert) const {
    if (concert.samples.size() < 2 || concert.settings.paused) return std::nullopt;
    const auto& first = concert.samples.front();
    const auto& last = concert.samples.back();
    const double span = std::chrono::duration<double>(last.at - first.at).count();
    // Admissions come in ticks: a window shorter than one tick interval says nothing about the rate.
    if (span < static_cast<double>(concert.settings.tick_interval.count())) return std::nullopt;
    const auto admitted = last.admitted_total - first.admitted_total;
    if (admitted <= 0) return std::nullopt;
    return static_cast<double>(admitted) / span;
}

std::optional<double> QueueEta::MeasuredRate(ConcertId concert) const {
    std::lock_guard lock(mutex_);
    const auto it = concerts_.find(concert);
    if (it == concerts_.end()) return std::nullopt;
    return RateLocked(it->second);
}

QueueEta::Estimate QueueEta::For(ConcertId concert, std::int64_t position, std::int64_t fallback_seconds) const {
    Estimate out;
    out.wait_seconds = fallback_seconds;
    const std::int64_t ahead = std::max<std::int64_t>(position - 1, 0);
    {
        std::lock_guard lock(mutex_);
        const auto it = concerts_.find(concert);
        if (it != concerts_.end() && position > it->second.settings.admit_per_tick) {
            if (const auto rate = RateLocked(it->second)) {
                out.wait_seconds = static_cast<std::int64_t>(std::ceil(static_cast<double>(ahead) / *rate));
            }
        }
    }
    const auto by_distance = static_cast<std::int64_t>(std::ceil(std::sqrt(static_cast<double>(ahead))));
    const auto by_wait = std::max<std::int64_t>(out.wait_seconds / 2, kMinPollSeconds);
    out.poll_after_seconds = std::clamp(std::min(by_distance, by_wait), kMinPollSeconds, kMaxPollSeconds);
    return out;
}

}  // namespace ticketing::http
