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
        for (int i = 0; i < 8; ++i) request.schedules.push_back({clock.Now() + 48h, 1000, 2000});
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
constexpr int kUsers = 4096;
const QueueSettings kAdmitAll{
    .max_active = 1'000'000, .admit_per_tick = 1'000'000, .tick_interval = 0s, .paused = false};

// One fixture per benchmark run, made by the Setup callback before the threads start.
std::unique_ptr<Fixture> fixture;
std::vector<std::string> tokens;
std::vector<std::vector<SeatId>> seats;
std::atomic<std::int64_t> next_user{0};

void SetUpJoin(const benchmark::State&) {
    fixture = std::make_unique<Fixture>(LockStrategyKind::kOptimistic);
    for (int i = 0; i < kUsers; ++i) (void)fixture->app->Accounts().CreateUser("u");
}

void SetUpStatus(const benchmark::State&) {
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

void SetUpHoldPay(const benchmark::State& state) {
    fixture = std::make_unique<Fixture>(static_cast<LockStrategyKind>(state.range(0)));
    seats.clear();
    auto uow = fixture->db.Begin(ports::TxMode::kRead).value();
    for (const auto& s : fixture->concert.schedules) {
        std::vector<SeatId> ids;
        const auto listed = uow->ListSeats(s.id).value();
        for (const auto& seat : listed) ids.push_back(seat.id);
        seats.push_back(ids);
    }
}

void TearDown(const benchmark::State&) {
    fixture.reset();
}

void BM_Join(benchmark::State& state) {
    for (auto _ : state) {
        const auto user = UserId{next_user++ % kUsers + 1};
        auto joined = fixture->app->Queue().Join(fixture->concert.concert.id, user);
        if (!joined) state.SkipWithError(joined.error().message.c_str());
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_Status(benchmark::State& state) {
    std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
    for (auto _ : state) {
        auto status = fixture->app->Queue().Status(tokens[i++ % tokens.size()]);
        if (!status) state.SkipWithError(status.error().message.c_str());
    }
    state.SetItemsProcessed(state.iterations());
}

// One join + admission + hold + pay per iteration. Threads race pairwise for the same seats in the
// same order: one of each pair wins each seat, the other counts a conflict.
void BM_HoldPay(benchmark::State& state) {
    auto& app = *fixture->app;
    const auto user = app.Accounts().CreateUser("buyer").value().id;
    (void)app.Accounts().Charge(user, kMaxCharge, std::nullopt);
    const auto t = static_cast<std::size_t>(state.thread_index());
    const auto& pool = seats[t / 2];
    const auto schedule = fixture->concert.schedules[t / 2].id;
    std::size_t next = 0;
    std::int64_t conflicts = 0;
    for (auto _ : state) {
        auto token = app.Queue().Join(fixture->concert.concert.id, user).value().position.info.token;
        // Admission is not what this measures: tick the store directly with no interval.
        (void)fixture->queue.Tick(fixture->concert.concert.id, fixture->clock.Now(), 5min, kAdmitAll);
        const std::vector<SeatId> pick{pool[next++ % pool.size()]};
        auto hold = app.Reservations().Hold(token, schedule, pick);
        if (!hold) {
            ++conflicts;
            (void)app.Queue().Leave(token);
            continue;
        }
        auto paid = app.Payments().Pay(token, hold->id, std::nullopt);
        if (!paid) state.SkipWithError(paid.error().message.c_str());
        if (paid && paid->balance < 10'000) (void)app.Accounts().Charge(user, kMaxCharge, std::nullopt);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["conflicts"] = benchmark::Counter(static_cast<double>(conflicts), benchmark::Counter::kAvgThreads);
    state.SetLabel(std::string(ToString(static_cast<LockStrategyKind>(state.range(0)))));
}

BENCHMARK(BM_Join)->Setup(SetUpJoin)->Teardown(TearDown)->Threads(1)->Threads(8)->UseRealTime();
BENCHMARK(BM_Status)->Setup(SetUpStatus)->Teardown(TearDown)->Threads(1)->Threads(16)->UseRealTime();
BENCHMARK(BM_HoldPay)
    ->Setup(SetUpHoldPay)
    ->Teardown(TearDown)
    ->Arg(static_cast<int>(LockStrategyKind::kOptimistic))
    ->Arg(static_cast<int>(LockStrategyKind::kPessimistic))
    ->Arg(static_cast<int>(LockStrategyKind::kRedis))
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime()
    ->Iterations(1000);

}  // namespace

BENCHMARK_MAIN();
