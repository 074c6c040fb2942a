#include "bench_report.hpp"

#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace ticketing::cli {
namespace {

namespace json = boost::json;

double Round(double value, double unit) {
    return std::round(value / unit) * unit;
}

std::string CsvField(const json::value& v) {
    if (v.is_double()) return std::to_string(v.as_double());  // 1234.500000, not JSON's 1.2345E3
    if (!v.is_string()) return json::serialize(v);
    std::string out = "\"";
    for (char ch : v.as_string()) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
}

constexpr const char* kStrategies[] = {"optimistic", "pessimistic", "redis"};

}  // namespace

json::array BenchRowsJson(const std::vector<BenchRow>& rows) {
    json::array out;
    for (const auto& r : rows) {
        out.push_back(json::object{
            {"scenario", r.scenario},
            {"strategy", r.strategy},
            {"backend", r.backend},
            {"tx_per_s", Round(r.committed_per_sec, 1)},
            {"p50_ms", Round(r.p50_ms, 0.001)},
            {"p95_ms", Round(r.p95_ms, 0.001)},
            {"p99_ms", Round(r.p99_ms, 0.001)},
            {"calls", r.calls},
            {"committed", r.committed},
            {"lost_seat", r.seat_unavailable},
            {"version_conflicts", r.version_conflicts},
            {"retries", r.retries},
            {"lock_waits", r.lock_waits},
            {"conflicts_returned", r.conflicts_returned},
            {"seats_sold", r.seats_sold},
            {"tickets", r.tickets_issued},
            {"sold_twice", r.seats_sold_twice},
            {"money_ok", r.money_conserved},
            {"fence_refusals", r.fence_refusals},
            {"stale_writes", r.stale_writes},
            {"verdict", r.verdict},
        });
    }
    return out;
}

Result<void> WriteCsv(const json::array& rows, const std::string& path) {
    std::ofstream out(path);
    if (!out) return MakeError(Errc::kUnavailable, "cannot write " + path);
    const auto line = [&](bool header, const json::object& row) {
        std::string text;
        for (const auto& [key, value] : row)
            text += (text.empty() ? "" : ",") + (header ? std::string(key) : CsvField(value));
        out << text << "\n";
    };
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i == 0) line(true, rows[i].as_object());
        line(false, rows[i].as_object());
    }
    out.close();
    if (!out) return MakeError(Errc::kUnavailable, "cannot write " + path);
    return {};
}

Result<void> PlotPng(const std::vector<BenchRow>& rows, const std::string& path) {
    // One line per scenario and backend; a column per strategy for throughput, then for p99.
    // The stalled holder is a correctness check, not a load: it is left out.
    std::map<std::string, std::map<std::string, const BenchRow*>> groups;
    std::vector<std::string> order;
    for (const auto& r : rows) {
        if (r.scenario == ToString(Scenario::kStalledHolder)) continue;
        const auto label = r.scenario + " " + r.backend;
        if (!groups.contains(label)) order.push_back(label);
        groups[label][r.strategy] = &r;
    }
    if (order.empty()) return MakeError(Errc::kInvalidArgument, "nothing to plot: no load scenario ran");
    std::ostringstream data;
    for (const auto& label : order) {
        data << '"' << label << '"';
        for (bool p99 : {false, true}) {
            for (const char* strategy : kStrategies) {
                auto it = groups[label].find(strategy);
                if (it == groups[label].end()) {
                    data << " ?";
                } else {
                    data << " " << (p99 ? it->second->p99_ms : it->second->committed_per_sec);
                }
            }
        }
        data << "\n";
    }
    std::ostringstream script;
    script
        << "set terminal pngcairo size 1400,1000 font ',10'\n"
        << "set output '" << path << "'\n"
        << "$data << EOD\n"
        << data.str() << "EOD\n"
        << "set datafile missing '?'\n"
        << "set style data histograms\nset style histogram clustered gap 1\n"
        << "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
        << "set xtics rotate by -25 scale 0\nset grid ytics\nset logscale y\nset key top right\n"
        << "set multiplot layout 2,1 title 'ticketing bench locks: each lock strategy per scenario and backend'\n"
        << "set ylabel 'committed transactions per second (log)'\n"
        << "plot $data using 2:xtic(1) title 'optimistic', '' using 3 title 'pessimistic', '' using 4 title 'redis'\n"
        << "set ylabel 'p99 latency per call, ms (log)'\n"
        << "plot $data using 5:xtic(1) title 'optimistic', '' using 6 title 'pessimistic', '' using 7 title 'redis'\n"
        << "unset multiplot\n";
    // gnuplot's messages go to stderr, never into --json output.
    std::FILE* gnuplot = ::popen("gnuplot 1>&2", "w");
    if (gnuplot == nullptr) return MakeError(Errc::kUnavailable, "cannot run gnuplot (apt-get install gnuplot-nox)");
    const auto text = script.str();
    std::fwrite(text.data(), 1, text.size(), gnuplot);
    const int status = ::pclose(gnuplot);
    if (status != 0) {
        return MakeError(
            Errc::kUnavailable, "gnuplot failed (status " + std::to_string(status) + "); is gnuplot-nox installed?"
        );
    }
    return {};
}

}  // namespace ticketing::cli
