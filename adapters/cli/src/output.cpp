#include "output.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <iostream>
#include <vector>

namespace ticketing::cli {
namespace {

namespace json = boost::json;

std::string Text(const json::value& v) {
    if (v.is_string()) return std::string(v.as_string());
    if (v.is_null()) return "-";
    if (v.is_double()) {
        char buffer[32];
        // Enough digits for microsecond latencies and no noise on thousands of transactions.
        const double d = v.as_double();
        std::snprintf(buffer, sizeof buffer, d >= 100 ? "%.0f" : d >= 1 ? "%.2f" : "%.3f", d);
        return buffer;
    }
    return json::serialize(v);
}

bool IsTable(const json::value& v) {
    return v.is_array() && !v.as_array().empty() &&
           std::all_of(v.as_array().begin(), v.as_array().end(), [](const json::value& item) {
               return item.is_object();
           });
}

/// Columns from the first row's keys; numbers right-aligned.
void PrintTable(const json::array& rows, const std::string& indent) {
    std::vector<std::string> columns;
    for (const auto& [key, unused] : rows.front().as_object()) columns.emplace_back(key);
    std::vector<std::vector<std::string>> cells;
    std::vector<std::size_t> width;
    for (const auto& c : columns) width.push_back(c.size());
    for (const auto& row : rows) {
        auto& line = cells.emplace_back();
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const auto* cell = row.as_object().if_contains(columns[i]);
            line.push_back(cell ? Text(*cell) : "");
            width[i] = std::max(width[i], line.back().size());
        }
    }
    const auto numeric = [&](std::size_t i) {
        const auto* first = rows.front().as_object().if_contains(columns[i]);
        return first && first->is_number();
    };
    const auto print_line = [&](const std::vector<std::string>& line) {
        std::string out = indent;
        for (std::size_t i = 0; i < line.size(); ++i) {
            const auto pad = std::string(width[i] - line[i].size(), ' ');
            out += (i ? "  " : "") + (numeric(i) ? pad + line[i] : line[i] + (i + 1 < line.size() ? pad : ""));
        }
        std::cout << out << "\n";
    };
    print_line(columns);
    for (const auto& line : cells) print_line(line);
}

}  // namespace

void Print(const json::value& result, bool as_json) {
    if (as_json) {
        std::cout << json::serialize(result) << "\n";
        return;
    }
    if (IsTable(result)) return PrintTable(result.as_array(), "");
    if (!result.is_object()) {
        std::cout << Text(result) << "\n";
        return;
    }
    std::size_t width = 0;
    for (const auto& [key, value] : result.as_object()) {
        if (!IsTable(value)) width = std::max(width, key.size());
    }
    for (const auto& [key, value] : result.as_object()) {
        if (IsTable(value)) {
            std::cout << key << ":\n";
            PrintTable(value.as_array(), "  ");
        } else {
            std::cout << key << std::string(width - key.size() + 2, ' ') << Text(value) << "\n";
        }
    }
}

ProgressBar::ProgressBar() : enabled_(::isatty(STDOUT_FILENO) == 1 && ::isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() {
    if (enabled_) std::fputs("\r\033[K", stderr);
}

void ProgressBar::Update(std::size_t done, std::size_t total, const std::string& label) {
    if (!enabled_ || total == 0) return;
    constexpr std::size_t kWidth = 30;
    const auto filled = done * kWidth / total;
    std::fprintf(
        stderr,
        "\r\033[K[%s%s] %zu/%zu %s",
        std::string(filled, '#').c_str(),
        std::string(kWidth - filled, '.').c_str(),
        done,
        total,
        label.c_str()
    );
    std::fflush(stderr);
}

}  // namespace ticketing::cli
