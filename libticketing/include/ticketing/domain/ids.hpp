#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace ticketing {

/// A strongly typed positive 64-bit id; 0 means "none".
template <class Tag>
struct Id {
    std::int64_t value{0};

    constexpr Id() = default;
    constexpr explicit Id(std::int64_t v) : value(v) {}
    constexpr explicit operator bool() const { return value != 0; }
    friend constexpr auto operator<=>(Id, Id) = default;
};

using UserId = Id<struct UserTag>;
using ConcertId = Id<struct ConcertTag>;
using ScheduleId = Id<struct ScheduleTag>;
using SeatId = Id<struct SeatTag>;
using ReservationId = Id<struct ReservationTag>;
using PaymentId = Id<struct PaymentTag>;
using TicketId = Id<struct TicketTag>;
using LedgerEntryId = Id<struct LedgerEntryTag>;
using OutboxEventId = Id<struct OutboxEventTag>;

}  // namespace ticketing

template <class Tag>
struct std::hash<ticketing::Id<Tag>> {
    std::size_t operator()(ticketing::Id<Tag> id) const noexcept { return std::hash<std::int64_t>{}(id.value); }
};
