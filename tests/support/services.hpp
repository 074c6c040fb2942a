#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace ticketing::testing {

/// The URL of a server started by scripts/services (e.g. TICKETING_TEST_MYSQL), or "" when unset.
inline std::string ServiceUrl(const char* variable) {
    const char* value = std::getenv(variable);
    return value == nullptr ? std::string{} : std::string{value};
}

/// True when CI=true: a missing server is then a failure, never a silent skip.
inline bool InCi() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

}  // namespace ticketing::testing

/// Skips the test (fails it under CI=true) when the service variable is unset. Use in SetUp or a test body.
#define TK_REQUIRE_SERVICE(variable)                                                                         \
    do {                                                                                                     \
        if (::ticketing::testing::ServiceUrl(variable).empty()) {                                            \
            if (::ticketing::testing::InCi()) FAIL() << variable << " is unset: run scripts/services start"; \
            GTEST_SKIP() << variable << " is unset: run scripts/services start";                             \
        }                                                                                                    \
    } while (false)
