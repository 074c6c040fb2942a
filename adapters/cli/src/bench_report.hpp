#pragma once

#include <boost/json/array.hpp>
#include <string>
#include <ticketing/cli/bench_locks.hpp>
#include <ticketing/error.hpp>
#include <vector>

namespace ticketing::cli {

/// One object per row, in the columns the table, `--json` and `--csv` show.
boost::json::array BenchRowsJson(const std::vector<BenchRow>& rows);

/// The rows as CSV, a header line first. UNAVAILABLE when the file cannot be written.
Result<void> WriteCsv(const boost::json::array& rows, const std::string& path);

/// Throughput and p99 per scenario and backend, one bar per strategy, as a PNG drawn by gnuplot.
/// UNAVAILABLE when gnuplot is missing or fails.
Result<void> PlotPng(const std::vector<BenchRow>& rows, const std::string& path);

}  // namespace ticketing::cli
