#pragma once

#include <cstdint>

namespace ticketing {

/// Money in KRW (integer won).
using Money = std::int64_t;

inline constexpr Money kMinCharge = 1;
inline constexpr Money kMaxCharge = 10'000'000;
inline constexpr Money kMaxBalance = 1'000'000'000'000;

}  // namespace ticketing
