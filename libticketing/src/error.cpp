#include <ticketing/error.hpp>

namespace ticketing {
namespace {

struct Mapping {
    std::string_view name;
    int http_status;
};

Mapping Map(Errc code) noexcept {
    switch (code) {
        case Errc::kInvalidArgument:
            return {"INVALID_ARGUMENT", 400};
        case Errc::kUnauthenticated:
            return {"UNAUTHENTICATED", 401};
        case Errc::kNotAdmitted:
            return {"NOT_ADMITTED", 403};
        case Errc::kForbidden:
            return {"FORBIDDEN", 403};
        case Errc::kNotFound:
            return {"NOT_FOUND", 404};
        case Errc::kSeatUnavailable:
            return {"SEAT_UNAVAILABLE", 409};
        case Errc::kHoldExists:
            return {"HOLD_EXISTS", 409};
        case Errc::kInsufficientBalance:
            return {"INSUFFICIENT_BALANCE", 409};
        case Errc::kConflict:
        case Errc::kAborted:
            return {"CONFLICT", 409};
        case Errc::kHoldExpired:
            return {"HOLD_EXPIRED", 410};
        case Errc::kPayloadTooLarge:
            return {"PAYLOAD_TOO_LARGE", 413};
        case Errc::kSeatLimitExceeded:
            return {"SEAT_LIMIT_EXCEEDED", 422};
        case Errc::kReservationClosed:
            return {"RESERVATION_CLOSED", 422};
        case Errc::kIdempotencyKeyReused:
            return {"IDEMPOTENCY_KEY_REUSED", 422};
        case Errc::kBalanceLimitExceeded:
            return {"BALANCE_LIMIT_EXCEEDED", 422};
        case Errc::kRateLimited:
            return {"RATE_LIMITED", 429};
        case Errc::kUnavailable:
            return {"UNAVAILABLE", 503};
        case Errc::kInternal:
            break;
    }
    return {"INTERNAL", 500};
}

}  // namespace

std::string_view CodeName(Errc code) noexcept {
    return Map(code).name;
}

int HttpStatus(Errc code) noexcept {
    return Map(code).http_status;
}

int ExitCode(Errc code) noexcept {
    // 2 is left to argument parsers (usage errors); codes start at 10 so shells can tell them apart.
    return 10 + static_cast<int>(code);
}

}  // namespace ticketing
