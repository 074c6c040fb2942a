// SqlLeaseLock: leases in the job_lease table.
#include <algorithm>
#include <chrono>
#include <thread>
#include <ticketing/sql/sql_lease_lock.hpp>

#include "detail.hpp"
#include "statements.hpp"

namespace ticketing::sql {

struct SqlLeaseLock::State {
    std::shared_ptr<detail::Pool> pool;
    const ports::Clock& clock;
    ports::Random& random;
};

namespace {

using SteadyClock = std::chrono::steady_clock;

// Runs `body` in one pessimistic transaction on a pooled session; commits when it returns a value,
// rolls back otherwise. SOCI errors are translated by the adapter's one rule.
template <class T, class F>
Result<T> InTransaction(detail::Pool& pool, std::string_view what, F&& body) {
    const auto& dialect = *pool.endpoint().dialect;
    auto session = pool.Acquire();
    if (!session) return Forward(session.error());
    soci::session& sql = **session;
    Result<T> out = MakeError(Errc::kInternal, "not run");
    bool healthy = true;
    try {
        sql << std::string(dialect.begin_pessimistic);
        out = body(sql);
        sql << (out ? "COMMIT" : "ROLLBACK");
    } catch (const soci::soci_error& e) {
        auto failure = detail::Translate(dialect, sql, e, what);
        healthy = !failure.discard_session;
        out = tl::unexpected<Error>(std::move(failure.error));
        try {
            if (healthy) sql << "ROLLBACK";
        } catch (const soci::soci_error&) {
            // No transaction was open (BEGIN itself failed): nothing to undo.
        }
    }
    pool.Release(std::move(*session), healthy);
    return out;
}

std::uint64_t Micros(Timestamp t) {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, detail::ToMs(t))) * 1000;
}

class SqlLease final : public ports::Lease {
public:
    SqlLease(
        std::shared_ptr<SqlLeaseLock::State> state,
        std::string owner,
        Timestamp expires_at,
        std::vector<ports::Fence> fences
    )
        : state_(std::move(state)), owner_(std::move(owner)), expires_at_(expires_at), fences_(std::move(fences)) {}

    // Token-checked: a lapsed lease taken over by another holder is left alone. The row stays (with
    // its fence); when the database cannot be reached, the TTL frees the keys.
    ~SqlLease() override {
        (void)InTransaction<bool>(*state_->pool, "release lease", [&](soci::session& sql) -> Result<bool> {
            for (const auto& fence : fences_) {
                detail::Exec(
                    sql,
                    "UPDATE job_lease SET owner = '', expires_at = 0 WHERE lease_key = :key AND owner = :owner",
                    fence.resource,
                    owner_
                );
            }
            return true;
        });
    }

    const std::vector<ports::Fence>& Fences() const override { return fences_; }
    bool Held() const override { return state_->clock.Now() < expires_at_; }

private:
    std::shared_ptr<SqlLeaseLock::State> state_;
    std::string owner_;
    Timestamp expires_at_;
    std::vector<ports::Fence> fences_;
};

}  // namespace

SqlLeaseLock::SqlLeaseLock(SqlDatabase& db, const ports::Clock& clock, ports::Random& random)
    : state_(std::make_shared<State>(State{db.state_->pool, clock, random})) {}

SqlLeaseLock::~SqlLeaseLock() = default;

Result<std::unique_ptr<ports::Lease>> SqlLeaseLock::Acquire(std::vector<std::string> keys, Millis ttl, Millis wait) {
    if (keys.empty()) return MakeError(Errc::kInvalidArgument, "no keys to lock");
    if (ttl <= Millis{0}) return MakeError(Errc::kInvalidArgument, "a lease needs a positive ttl");
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    const auto owner = state_->random.Token();
    const std::string for_update(state_->pool->endpoint().dialect->for_update);
    const auto deadline = SteadyClock::now() + wait;

    for (;;) {
        const auto now = state_->clock.Now();
        auto taken = InTransaction<std::vector<ports::Fence>>(
            *state_->pool,
            "acquire lease",
            [&](soci::session& sql) -> Result<std::vector<ports::Fence>> {
                std::vector<ports::Fence> fences;
                for (const auto& key : keys) {
                    std::string holder;
                    std::int64_t expires_at = 0;
                    std::int64_t last = 0;
                    sql << "SELECT owner, expires_at, fence FROM job_lease WHERE lease_key = :key" + for_update,
                        soci::use(key), soci::into(holder), soci::into(expires_at), soci::into(last);
                    const bool exists = sql.got_data();
                    if (exists && expires_at > detail::ToMs(now)) {
                        return MakeError(Errc::kConflict, "lock busy: " + key);
                    }
                    // As every lock: max(last + 1, clock µs), so fences outgrow any stored before.
                    const auto fence = std::max(static_cast<std::uint64_t>(last) + 1, Micros(now));
                    const auto token = static_cast<std::int64_t>(fence);
                    detail::Exec(
                        sql,
                        exists ? "UPDATE job_lease SET owner = :owner, expires_at = :expires, fence = :fence "
                                 "WHERE lease_key = :key"
                               : "INSERT INTO job_lease (owner, expires_at, fence, lease_key) "
                                 "VALUES (:owner, :expires, :fence, :key)",
                        owner,
                        detail::ToMs(now + ttl),
                        token,
                        key
                    );
                    fences.push_back({key, fence});
                }
                return fences;
            }
        );
        if (taken)
            return std::unique_ptr<ports::Lease>(std::make_unique<SqlLease>(state_, owner, now + ttl, std::move(*taken))
            );
        // Busy, or a race with another acquirer of a new key (duplicate insert, deadlock): try again.
        const auto code = taken.error().code;
        if (code != Errc::kConflict && code != Errc::kAborted) return Forward(taken.error());
        const auto left = deadline - SteadyClock::now();
        if (left <= SteadyClock::duration::zero()) {
            return MakeError(Errc::kConflict, "lock busy: " + keys.front() + (keys.size() > 1 ? " and others" : ""));
        }
        // Jittered, so waiters do not retry in step.
        const auto nap = std::chrono::microseconds(500 + static_cast<std::int64_t>(state_->random.Below(4500)));
        std::this_thread::sleep_for(std::min<SteadyClock::duration>(nap, left));
    }
}

}  // namespace ticketing::sql
