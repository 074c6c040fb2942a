// One process of the multi-process tests: `threads` threads buy seats of `schedule` (hold then pay,
// a fresh user per purchase) on the shared database at `url` until none is free, then print
// "sold <seats> spent <money>". The crash test SIGKILLs it mid-run.
//
// usage: ticketing_sql_race_worker <url> <concert> <schedule> <threads> <optimistic|pessimistic>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "sql_test_support.hpp"
#include "world.hpp"

using namespace ticketing;
using namespace ticketing::testing;

namespace {

bool Retryable(const Error& error) {
    return error.code == Errc::kConflict || error.code == Errc::kUnavailable || error.code == Errc::kAborted;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: %s <url> <concert> <schedule> <threads> <strategy>\n", argv[0]);
        return 2;
    }
    const std::string url = argv[1];
    const ConcertId concert{std::atoll(argv[2])};
    const ScheduleId schedule{std::atoll(argv[3])};
    const int threads = std::atoi(argv[4]);
    auto strategy = ParseLockStrategyKind(argv[5]);
    if (!strategy) {
        std::fprintf(stderr, "%s\n", strategy.error().message.c_str());
        return 2;
    }
    try {
        Settings settings;
        settings.queue.max_active = 100000;
        settings.queue.admit_per_tick = 100000;
        settings.queue.tick_interval = std::chrono::seconds(1);
        settings.lock.max_attempts = 64;
        World world(SqlBackend(url, static_cast<std::size_t>(threads)), *strategy, settings);

        std::atomic<bool> sold_out{false};
        std::atomic<long long> sold{0};
        std::atomic<long long> spent{0};
        std::mutex admit_mutex;
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                std::mt19937 rng(std::random_device{}() + static_cast<unsigned>(t));
                while (!sold_out) {
                    UserId user;
                    std::string token;
                    {
                        std::lock_guard lock(admit_mutex);
                        user = world.NewUser(1'000'000);
                        token = world.Admit(concert, user);
                    }
                    for (int attempt = 0; attempt < 1000 && !sold_out; ++attempt) {
                        std::vector<SeatId> free;
                        {
                            auto uow = world.Adapters().Db().Begin(ports::TxMode::kRead);
                            if (!uow) continue;
                            auto seats = (*uow)->ListSeats(schedule);
                            if (!seats) continue;
                            const auto now = world.Clock().Now();
                            for (const auto& seat : *seats) {
                                if (seat.StatusAt(now) == SeatStatus::kAvailable) free.push_back(seat.id);
                            }
                        }
                        if (free.empty()) {
                            sold_out = true;
                            break;
                        }
                        std::shuffle(free.begin(), free.end(), rng);
                        free.resize(std::min<std::size_t>(free.size(), 1 + rng() % 2));
                        auto hold = world.App().Reservations().Hold(token, schedule, free);
                        if (!hold) continue;
                        for (int pay = 0; pay < 50; ++pay) {
                            auto receipt = world.App().Payments().Pay(token, hold->id, std::nullopt);
                            if (receipt) {
                                sold += static_cast<long long>(receipt->tickets.size());
                                spent += receipt->payment.amount;
                                break;
                            }
                            if (!Retryable(receipt.error())) {
                                std::fprintf(stderr, "pay failed: %s\n", receipt.error().message.c_str());
                                break;
                            }
                        }
                        break;  // the token is spent: next purchase, next user
                    }
                }
            });
        }
        for (auto& thread : pool) thread.join();
        std::printf("sold %lld spent %lld\n", sold.load(), spent.load());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "worker failed: %s\n", e.what());
        return 1;
    }
}
