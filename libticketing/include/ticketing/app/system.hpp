#pragma once

#include <cstdint>
#include <string>
#include <ticketing/ports/clock.hpp>
#include <ticketing/ports/random.hpp>

namespace ticketing {

/// The system clock, truncated to milliseconds.
class SystemClock final : public ports::Clock {
public:
    Timestamp Now() const override;
};

/// Random bits from the operating system's CSPRNG (getrandom(2)), read per call without a lock:
/// thread-safe and never a point where the process's tokens and ids queue up.
class SystemRandom final : public ports::Random {
public:
    std::string Token() override;
    std::string Uuid() override;
    std::uint64_t Below(std::uint64_t bound) override;
};

}  // namespace ticketing
