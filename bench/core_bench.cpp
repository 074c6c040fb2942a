// The core over the memory adapters: join, status, hold+pay under each lock strategy.
// Prints ops/s (items_per_second) and, with --benchmark_repetitions, medians.
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <ticketing/app/system.hpp>
#include <ticketing/memory/memory_database.hpp>
#include <ticketing/memory/memory_lock.hpp>
#include <ticketing/memory/memory_queue_store.hpp>
#include <ticketing/ticketing.hpp>

namespace {

using namespace std::chrono_literals;
using namespace ticketing;

struct Fixture {
    explicit Fixture(LockStrategyKind kind) {
        Settings settings;
        settings.lock.kind = kind;
        settings.queue.max_active = 1'000'000;
        settings.queue.admit_per_tick = 1'000'000;
        app = std::make_unique<Ticketing>(Backends{db, queue, clock, random, &lock}, settings);
        NewConcert request{"bench", clock.Now() - 1h, clock.Now() + 24h, {}};
        for (int i = 0; i < 64; ++i) request.schedules.push_back({clock.Now() + 48h, 1000, 1000});
        concert = app->Catalog().CreateConcert(request).value();
    }

    SystemClock clock;
    SystemRandom random;
    memory::MemoryDatabase db;
    memory::MemoryQueueStore queue;
    memory::MemoryLock lock{clock, random};
    std::unique_ptr<Ticketing> app;
    CreatedConcert concert;
};

constexpr int kWaiting = 100'000;
const QueueSettings kAdmitAll{
    .max_active = 1'000'000, .admit_per_tick = 1'000'000, .tick_interval = 0s, .paused = false};

void BM_Join(benchmark::State& state) {
    static std::unique_ptr<Fixture> fixture;
    static std::atomic<std::int64_t> next_user{0};
    if (state.thread_index() == 0) {
        fixture = std::make_unique<Fixture>(LockStrategyKind::kOptimistic);
        for (int i = 0; i < 4096; ++i) (void)fixture->app->Accounts().CreateUser("u");
    }
    for (auto _ : state) {
        const auto user = UserId{next_user++ % 4096 + 1};
        auto joined = fixture->app->Queue().Join(fixture->concert.concert.id, user);
        if (!joined) state.SkipWithError(joined.error().message.c_str());
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_Status(benchmark::State& state) {
    static std::unique_ptr<Fixture> fixture;
    static std::vector<std::string> tokens;
    if (state.thread_index() == 0) {
        fixture = std::make_unique<Fixture>(LockStrategyKind::kOptimistic);
        tokens.clear();
        const auto concert = fixture->concert.concert.id;
        for (int i = 0; i < kWaiting; ++i) {
            auto joined = fixture->queue.Join(
                concert,
                UserId{i + 1},
                MakeQueueToken(concert, fixture->random.Token()),
                fixture->clock.Now(),
                QueueSettings{}
            );
            tokens.push_back(joined->view.info.token);
        }
    }
    std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
    for (auto _ : state) {
        auto status = fixture->app->Queue().Status(tokens[i++ % tokens.size()]);
        if (!status) state.SkipWithError(status.error().message.c_str());
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["waiting"] = kWaiting;
}

// One hold + pay per iteration; each thread has its own buyer and walks its own schedule's seats.
void BM_HoldPay(benchmark::State& state) {
    static std::unique_ptr<Fixture> fixture;
    static std::vector<std::vector<SeatId>> seats;
    const auto kind = static_cast<LockStrategyKind>(state.range(0));
    if (state.thread_index() == 0) {
        fixture = std::make_unique<Fixture>(kind);
        seats.clear();
        auto uow = fixture->db.Begin(ports::TxMode::kRead).value();
        for (const auto& s : fixture->concert.schedules) {
            std::vector<SeatId> ids;
            for (const auto& seat : uow->ListSeats(s.id).value()) ids.push_back(seat.id);
            seats.push_back(ids);
        }
    }
    auto& app = *fixture->app;
    const auto user = app.Accounts().CreateUser("buyer").value().id;
    (void)app.Accounts().Charge(user, kMaxCharge, std::nullopt);
    const auto t = static_cast<std::size_t>(state.thread_index());
    // Threads share seat ranges pairwise so that some holds contend.
    const auto& pool = seats[t / 2];
    const auto schedule = fixture->concert.schedules[t / 2].id;
    std::size_t next = t % 2;
    std::int64_t conflicts = 0;
    for (auto _ : state) {
        auto token = app.Queue().Join(fixture->concert.concert.id, user).value().position.info.token;
        // Admission is not what this measures: tick the store directly with no interval.
        (void)fixture->queue.Tick(fixture->concert.concert.id, fixture->clock.Now(), 5min, kAdmitAll);
        const std::vector<SeatId> pick{pool[next % pool.size()]};
        next += 2;
        auto hold = app.Reservations().Hold(token, schedule, pick);
        if (!hold) {
            ++conflicts;
            (void)app.Queue().Leave(token);
            continue;
        }
        auto paid = app.Payments().Pay(token, hold->id, std::nullopt);
        if (!paid) state.SkipWithError(paid.error().message.c_str());
        if (app.Accounts().GetUser(user).value().balance < 10'000)
            (void)app.Accounts().Charge(user, kMaxCharge, std::nullopt);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["conflicts"] = benchmark::Counter(static_cast<double>(conflicts), benchmark::Counter::kAvgThreads);
    state.SetLabel(std::string(ToString(kind)));
}

BENCHMARK(BM_Join)->Threads(1)->Threads(8)->UseRealTime();
BENCHMARK(BM_Status)->Threads(1)->Threads(16)->UseRealTime();
BENCHMARK(BM_HoldPay)
    ->Arg(static_cast<int>(LockStrategyKind::kOptimistic))
    ->Arg(static_cast<int>(LockStrategyKind::kPessimistic))
    ->Arg(static_cast<int>(LockStrategyKind::kRedis))
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime()
    ->Iterations(800);

}  // namespace

BENCHMARK_MAIN();
