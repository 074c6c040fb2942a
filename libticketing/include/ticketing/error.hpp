#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace ticketing {

/// Stable error codes of the whole library; the front ends map them to HTTP statuses and exit codes.
enum class Errc : std::uint8_t {
    kInvalidArgument = 1,
    kUnauthenticated,
    kNotAdmitted,
    kForbidden,
    kNotFound,
    kSeatUnavailable,
    kHoldExists,
    kInsufficientBalance,
    kConflict,
    /// A versioned write lost a race (or the database chose this transaction as a deadlock victim).
    /// Lock strategies retry the whole unit of work; when retries run out it surfaces as CONFLICT.
    kAborted,
    kHoldExpired,
    kPayloadTooLarge,
    kSeatLimitExceeded,
    kReservationClosed,
    kIdempotencyKeyReused,
    kBalanceLimitExceeded,
    kRateLimited,
    kUnavailable,
    kInternal,
};

/// The API code, e.g. "SEAT_UNAVAILABLE".
std::string_view CodeName(Errc code) noexcept;
/// HTTP status for the code (product.md's table).
int HttpStatus(Errc code) noexcept;
/// Process exit code for the CLI: 0 is success, each code its own non-zero value.
int ExitCode(Errc code) noexcept;

struct Error {
    Errc code{Errc::kInternal};
    std::string message;

    friend bool operator==(const Error&, const Error&) = default;
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> MakeError(Errc code, std::string message) {
    return tl::unexpected<Error>(Error{code, std::move(message)});
}

inline tl::unexpected<Error> Forward(const Error& error) {
    return tl::unexpected<Error>(error);
}

}  // namespace ticketing
