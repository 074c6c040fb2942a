#pragma once

#include <cstdint>
#include <string>

namespace ticketing::ports {

/// Unguessable identifiers. Thread-safe.
class Random {
public:
    virtual ~Random() = default;
    /// 128 random bits, hex encoded.
    virtual std::string Token() = 0;
    /// A version-4 UUID.
    virtual std::string Uuid() = 0;
    /// Uniform in [0, bound): for retry jitter.
    virtual std::uint64_t Below(std::uint64_t bound) = 0;
};

}  // namespace ticketing::ports
