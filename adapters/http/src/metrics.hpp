#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <ticketing/runtime/runtime.hpp>
#include <tuple>
#include <vector>

namespace ticketing::http {

/// Prometheus text exposition (format 0.0.4): families with HELP and TYPE, escaped label values.
class PrometheusWriter {
public:
    using Labels = std::vector<std::pair<std::string_view, std::string>>;

    void Family(std::string_view name, std::string_view type, std::string_view help);
    void Sample(std::string_view name, const Labels& labels, double value);
    std::string Take() { return std::move(out_); }

private:
    std::string out_;
};

/// Request counters and latency histograms of this process. Thread-safe.
class Metrics {
public:
    /// Upper bounds of the latency histogram, in seconds.
    static constexpr std::array<double, 12> kBuckets{
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

    /// `route` is a path template (a bounded set), never a raw path.
    void Observe(std::string_view route, std::string_view method, int status, std::chrono::nanoseconds duration);
    void Render(PrometheusWriter& out) const;

private:
    struct Histogram {
        std::array<std::int64_t, kBuckets.size()> counts{};  ///< not cumulative
        std::int64_t count{0};
        double sum{0};
    };

    mutable std::mutex mutex_;
    std::map<std::tuple<std::string, std::string, int>, std::int64_t, std::less<>> requests_;
    std::map<std::string, Histogram, std::less<>> latency_;
};

/// The runtime's counters, job runs and backend gauges (`gauges` may be an error: the families are then
/// left out and `ticketing_gauges_up` is 0).
void RenderRuntime(
    PrometheusWriter& out,
    const runtime::Counters& counters,
    const std::vector<runtime::JobStatus>& jobs,
    const Result<runtime::Gauges>& gauges
);

}  // namespace ticketing::http
