#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <ticketing/ports/clock.hpp>
#include <ticketing/ports/random.hpp>

namespace ticketing {

/// The system clock, truncated to milliseconds.
class SystemClock final : public ports::Clock {
public:
    Timestamp Now() const override;
};

/// Random bits from the operating system (std::random_device reads getrandom/urandom). Thread-safe.
class SystemRandom final : public ports::Random {
public:
    std::string Token() override;
    std::string Uuid() override;
    std::uint64_t Below(std::uint64_t bound) override;

private:
    std::mutex mutex_;
    std::random_device device_;
};

}  // namespace ticketing
