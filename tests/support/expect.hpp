#pragma once

#include <gtest/gtest.h>

#include <stdexcept>
#include <ticketing/error.hpp>
#include <utility>

/// Unwraps a Result in a test, failing loudly with its message.
#define TK_OK(expr)                                                                         \
    ([&]() {                                                                                \
        auto tk_result_ = (expr);                                                           \
        EXPECT_TRUE(tk_result_.has_value()) << #expr << ": " << tk_result_.error().message; \
        return std::move(tk_result_).value();                                               \
    }())

/// Expects a Result to hold the error `errc`.
#define TK_EXPECT_ERROR(expr, errc)                                                     \
    do {                                                                                \
        auto tk_result_ = (expr);                                                       \
        ASSERT_FALSE(tk_result_.has_value()) << #expr << " succeeded, expected " #errc; \
        EXPECT_EQ(tk_result_.error().code, errc) << tk_result_.error().message;         \
    } while (false)

namespace ticketing::testing {

/// The value of a Result a test cannot go on without (a backend's start-up): a failure throws, so
/// the test fails loudly with the message wherever it happens, constructors included.
template <class T>
T OrThrow(Result<T> result) {
    if (!result) throw std::runtime_error(result.error().message);
    if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace ticketing::testing
