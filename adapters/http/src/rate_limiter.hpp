#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ticketing::http {

/// A token bucket per client key (the peer IP): `rate` tokens per second, `2 × rate` burst. Sharded so
/// that I/O threads rarely meet on a lock; idle buckets (full again) are dropped as the map grows.
/// Thread-safe.
class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    /// `rate` 0 turns the limiter off.
    explicit RateLimiter(std::int32_t rate) : rate_(rate), burst_(2.0 * rate) {}

    /// 0 when the request may go ahead; else the seconds to wait (Retry-After, at least 1).
    std::int64_t Acquire(std::string_view key, Clock::time_point now = Clock::now());

private:
    static constexpr std::size_t kShards = 16;
    static constexpr std::size_t kPruneAbove = 10'000;

    struct Bucket {
        double tokens{0};
        Clock::time_point updated;
    };
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, Bucket> buckets;
    };

    double rate_;
    double burst_;
    std::array<Shard, kShards> shards_;
};

}  // namespace ticketing::http
