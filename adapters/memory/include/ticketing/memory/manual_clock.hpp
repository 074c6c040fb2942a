#pragma once

#include <atomic>
#include <ticketing/ports/clock.hpp>

namespace ticketing::memory {

/// A clock that moves only when told to: tests move time instead of sleeping. Thread-safe.
class ManualClock final : public ports::Clock {
public:
    explicit ManualClock(Timestamp start) : now_(start.time_since_epoch().count()) {}
    Timestamp Now() const override { return Timestamp{Millis{now_.load()}}; }
    void Advance(Millis by) { now_ += by.count(); }
    void Set(Timestamp to) { now_ = to.time_since_epoch().count(); }

private:
    std::atomic<std::int64_t> now_;
};

}  // namespace ticketing::memory
