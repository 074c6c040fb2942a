#include <string>
#include <ticketing/domain/lock_strategy_kind.hpp>

namespace ticketing {

std::string_view ToString(LockStrategyKind kind) {
    switch (kind) {
        case LockStrategyKind::kOptimistic:
            return "optimistic";
        case LockStrategyKind::kPessimistic:
            return "pessimistic";
        case LockStrategyKind::kRedis:
            return "redis";
    }
    return "?";
}

Result<LockStrategyKind> ParseLockStrategyKind(std::string_view name) {
    for (auto kind : {LockStrategyKind::kOptimistic, LockStrategyKind::kPessimistic, LockStrategyKind::kRedis}) {
        if (ToString(kind) == name) return kind;
    }
    return MakeError(
        Errc::kInvalidArgument,
        "unknown lock strategy '" + std::string(name) + "': use optimistic, pessimistic or redis"
    );
}

}  // namespace ticketing
