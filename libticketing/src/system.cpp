#include <array>
#include <cstdio>
#include <ticketing/app/system.hpp>

namespace ticketing {
namespace {

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

Timestamp SystemClock::Now() const {
    return std::chrono::floor<Millis>(std::chrono::system_clock::now());
}

std::string SystemRandom::Token() {
    std::array<std::uint32_t, 4> words{};
    {
        std::lock_guard lock(mutex_);
        for (auto& w : words) w = device_();
    }
    std::string out;
    out.reserve(32);
    for (auto w : words) {
        for (int shift = 28; shift >= 0; shift -= 4) out += kHex[(w >> shift) & 0xFU];
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
    std::lock_guard lock(mutex_);
    const std::uint64_t value = (std::uint64_t{device_()} << 32) | device_();
    return value % bound;
}

}  // namespace ticketing
