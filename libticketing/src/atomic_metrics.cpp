#include <ticketing/app/atomic_metrics.hpp>

namespace ticketing {

void AtomicMetrics::OnLock(LockStrategyKind strategy, ports::LockEvent event) {
    lock_[static_cast<std::size_t>(strategy)][static_cast<std::size_t>(event)].fetch_add(1, std::memory_order_relaxed);
}

void AtomicMetrics::OnSeatsSold(std::int64_t seats) {
    seats_sold_.fetch_add(seats, std::memory_order_relaxed);
}

AtomicMetrics::Counts AtomicMetrics::Snapshot() const {
    Counts out;
    for (std::size_t s = 0; s < lock_.size(); ++s) {
        for (std::size_t e = 0; e < lock_[s].size(); ++e) out.lock[s][e] = lock_[s][e].load(std::memory_order_relaxed);
    }
    out.seats_sold = seats_sold_.load(std::memory_order_relaxed);
    return out;
}

}  // namespace ticketing
