// The Redis queue store under load: joins and status lookups (the hottest path) from N client
// threads over a queue of 100 000 waiting users, with throughput and latency percentiles.
//   ticketing_bench_redis [redis://host:port/db] [users] [threads] [lookups]
// The URL defaults to $TICKETING_TEST_REDIS, then redis://127.0.0.1:6390/0. Keys use a private
// prefix and are deleted at the end. bench/redis/run.sh prints these beside redis-benchmark's.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <ticketing/redact.hpp>
#include <ticketing/redis/redis_queue_store.hpp>
#include <vector>

#include "../support/load.hpp"

namespace {

using namespace ticketing;
using bench::Print;
using bench::Run;

}  // namespace

int main(int argc, char** argv) {
    const char* env_url = std::getenv("TICKETING_TEST_REDIS");
    const std::string url = argc > 1 ? argv[1] : (env_url != nullptr ? env_url : "redis://127.0.0.1:6390/0");
    const std::int64_t users = argc > 2 ? std::atoll(argv[2]) : 100'000;
    const int threads = argc > 3 ? std::atoi(argv[3]) : 16;
    const std::int64_t lookups = argc > 4 ? std::atoll(argv[4]) : 200'000;

    auto options = redis::ParseRedisUrl(url);
    if (!options) {
        std::fprintf(stderr, "%s\n", options.error().message.c_str());
        return 2;
    }
    options->pool_size = static_cast<std::size_t>(threads);
    auto client = std::make_shared<redis::RedisClient>(*options);
    if (auto ping = client->Ping(); !ping) {
        std::fprintf(stderr, "redis at %s: %s\n", RedactUrl(url).c_str(), ping.error().message.c_str());
        return 1;
    }
    const std::string prefix = "bench:" + std::to_string(::getpid()) + ":";
    redis::RedisQueueStore store(client, redis::RedisQueueStoreOptions{prefix});
    const ConcertId concert{1};
    const QueueSettings settings{};
    const Timestamp now{std::chrono::milliseconds{1'767'000'000'000}};

    std::vector<std::string> tokens(static_cast<std::size_t>(users));
    for (std::int64_t i = 0; i < users; ++i) {
        char hex[33];
        std::snprintf(hex, sizeof hex, "%032llx", static_cast<unsigned long long>(i + 1));
        tokens[static_cast<std::size_t>(i)] = MakeQueueToken(concert, hex);
    }

    std::printf(
        "redis %s, %lld waiting users, %d client threads\n",
        RedactUrl(url).c_str(),
        static_cast<long long>(users),
        threads
    );
    const auto joins = Run(threads, users, [&](int, std::int64_t i) {
        return store.Join(concert, UserId{i + 1}, tokens[static_cast<std::size_t>(i)], now, settings).has_value();
    });
    Print("join", joins);

    std::vector<std::minstd_rand> rngs;
    for (int t = 0; t < threads; ++t) rngs.emplace_back(static_cast<unsigned>(t + 1));
    const auto status = Run(threads, lookups, [&](int t, std::int64_t) {
        auto& rng = rngs[static_cast<std::size_t>(t)];
        const auto i = static_cast<std::size_t>(rng() % static_cast<std::uint64_t>(users));
        auto view = store.Lookup(tokens[i], now, settings);
        return view.has_value() && view->has_value();
    });
    Print("status", status);
    std::printf(
        "RESULT join_ops=%.0f status_ops=%.0f status_p50_us=%.1f status_p99_us=%.1f\n",
        joins.ops_per_sec,
        status.ops_per_sec,
        status.p50_us,
        status.p99_us
    );

    std::vector<std::string> del{"DEL", prefix + "tq:concerts"};
    for (const char* part : {"meta", "waiting", "seen", "active", "revoked", "tokens", "users"}) {
        del.push_back(prefix + "tq:{1}:" + part);
    }
    (void)client->Command(del);
    return joins.errors + status.errors == 0 ? 0 : 1;
}
