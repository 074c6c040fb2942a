// The server's parts that need no socket: waiting estimates from the measured admission rate, the per-IP
// token bucket, and the Prometheus text writer.

#include <gtest/gtest.h>

#include "metrics.hpp"
#include "queue_eta.hpp"
#include "rate_limiter.hpp"

namespace ticketing::http {
namespace {

using namespace std::chrono_literals;

const ConcertId kConcert{1};
const Timestamp kT0 = Timestamp{Millis{1'767'000'000'000}};

QueueStats Stats(std::int64_t admitted_total, std::int64_t per_tick = 50, Seconds tick = 60s, bool paused = false) {
    QueueStats stats;
    stats.admitted_total = admitted_total;
    stats.settings.admit_per_tick = per_tick;
    stats.settings.tick_interval = tick;
    stats.settings.paused = paused;
    return stats;
}

TEST(QueueEta, WithoutHistoryTheConfiguredEstimateStands) {
    QueueEta eta;
    EXPECT_EQ(eta.For(kConcert, 500, 540).wait_seconds, 540);
    eta.Record(kConcert, Stats(0), kT0);
    eta.Record(kConcert, Stats(50), kT0 + 30s);  // shorter than one tick interval: no rate yet
    EXPECT_EQ(eta.MeasuredRate(kConcert), std::nullopt);
    EXPECT_EQ(eta.For(kConcert, 500, 540).wait_seconds, 540);
}

TEST(QueueEta, PeopleAheadOverTheMeasuredRate) {
    QueueEta eta;
    // Configured 50 a minute, measured 10 a minute (say, maxActive is the real bound).
    eta.Record(kConcert, Stats(0), kT0);
    eta.Record(kConcert, Stats(10), kT0 + 60s);
    eta.Record(kConcert, Stats(20), kT0 + 120s);
    ASSERT_TRUE(eta.MeasuredRate(kConcert).has_value());
    EXPECT_NEAR(*eta.MeasuredRate(kConcert), 20.0 / 120.0, 1e-9);
    EXPECT_EQ(eta.For(kConcert, 101, 60).wait_seconds, 600);  // 100 ahead at 1/6 per second
    // The first batch goes at the next tick: the core's estimate of it stands.
    EXPECT_EQ(eta.For(kConcert, 10, 42).wait_seconds, 42);
}

TEST(QueueEta, PausedOrResetQueuesFallBack) {
    QueueEta eta;
    eta.Record(kConcert, Stats(0), kT0);
    eta.Record(kConcert, Stats(100), kT0 + 120s);
    EXPECT_TRUE(eta.MeasuredRate(kConcert).has_value());
    eta.Record(kConcert, Stats(100, 50, 60s, true), kT0 + 121s);
    EXPECT_EQ(eta.MeasuredRate(kConcert), std::nullopt);
    eta.Record(kConcert, Stats(5), kT0 + 122s);  // the counter went back: history starts over
    EXPECT_EQ(eta.MeasuredRate(kConcert), std::nullopt);
}

TEST(QueueEta, OldSamplesLeaveTheWindow) {
    QueueEta eta;
    eta.Record(kConcert, Stats(0), kT0);
    eta.Record(kConcert, Stats(1000), kT0 + 60s);
    eta.Record(kConcert, Stats(1000), kT0 + QueueEta::kWindow + 120s);
    // Only samples within the window count: nothing admitted lately means no measured rate.
    EXPECT_EQ(eta.MeasuredRate(kConcert), std::nullopt);
}

TEST(QueueEta, PollIntervalGrowsWithDistanceWithinBounds) {
    QueueEta eta;
    EXPECT_EQ(eta.For(kConcert, 1, 5).poll_after_seconds, QueueEta::kMinPollSeconds);
    const auto near = eta.For(kConcert, 50, 600).poll_after_seconds;
    const auto mid = eta.For(kConcert, 900, 6000).poll_after_seconds;
    const auto far = eta.For(kConcert, 100'000, 100'000).poll_after_seconds;
    EXPECT_LT(near, mid);
    EXPECT_LT(mid, far);
    EXPECT_EQ(far, QueueEta::kMaxPollSeconds);
    // Never much longer than the wait itself.
    EXPECT_LE(eta.For(kConcert, 10'000, 10).poll_after_seconds, 5);
}

TEST(QueueEta, OneCallerSamplesPerInterval) {
    QueueEta eta;
    EXPECT_TRUE(eta.ClaimSample(kConcert, kT0));
    EXPECT_FALSE(eta.ClaimSample(kConcert, kT0 + 500ms));
    EXPECT_TRUE(eta.ClaimSample(ConcertId{2}, kT0 + 500ms));
    EXPECT_TRUE(eta.ClaimSample(kConcert, kT0 + 1s));
}

TEST(RateLimiter, BurstThenRateThenRetryAfter) {
    RateLimiter limiter(1);
    const auto t0 = RateLimiter::Clock::now();
    EXPECT_EQ(limiter.Acquire("10.0.0.1", t0), 0);
    EXPECT_EQ(limiter.Acquire("10.0.0.1", t0), 0);
    EXPECT_GE(limiter.Acquire("10.0.0.1", t0), 1);
    EXPECT_EQ(limiter.Acquire("10.0.0.2", t0), 0);  // per client
    EXPECT_EQ(limiter.Acquire("10.0.0.1", t0 + 1s), 0);
    EXPECT_GE(limiter.Acquire("10.0.0.1", t0 + 1s), 1);
}

TEST(RateLimiter, ZeroIsOff) {
    RateLimiter limiter(0);
    for (int i = 0; i < 10'000; ++i) ASSERT_EQ(limiter.Acquire("10.0.0.1"), 0);
}

TEST(PrometheusWriter, FamiliesAndEscapedLabels) {
    PrometheusWriter out;
    out.Family("x_total", "counter", "Things.");
    out.Sample("x_total", {{"route", "a\"b\\c\nd"}}, 3);
    out.Sample("x_total", {}, 1.5);
    EXPECT_EQ(
        out.Take(),
        "# HELP x_total Things.\n# TYPE x_total counter\nx_total{route=\"a\\\"b\\\\c\\nd\"} 3\nx_total 1.5\n"
    );
}

TEST(Metrics, CumulativeHistogramBuckets) {
    Metrics metrics;
    metrics.Observe("/r", "GET", 200, 2ms);
    metrics.Observe("/r", "GET", 404, 20ms);
    PrometheusWriter out;
    metrics.Render(out);
    const auto text = out.Take();
    EXPECT_NE(
        text.find("ticketing_http_requests_total{route=\"/r\",method=\"GET\",status=\"404\"} 1"), std::string::npos
    );
    EXPECT_NE(
        text.find("ticketing_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.0025\"} 1"), std::string::npos
    );
    EXPECT_NE(
        text.find("ticketing_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.025\"} 2"), std::string::npos
    );
    EXPECT_NE(text.find("ticketing_http_request_duration_seconds_count{route=\"/r\"} 2"), std::string::npos);
}

}  // namespace
}  // namespace ticketing::http
