// Reserves and pays two seats with the in-memory adapters: the whole flow of a buyer.
#include <cstdio>
#include <cstdlib>
#include <ticketing/app/system.hpp>
#include <ticketing/memory/memory_database.hpp>
#include <ticketing/memory/memory_lock.hpp>
#include <ticketing/memory/memory_queue_store.hpp>
#include <ticketing/ticketing.hpp>

namespace {

template <class T>
T OrDie(ticketing::Result<T> result, const char* step) {
    if (!result) {
        std::fprintf(
            stderr,
            "%s failed: %s %s\n",
            step,
            std::string(ticketing::CodeName(result.error().code)).c_str(),
            result.error().message.c_str()
        );
        std::exit(1);
    }
    return std::move(*result);
}

}  // namespace

int main() {
    using namespace std::chrono_literals;
    ticketing::SystemClock clock;
    ticketing::SystemRandom random;
    ticketing::memory::MemoryDatabase db;
    ticketing::memory::MemoryQueueStore queue;
    ticketing::memory::MemoryLock lock(clock, random);
    ticketing::Ticketing app({db, queue, clock, random, &lock}, ticketing::Settings{});

    // An operator creates a concert open for reservation now, with one schedule of 50 seats.
    ticketing::NewConcert request{
        "IU Golden Hour", clock.Now() - 1h, clock.Now() + 24h, {{clock.Now() + 72h, 99'000, 50}}};
    const auto concert = OrDie(app.Catalog().CreateConcert(request), "create concert");
    const auto schedule = concert.schedules.front();

    // A buyer signs up, charges her balance and joins the queue.
    const auto kim = OrDie(app.Accounts().CreateUser("kim"), "create user");
    OrDie(app.Accounts().Charge(kim.id, 250'000, "charge-1"), "charge");
    auto joined = OrDie(app.Queue().Join(concert.concert.id, kim.id), "join");
    std::printf("queued at position %lld\n", static_cast<long long>(joined.position.info.position));

    // The admission tick (run by every server instance) lets her in.
    OrDie(app.Queue().Tick(concert.concert.id), "tick");
    const auto token = joined.position.info.token;

    // She reads the seat map, holds seats 7 and 8, and pays.
    const auto map = OrDie(app.Catalog().GetSeatMap(token, schedule.id), "seat map");
    const std::vector<ticketing::SeatId> seats{map.seats[6].id, map.seats[7].id};
    const auto hold = OrDie(app.Reservations().Hold(token, schedule.id, seats), "hold");
    std::printf(
        "held %zu seats for %lld won until %s\n",
        hold.seats.size(),
        static_cast<long long>(hold.amount),
        ticketing::FormatRfc3339(hold.expires_at).c_str()
    );
    const auto receipt = OrDie(app.Payments().Pay(token, hold.id, "pay-1"), "pay");
    std::printf(
        "paid reservation %lld: %zu tickets, balance now %lld\n",
        static_cast<long long>(hold.id.value),
        receipt.tickets.size(),
        static_cast<long long>(receipt.balance)
    );
    return 0;
}
