#include <string>
#include <ticketing/app/sales_projection.hpp>

#include "internal.hpp"

namespace ticketing {
namespace {

/// The schedule and what the event adds to it; nullopt for an event of another type.
Result<std::optional<std::pair<ScheduleId, SalesDelta>>> ReadEvent(const OutboxEvent& event) {
    const bool completed = event.type == "payment.completed";
    if (!completed && event.type != "payment.refunded") return std::nullopt;
    const auto schedule = internal::JsonIntField(event.payload, "scheduleId");
    const auto amount = internal::JsonIntField(event.payload, "amount");
    const auto seats = internal::JsonArraySize(internal::JsonField(event.payload, "tickets").value_or(""));
    if (!schedule || !amount || !seats) {
        return MakeError(
            Errc::kInvalidArgument, event.type + " " + event.event_id + " lacks scheduleId, amount or tickets"
        );
    }
    const std::int64_t sign = completed ? 1 : -1;
    return std::pair{ScheduleId{*schedule}, SalesDelta{sign * *seats, sign * *amount, completed ? 0 : 1}};
}

}  // namespace

Result<bool> SalesProjection::Apply(const OutboxEvent& event) {
    auto read = ReadEvent(event);
    if (!read) return Forward(read.error());
    if (!*read) return false;
    const auto& [schedule, delta] = **read;
    // A lost race is the same event applied by another consumer at this moment: the next try sees
    // its inbox row and stops.
    for (int attempt = 0;; ++attempt) {
        auto uow = ctx_.db.Begin(ports::TxMode::kOptimistic);
        if (!uow) return Forward(uow.error());
        const auto now = ctx_.clock.Now();
        auto fresh = (*uow)->RecordInbox(kSalesConsumer, event.event_id, now);
        if (!fresh) return Forward(fresh.error());
        if (!*fresh) return false;
        if (auto added = (*uow)->AddScheduleSales(schedule, delta, now); !added) return Forward(added.error());
        auto committed = (*uow)->Commit();
        if (committed) return true;
        if (committed.error().code != Errc::kAborted || attempt == 2) return Forward(committed.error());
    }
}

Result<ScheduleSales> SalesProjection::Get(ScheduleId schedule) {
    auto uow = ctx_.db.Begin(ports::TxMode::kRead);
    if (!uow) return Forward(uow.error());
    auto found = internal::RequireFound((*uow)->FindSchedule(schedule), "schedule " + std::to_string(schedule.value));
    if (!found) return Forward(found.error());
    auto sales = (*uow)->FindScheduleSales(schedule);
    if (!sales) return Forward(sales.error());
    if (*sales) return **sales;
    ScheduleSales none;
    none.schedule_id = schedule;
    return none;
}

}  // namespace ticketing
