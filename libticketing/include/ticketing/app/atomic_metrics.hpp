#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <ticketing/ports/metrics.hpp>

namespace ticketing {

/// The counters of ports::Metrics in relaxed atomics, for front ends to read and export in their own
/// format. Thread-safe.
class AtomicMetrics final : public ports::Metrics {
public:
    /// The counters at one moment (each read on its own: not a transaction across counters).
    struct Counts {
        std::array<std::array<std::int64_t, ports::kLockEventCount>, kLockStrategyKindCount> lock{};
        std::int64_t seats_sold{0};

        std::int64_t Lock(LockStrategyKind strategy, ports::LockEvent event) const {
            return lock[static_cast<std::size_t>(strategy)][static_cast<std::size_t>(event)];
        }
    };

    void OnLock(LockStrategyKind strategy, ports::LockEvent event) override;
    void OnSeatsSold(std::int64_t seats) override;
    Counts Snapshot() const;

private:
    std::array<std::array<std::atomic<std::int64_t>, ports::kLockEventCount>, kLockStrategyKindCount> lock_{};
    std::atomic<std::int64_t> seats_sold_{0};
};

}  // namespace ticketing
