#include "metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ticketing::http {
namespace {

void AppendEscaped(std::string& out, std::string_view value) {
    for (const char c : value) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                out += c;
        }
    }
}

constexpr std::array<LockStrategyKind, 3> kStrategies{
    LockStrategyKind::kOptimistic, LockStrategyKind::kPessimistic, LockStrategyKind::kRedis};

}  // namespace

void PrometheusWriter::Family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void PrometheusWriter::Sample(std::string_view name, const Labels& labels, double value) {
    out_ += name;
    if (!labels.empty()) {
        out_ += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i > 0) out_ += ',';
            out_ += labels[i].first;
            out_ += "=\"";
            AppendEscaped(out_, labels[i].second);
            out_ += '"';
        }
        out_ += '}';
    }
    if (std::isinf(value)) {
        out_ += value > 0 ? " +Inf\n" : " -Inf\n";
    } else {
        fmt::format_to(std::back_inserter(out_), " {}\n", value);
    }
}

void Metrics::Observe(std::string_view route, std::string_view method, int status, std::chrono::nanoseconds duration) {
    const double seconds = std::chrono::duration<double>(duration).count();
    const auto bucket =
        static_cast<std::size_t>(std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin());
    std::lock_guard lock(mutex_);
    auto key = std::make_tuple(std::string(route), std::string(method), status);
    ++requests_[std::move(key)];
    auto it = latency_.find(route);
    if (it == latency_.end()) it = latency_.emplace(std::string(route), Histogram{}).first;
    auto& histogram = it->second;
    if (bucket < kBuckets.size()) ++histogram.counts[bucket];
    ++histogram.count;
    histogram.sum += seconds;
}

void Metrics::Render(PrometheusWriter& out) const {
    std::lock_guard lock(mutex_);
    out.Family(
        "ticketing_http_requests_total", "counter", "HTTP requests answered, by route template, method and status."
    );
    for (const auto& [key, count] : requests_) {
        const auto& [route, method, status] = key;
        out.Sample(
            "ticketing_http_requests_total",
            {{"route", route}, {"method", method}, {"status", std::to_string(status)}},
            static_cast<double>(count)
        );
    }
    out.Family(
        "ticketing_http_request_duration_seconds",
        "histogram",
        "Time from a request's headers to its response, by route."
    );
    for (const auto& [route, histogram] : latency_) {
        std::int64_t cumulative = 0;
        for (std::size_t i = 0; i < kBuckets.size(); ++i) {
            cumulative += histogram.counts[i];
            out.Sample(
                "ticketing_http_request_duration_seconds_bucket",
                {{"route", route}, {"le", fmt::format("{}", kBuckets[i])}},
                static_cast<double>(cumulative)
            );
        }
        out.Sample(
            "ticketing_http_request_duration_seconds_bucket",
            {{"route", route}, {"le", "+Inf"}},
            static_cast<double>(histogram.count)
        );
        out.Sample("ticketing_http_request_duration_seconds_sum", {{"route", route}}, histogram.sum);
        out.Sample(
            "ticketing_http_request_duration_seconds_count", {{"route", route}}, static_cast<double>(histogram.count)
        );
    }
}

void RenderRuntime(
    PrometheusWriter& out,
    const runtime::Counters& counters,
    const std::vector<runtime::JobStatus>& jobs,
    const Result<runtime::Gauges>& gauges
) {
    struct LockFamily {
        std::string_view name;
        std::string_view help;
        std::int64_t runtime::LockCounters::*field;
    };
    static constexpr std::array<LockFamily, 5> kLockFamilies{{
        {"ticketing_lock_attempts_total",
         "Units of work run under the lock strategy.",
         &runtime::LockCounters::attempts},
        {"ticketing_lock_version_conflicts_total",
         "Versioned writes that lost a race.",
         &runtime::LockCounters::version_conflicts},
        {"ticketing_lock_retries_total", "Units of work retried after a lost race.", &runtime::LockCounters::retries},
        {"ticketing_lock_waits_total", "Waits for a busy lock or lease.", &runtime::LockCounters::lock_waits},
        {"ticketing_lock_conflicts_total",
         "CONFLICTs given up after retries or waits.",
         &runtime::LockCounters::conflicts},
    }};
    for (const auto& family : kLockFamilies) {
        out.Family(family.name, "counter", family.help);
        for (std::size_t i = 0; i < kStrategies.size(); ++i) {
            out.Sample(
                family.name,
                {{"strategy", std::string(ToString(kStrategies[i]))}},
                static_cast<double>(counters.locks[i].*family.field)
            );
        }
    }
    out.Family("ticketing_seats_sold_total", "counter", "Seats sold by this process since start.");
    out.Sample("ticketing_seats_sold_total", {}, static_cast<double>(counters.seats_sold));

    out.Family("ticketing_job_runs_total", "counter", "Background job runs that did the work (held the lease).");
    for (const auto& job : jobs)
        out.Sample("ticketing_job_runs_total", {{"job", job.name}}, static_cast<double>(job.runs));
    out.Family("ticketing_job_skipped_total", "counter", "Background job runs left to another instance.");
    for (const auto& job : jobs) {
        out.Sample("ticketing_job_skipped_total", {{"job", job.name}}, static_cast<double>(job.skipped));
    }
    out.Family("ticketing_job_failures_total", "counter", "Background job runs that failed.");
    for (const auto& job : jobs) {
        out.Sample("ticketing_job_failures_total", {{"job", job.name}}, static_cast<double>(job.failures));
    }

    out.Family(
        "ticketing_job_items_total",
        "counter",
        "Items a job handled: users admitted, holds expired, events relayed, rows deleted."
    );
    for (const auto& job : jobs)
        out.Sample("ticketing_job_items_total", {{"job", job.name}}, static_cast<double>(job.items));

    out.Family("ticketing_gauges_up", "gauge", "1 when the backend gauges below could be read.");
    out.Sample("ticketing_gauges_up", {}, gauges ? 1 : 0);
    if (!gauges) return;
    const auto& g = *gauges;
    const auto concert_samples = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
        out.Family(name, type, help);
        for (const auto& [concert, stats] : g.queues) {
            out.Sample(name, {{"concert", std::to_string(concert.value)}}, static_cast<double>(value(stats)));
        }
    };
    concert_samples("ticketing_queue_waiting", "gauge", "Users waiting in a concert's queue.", [](const QueueStats& s) {
        return s.waiting;
    });
    concert_samples("ticketing_queue_active", "gauge", "Users admitted and active.", [](const QueueStats& s) {
        return s.active;
    });
    concert_samples(
        "ticketing_queue_admitted_total",
        "counter",
        "Users admitted since the queue began.",
        [](const QueueStats& s) { return s.admitted_total; }
    );
    out.Family("ticketing_holds_active", "gauge", "Live seat holds.");
    out.Sample("ticketing_holds_active", {}, static_cast<double>(g.holds_active));
    out.Family("ticketing_outbox_pending", "gauge", "Outbox events not yet published.");
    out.Sample("ticketing_outbox_pending", {}, static_cast<double>(g.outbox.pending));
    out.Family("ticketing_outbox_dead", "gauge", "Outbox events that need an operator.");
    out.Sample("ticketing_outbox_dead", {}, static_cast<double>(g.outbox.dead));
    out.Family("ticketing_outbox_oldest_pending_age_seconds", "gauge", "Age of the oldest pending outbox event.");
    out.Sample(
        "ticketing_outbox_oldest_pending_age_seconds", {}, static_cast<double>(g.outbox.oldest_pending_age_seconds)
    );
}

}  // namespace ticketing::http
