#pragma once

#include <ticketing/domain/time.hpp>

namespace ticketing::ports {

/// The source of wall-clock time. Thread-safe.
class Clock {
public:
    virtual ~Clock() = default;
    virtual Timestamp Now() const = 0;
};

}  // namespace ticketing::ports
