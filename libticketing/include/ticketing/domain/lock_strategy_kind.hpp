#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <ticketing/error.hpp>

namespace ticketing {

/// How units of work are protected (see LockStrategy): chosen at start-up, named in counters.
enum class LockStrategyKind : std::uint8_t { kOptimistic, kPessimistic, kRedis };

inline constexpr std::size_t kLockStrategyKindCount = 3;

std::string_view ToString(LockStrategyKind kind);
/// "optimistic" | "pessimistic" | "redis".
Result<LockStrategyKind> ParseLockStrategyKind(std::string_view name);

}  // namespace ticketing
