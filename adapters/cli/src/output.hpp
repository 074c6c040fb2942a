#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>

namespace ticketing::cli {

/// Prints a command's result: as JSON (`--json`), or for people: an object as aligned
/// "key  value" lines, an array of objects as a table (a nested array of objects as a table
/// under its key). Every command builds JSON once and both forms come from it.
void Print(const boost::json::value& result, bool json);

/// A progress bar on stderr, drawn only when stdout is a terminal (scripts and pipes get none).
class ProgressBar {
public:
    ProgressBar();
    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    void Update(std::size_t done, std::size_t total, const std::string& label);

private:
    bool enabled_;
};

}  // namespace ticketing::cli
