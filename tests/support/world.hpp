#pragma once

#include <memory>
#include <string>
#include <ticketing/app/system.hpp>
#include <ticketing/memory/manual_clock.hpp>
#include <ticketing/ticketing.hpp>
#include <vector>

#include "backend.hpp"

namespace ticketing::testing {

inline const Timestamp kStart = ParseRfc3339("2026-01-10T09:00:00Z").value();

/// A Ticketing instance over one backend with a manual clock, plus helpers that set up the usual
/// cast: users with money, an open concert, admitted tokens.
class World {
public:
    explicit World(const BackendParam& param, Settings settings = {});
    World(const BackendFactory& factory, LockStrategyKind strategy, Settings settings = {});

    Ticketing& App() { return *app_; }
    memory::ManualClock& Clock() { return clock_; }
    Backend& Adapters() { return *backend_; }
    /// What the instance counted so far.
    AtomicMetrics::Counts Counted() const { return metrics_.Snapshot(); }

    UserId NewUser(Money balance = 0, const std::string& name = "kim");
    /// A concert open for reservation from an hour ago for a day, with `schedules` schedules of
    /// `seats` seats at `price`.
    CreatedConcert NewConcert(std::int32_t seats = 50, Money price = 10'000, int schedules = 1);
    /// Joins and ticks until the user is ACTIVE; returns the token.
    std::string Admit(ConcertId concert, UserId user);
    /// Seat ids of a schedule by number (1-based `numbers`).
    std::vector<SeatId> Seats(ScheduleId schedule, const std::vector<int>& numbers);

    /// A user with `balance`, admitted to the concert, holding seats `numbers` of its first schedule.
    struct Buyer {
        UserId user;
        std::string token;
        Reservation hold;
    };
    Buyer NewBuyerWithHold(const CreatedConcert& concert, Money balance, const std::vector<int>& numbers);

private:
    memory::ManualClock clock_{kStart};
    SystemRandom random_;
    AtomicMetrics metrics_;
    std::unique_ptr<Backend> backend_;
    std::unique_ptr<Ticketing> app_;
};

}  // namespace ticketing::testing
