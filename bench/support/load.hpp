#pragma once

// Load loops for the benchmark programs: N client threads, each call timed, throughput and latency
// percentiles out.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

namespace ticketing::bench {

using SteadyClock = std::chrono::steady_clock;

struct Figures {
    double ops_per_sec{0};
    double p50_us{0};
    double p95_us{0};
    double p99_us{0};
    std::int64_t ops{0};
    std::int64_t errors{0};
};

/// Runs `op(thread, i)` on `threads` threads until `total` calls are made or `duration` has passed,
/// timing every call; `op` returns false for a failed call.
template <class Op>
Figures Run(int threads, std::int64_t total, std::chrono::milliseconds duration, Op op) {
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
    std::atomic<std::int64_t> next{0};
    std::atomic<std::int64_t> errors{0};
    const auto start = SteadyClock::now();
    const auto deadline = start + duration;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            auto& mine = latencies[static_cast<std::size_t>(t)];
            for (auto i = next++; i < total && SteadyClock::now() < deadline; i = next++) {
                const auto begin = SteadyClock::now();
                if (!op(t, i)) ++errors;
                mine.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - begin).count());
            }
        });
    }
    for (auto& t : pool) t.join();
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    const auto at = [&](double q) {
        return all.empty()
                   ? 0.0
                   : all[std::min(all.size() - 1, static_cast<std::size_t>(q * static_cast<double>(all.size())))];
    };
    const auto ops = static_cast<std::int64_t>(all.size());
    return Figures{static_cast<double>(ops) / seconds, at(0.50), at(0.95), at(0.99), ops, errors.load()};
}

/// `Run` for a fixed number of calls.
template <class Op>
Figures Run(int threads, std::int64_t total, Op op) {
    return Run(threads, total, std::chrono::hours(24), op);
}

inline void Print(const char* name, const Figures& f) {
    std::printf(
        "%-24s %10.0f ops/s   p50 %9.1f us   p99 %9.1f us   failed %lld\n",
        name,
        f.ops_per_sec,
        f.p50_us,
        f.p99_us,
        static_cast<long long>(f.errors)
    );
}

}  // namespace ticketing::bench
