#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <system_error>
#include <ticketing/app/system.hpp>

namespace ticketing {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Fills `out` from the OS CSPRNG. getrandom is thread-safe; it returns short only when interrupted.
template <std::size_t N>
std::array<std::uint8_t, N> RandomBytes() {
    std::array<std::uint8_t, N> out{};
    std::size_t filled = 0;
    while (filled < N) {
        const auto got = getrandom(out.data() + filled, N - filled, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "getrandom");
        }
        filled += static_cast<std::size_t>(got);
    }
    return out;
}

}  // namespace

Timestamp SystemClock::Now() const {
    return std::chrono::floor<Millis>(std::chrono::system_clock::now());
}

std::string SystemRandom::Token() {
    std::string out;
    out.reserve(32);
    for (auto byte : RandomBytes<16>()) {
        out += kHex[byte >> 4U];
        out += kHex[byte & 0xFU];
    }
    return out;
}

std::string SystemRandom::Uuid() {
    std::string hex = Token();
    hex[12] = '4';                                                  // version 4
    hex[16] = kHex[8 + (static_cast<unsigned char>(hex[16]) % 4)];  // variant 10xx
    return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' + hex.substr(16, 4) + '-' +
           hex.substr(20);
}

std::uint64_t SystemRandom::Below(std::uint64_t bound) {
    if (bound == 0) return 0;
    std::uint64_t value = 0;
    for (auto byte : RandomBytes<8>()) value = (value << 8U) | byte;
    return value % bound;
}

}  // namespace ticketing
