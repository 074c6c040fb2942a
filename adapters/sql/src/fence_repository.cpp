// Fencing tokens of the lease lock (FenceRepository).
#include <algorithm>
#include <limits>

#include "statements.hpp"
#include "unit_of_work.hpp"

namespace ticketing::sql::detail {

Result<void> SqlUnitOfWork::AdvanceFence(std::string_view resource, std::uint64_t token) {
    const ports::Fence fence{std::string(resource), token};
    return AdvanceFences(std::span<const ports::Fence>(&fence, 1));
}

Result<void> SqlUnitOfWork::AdvanceFences(std::span<const ports::Fence> fences) {
    return Write<void>("advance fences", [&](soci::session& sql) -> Result<void> {
        if (fences.empty()) return {};
        std::vector<std::string> names;
        std::vector<std::int64_t> given;
        std::string query = "INSERT INTO lock_fence (resource, token) VALUES ";
        for (const auto& fence : fences) {
            if (fence.token > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                return MakeError(Errc::kInvalidArgument, "fencing token out of range");
            }
            const auto n = std::to_string(names.size());
            query += (names.empty() ? "(:r" : ", (:r") + n + ", :t" + n + ")";
            names.push_back(fence.resource);
            given.push_back(static_cast<std::int64_t>(fence.token));
        }
        // One statement for all: the upsert keeps the larger token, locks each row to the end of the
        // transaction (a concurrent holder with a newer token is either seen here or waits for us),
        // and returns what is stored.
        query += std::string(dialect_.fence_upsert) + " RETURNING resource, token";
        soci::details::prepare_temp_type prep = (sql.prepare << query);
        for (std::size_t i = 0; i < names.size(); ++i) prep, soci::use(names[i]), soci::use(given[i]);
        std::string resource;
        std::int64_t stored = 0;
        prep, soci::into(resource), soci::into(stored);
        soci::statement st(prep);
        st.execute();
        while (st.fetch()) {
            const auto at = std::find(names.begin(), names.end(), resource);
            if (at != names.end() && stored > given[static_cast<std::size_t>(at - names.begin())]) {
                return MakeError(Errc::kAborted, "stale fencing token for " + resource);
            }
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
