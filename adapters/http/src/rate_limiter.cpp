#include "rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace ticketing::http {

std::int64_t RateLimiter::Acquire(std::string_view key, Clock::time_point now) {
    if (rate_ <= 0) return 0;
    auto& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
    std::lock_guard lock(shard.mutex);
    if (shard.buckets.size() > kPruneAbove) {
        // A bucket idle long enough to be full again is the same as no bucket.
        const auto refill = std::chrono::duration<double>(burst_ / rate_);
        std::erase_if(shard.buckets, [&](const auto& entry) { return now - entry.second.updated >= refill; });
    }
    auto [it, inserted] = shard.buckets.try_emplace(std::string(key), Bucket{burst_, now});
    auto& bucket = it->second;
    if (!inserted) {
        const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
        bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_);
        bucket.updated = now;
    }
    if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
    }
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((1 - bucket.tokens) / rate_)));
}

}  // namespace ticketing::http
