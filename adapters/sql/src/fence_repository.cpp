// Fencing tokens of the lease lock (FenceRepository).
#include <limits>

#include "statements.hpp"
#include "unit_of_work.hpp"

namespace ticketing::sql::detail {

Result<void> SqlUnitOfWork::AdvanceFence(std::string_view resource, std::uint64_t token) {
    return Write<void>("advance fence", [&](soci::session& sql) -> Result<void> {
        if (token > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return MakeError(Errc::kInvalidArgument, "fencing token out of range");
        }
        const std::string name(resource);
        const auto given = static_cast<std::int64_t>(token);
        // The upsert keeps the larger token and locks the row to the end of the transaction, so
        // a concurrent holder with a newer token is either seen here or waits for us.
        Exec(sql, std::string(dialect_.fence_upsert), name, given);
        std::int64_t stored = 0;
        sql << "SELECT token FROM lock_fence WHERE resource = :resource", soci::use(name), soci::into(stored);
        if (stored > given) {
            return MakeError(Errc::kAborted, "stale fencing token for " + name);
        }
        return {};
    });
}

Result<std::int64_t> SqlUnitOfWork::DeleteFencesBelow(std::uint64_t token, std::int64_t limit) {
    return Write<std::int64_t>("delete fences", [&](soci::session& sql) -> Result<std::int64_t> {
        if (token > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return MakeError(Errc::kInvalidArgument, "fencing token out of range");
        }
        return DeleteBounded(sql, dialect_, "lock_fence", "token < :token", limit, static_cast<std::int64_t>(token));
    });
}

}  // namespace ticketing::sql::detail
