#pragma once

#include <gtest/gtest.h>

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
