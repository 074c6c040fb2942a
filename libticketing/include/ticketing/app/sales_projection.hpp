#pragma once

#include <string_view>
#include <ticketing/app/context.hpp>

namespace ticketing {

/// The consumer name the sales projection records in the inbox.
inline constexpr std::string_view kSalesConsumer = "sales";

/// Per-schedule sales (seats sold, revenue, refunds) from `payment.completed` and `payment.refunded`
/// events, each applied once: the event id goes into the inbox in the same transaction as the
/// addition, so an event delivered twice (a relay that died before marking, a consumer that died
/// before committing its offset) counts once. Additions commute: the events of one payment may come
/// in any order. Thread-safe.
class SalesProjection {
public:
    explicit SalesProjection(const Context& ctx) : ctx_(ctx) {}

    /// True when applied now; false for an event already applied or of another type.
    /// INVALID_ARGUMENT for a payment event whose payload lacks what it needs (it never will have it).
    Result<bool> Apply(const OutboxEvent& event);
    /// NOT_FOUND when the schedule does not exist; zeros before its first sale.
    Result<ScheduleSales> Get(ScheduleId schedule);

private:
    Context ctx_;
};

}  // namespace ticketing
