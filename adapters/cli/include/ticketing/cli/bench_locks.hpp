#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <ticketing/domain/lock_strategy_kind.hpp>
#include <ticketing/domain/time.hpp>
#include <ticketing/error.hpp>
#include <vector>

namespace ticketing::cli {

/// The contention scenarios `ticketing bench locks` runs under each strategy and backend.
enum class Scenario : std::uint8_t {
    kHotSeat,  ///< every client wants seat 1: hold, pay, refund, again
    kSpread,   ///< 2..4 of 50 seats per hold, overlapping sets in random order
    kBalance,  ///< charges and payments of many clients on one user's balance
    /// Redis strategy only: a holder pauses past its lease while another takes it; its write must be
    /// refused by the fencing token.
    kStalledHolder,
};

std::string_view ToString(Scenario scenario);
/// "hot-seat", "spread", "balance", "stalled-holder"; INVALID_ARGUMENT otherwise.
Result<Scenario> ParseScenario(std::string_view text);

struct BenchOptions {
    std::vector<Scenario> scenarios{
        Scenario::kHotSeat, Scenario::kSpread, Scenario::kBalance, Scenario::kStalledHolder};
    std::vector<LockStrategyKind> strategies{
        LockStrategyKind::kOptimistic, LockStrategyKind::kPessimistic, LockStrategyKind::kRedis};
    /// Memory and SQLite always run; MariaDB when set (a fresh database per row on this server,
    /// dropped afterwards), and Redis (queue and lease lock, on the last database) when set.
    std::string mysql_url;
    std::string redis_url;
    int clients{8};
    Millis duration{std::chrono::seconds{3}};  ///< per row
    /// SQLite files go here (one per row, removed afterwards).
    std::string work_dir;
};

/// One scenario under one strategy on one backend.
struct BenchRow {
    std::string scenario;
    std::string strategy;
    std::string backend;
    // Load.
    std::int64_t calls{0};      ///< use-case calls made (one per client step)
    std::int64_t committed{0};  ///< of them, transactions that committed
    double committed_per_sec{0};
    double p50_ms{0};
    double p95_ms{0};
    double p99_ms{0};
    // The strategy's own counters (AtomicMetrics).
    std::int64_t version_conflicts{0};  ///< lost races: versions, stale fences, lapsed leases
    std::int64_t retries{0};
    std::int64_t lock_waits{0};
    std::int64_t conflicts_returned{0};  ///< CONFLICT given up to the caller
    std::int64_t seat_unavailable{0};    ///< holds that lost the seat: the business answer, not a fault
    std::int64_t unexpected_errors{0};   ///< any other error; each fails the verdict
    // Correctness, checked after the run from what the database holds.
    std::int64_t seats_sold{0};
    std::int64_t tickets_issued{0};
    std::int64_t seats_sold_twice{0};
    bool money_conserved{true};
    std::int64_t fence_refusals{0};  ///< stalled holder: stale writes the fence refused
    std::int64_t stale_writes{0};    ///< stalled holder: stale writes that committed (must be 0)
    bool ok{false};
    std::string verdict;  ///< "ok", or what is wrong
};

/// Called before each row with its index, the row count and a label; and once more at the end.
using BenchProgress = std::function<void(std::size_t done, std::size_t total, const std::string& label)>;

/// Runs every scenario × strategy × backend row. UNAVAILABLE when a configured backend cannot be
/// reached; INVALID_ARGUMENT for bad options. A violated invariant is a row whose `ok` is false.
Result<std::vector<BenchRow>> RunBenchLocks(const BenchOptions& options, const BenchProgress& progress = {});

}  // namespace ticketing::cli
