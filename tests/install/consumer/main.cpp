#include <cstdio>
#include <ticketing/app/system.hpp>
#include <ticketing/memory/memory_database.hpp>
#include <ticketing/memory/memory_lock.hpp>
#include <ticketing/memory/memory_queue_store.hpp>
#include <ticketing/ticketing.hpp>

int main() {
    ticketing::SystemClock clock;
    ticketing::SystemRandom random;
    ticketing::memory::MemoryDatabase db;
    ticketing::memory::MemoryQueueStore queue;
    ticketing::memory::MemoryLock lock(clock, random);
    ticketing::Ticketing app({db, queue, clock, random, &lock}, ticketing::Settings{});
    auto user = app.Accounts().CreateUser("consumer");
    auto charged = app.Accounts().Charge(user->id, 1000, std::nullopt);
    std::printf("consumer ok: balance %lld\n", static_cast<long long>(charged->balance));
    return charged ? 0 : 1;
}
