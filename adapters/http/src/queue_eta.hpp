#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <ticketing/domain/queue.hpp>
#include <unordered_map>

namespace ticketing::http {

/// Waiting-room estimates from the admission rate actually measured: samples of each concert's
/// `admitted_total` (shared by every instance, so the rate is the whole system's) over a recent window.
/// Thread-safe.
class QueueEta {
public:
    static constexpr Seconds kWindow{300};
    static constexpr Seconds kSampleEvery{1};
    static constexpr std::int64_t kMinPollSeconds = 2;
    static constexpr std::int64_t kMaxPollSeconds = 60;

    struct Estimate {
        std::int64_t wait_seconds{0};
        std::int64_t poll_after_seconds{kMinPollSeconds};
    };

    /// True for one caller when the concert has no sample from the last `kSampleEvery`: that caller
    /// reads the concert's stats and Records them (the others do not all read the store at once).
    bool ClaimSample(ConcertId concert, Timestamp now);
    void Record(ConcertId concert, const QueueStats& stats, Timestamp now);

    /// For a WAITING position: people ahead ÷ the measured admissions per second, or `fallback_seconds`
    /// (the core's estimate from the configured rate and the next tick) without enough history, and for
    /// the first batch, which the next tick admits. The poll interval grows with the square root of the
    /// distance, from kMinPollSeconds near the front to kMaxPollSeconds, and never much beyond the wait.
    Estimate For(ConcertId concert, std::int64_t position, std::int64_t fallback_seconds) const;

    /// Admissions per second over the window; nullopt without history (paused, or too few samples).
    std::optional<double> MeasuredRate(ConcertId concert) const;

private:
    struct Sample {
        Timestamp at;
        std::int64_t admitted_total{0};
    };
    struct Concert {
        std::deque<Sample> samples;
        QueueSettings settings;
        Timestamp claimed;
    };

    std::optional<double> RateLocked(const Concert& concert) const;

    mutable std::mutex mutex_;
    std::unordered_map<ConcertId, Concert> concerts_;
};

}  // namespace ticketing::http
