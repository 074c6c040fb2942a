#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <ticketing/app/reservation_service.hpp>
#include <vector>

#include "catalog_reader.hpp"
#include "internal.hpp"
#include "seat_map_cache.hpp"

namespace ticketing {
namespace {

// Ends HELD reservations with `status` and frees the seats they still hold, in one write of each
// kind; paid seats are never touched.
Result<void> ReleaseHolds(ports::UnitOfWork& uow, std::vector<Reservation>& holds, ReservationStatus status) {
    std::vector<SeatId> ids;
    for (auto& hold : holds) {
        hold.status = status;
        hold.live_token.clear();
        for (const auto& s : hold.seats) ids.push_back(s.seat_id);
    }
    if (auto updated = uow.UpdateReservations(holds); !updated) return updated;
    for (auto& hold : holds) ++hold.version;
    auto seats = uow.FindSeatsForUpdate(ids);
    if (!seats) return Forward(seats.error());
    std::vector<Seat> changed;
    for (auto& seat : *seats) {
        for (const auto& hold : holds) {
            if (seat.Release(hold.id)) {
                changed.push_back(seat);
                break;
            }
        }
    }
    return uow.UpdateSeats(changed);
}

// A hold request that passed every check made before the database is read.
struct HoldPlan {
    Grant grant;
    Schedule schedule;
    Concert concert;
    std::vector<SeatId> ids;  // sorted, distinct
};

Result<HoldPlan> PlanHold(const Context& ctx, Grant grant, ScheduleId schedule_id, std::span<const SeatId> requested) {
    if (requested.empty()) return MakeError(Errc::kInvalidArgument, "seatIds must not be empty");
    std::vector<SeatId> ids(requested.begin(), requested.end());
    std::sort(ids.begin(), ids.end());
    if (auto dup = std::adjacent_find(ids.begin(), ids.end()); dup != ids.end()) {
        return MakeError(Errc::kInvalidArgument, "seat " + std::to_string(dup->value) + " is listed twice");
    }
    const auto limit = ctx.settings.reservation.max_seats_per_reservation;
    if (static_cast<std::int64_t>(ids.size()) > limit) {
        return MakeError(Errc::kSeatLimitExceeded, "at most " + std::to_string(limit) + " seats per reservation");
    }
    internal::CatalogReader catalog(ctx);
    auto schedule =
        internal::RequireFound(catalog.FindSchedule(schedule_id), "schedule " + std::to_string(schedule_id.value));
    if (!schedule) return Forward(schedule.error());
    auto concert = internal::RequireFound(
        catalog.FindConcert(schedule->concert_id), "concert " + std::to_string(schedule->concert_id.value)
    );
    if (!concert) return Forward(concert.error());
    if (schedule->concert_id != grant.concert_id) {
        return MakeError(Errc::kForbidden, "the queue token is for another concert");
    }
    return HoldPlan{std::move(grant), *schedule, *concert, std::move(ids)};
}

// The seats of `plan` among `locked` (sorted by id), or NOT_FOUND for the first one missing.
Result<std::vector<Seat*>> RequestedSeats(const HoldPlan& plan, std::vector<Seat>& locked) {
    std::vector<Seat*> seats;
    for (auto& seat : locked) {
        if (std::binary_search(plan.ids.begin(), plan.ids.end(), seat.id) && seat.schedule_id == plan.schedule.id) {
            seats.push_back(&seat);
        }
    }
    for (std::size_t i = 0; i < plan.ids.size(); ++i) {
        if (i >= seats.size() || seats[i]->id != plan.ids[i]) {
            return MakeError(
                Errc::kNotFound,
                "seat " + std::to_string(plan.ids[i].value) + " not found in schedule " +
                    std::to_string(plan.schedule.id.value)
            );
        }
    }
    return seats;
}

// Seats given to holds of a batch not yet written: seat -> the hold's index.
using Claimed = std::map<SeatId, std::size_t>;

// RESERVATION_CLOSED, HOLD_EXISTS, then SEAT_UNAVAILABLE (a seat in `claimed` counts as held).
Result<void> CheckHold(
    const HoldPlan& plan,
    const std::vector<Seat*>& seats,
    const Reservation* live,
    const Claimed& claimed,
    Timestamp now
) {
    if (!plan.concert.IsOpenAt(now)) {
        return MakeError(
            Errc::kReservationClosed,
            "reservations are open from " + FormatRfc3339(plan.concert.reservation_opens_at) + " to " +
                FormatRfc3339(plan.concert.reservation_closes_at)
        );
    }
    if (live != nullptr) {
        return MakeError(
            Errc::kHoldExists, "reservation " + std::to_string(live->id.value) + " already holds seats for this token"
        );
    }
    for (const auto* seat : seats) {
        const auto status = claimed.contains(seat->id) ? SeatStatus::kHeld : seat->StatusAt(now);
        if (status != SeatStatus::kAvailable) {
            return MakeError(
                Errc::kSeatUnavailable,
                "seat " + std::to_string(seat->number) + " is " + (status == SeatStatus::kSold ? "sold" : "held")
            );
        }
    }
    return {};
}

Reservation NewHold(const Context& ctx, const HoldPlan& plan, const std::vector<Seat*>& seats, Timestamp now) {
    Reservation hold;
    hold.user_id = plan.grant.user_id;
    hold.concert_id = plan.schedule.concert_id;
    hold.schedule_id = plan.schedule.id;
    hold.status = ReservationStatus::kHeld;
    hold.live_token = plan.grant.token;
    hold.created_at = now;
    // A hold never outlives the admission that made it: payment needs the token.
    hold.expires_at = std::min(now + ctx.settings.reservation.hold_ttl, plan.grant.active_until);
    for (const auto* seat : seats) {
        hold.seats.push_back({seat->id, seat->number, seat->price});
        hold.amount += seat->price;
    }
    std::sort(hold.seats.begin(), hold.seats.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
    return hold;
}

// What a hold writes that is known before it runs: its token's hold and its seats.
void AddHoldKeys(const HoldPlan& plan, std::vector<std::string>& keys) {
    keys.push_back("hold-token:" + plan.grant.token);
    for (auto id : plan.ids) keys.push_back(internal::LockKey("seat", id.value));
}

// One hold in a unit of work of its own. A lapsed hold of its token is ended here: its row and seats
// are written too.
Result<Reservation> HoldAlone(const Context& ctx, const HoldPlan& plan) {
    std::vector<std::string> known;
    AddHoldKeys(plan, known);
    // The lapsed hold is seldom there: locked on the first try only when the check under the lease
    // finds it.
    const LockKeys keys{
        std::move(known),
        [&](ports::UnitOfWork& uow) -> Result<std::vector<std::string>> {
            auto existing = uow.FindReservationByLiveTokenForUpdate(plan.grant.token);
            if (!existing) return Forward(existing.error());
            return *existing ? internal::ReservationKeys(**existing) : std::vector<std::string>{};
        },
        true};
    return RunLocked<Reservation>(ctx.locks, keys, [&](ports::UnitOfWork& uow) -> Result<Reservation> {
        const auto now = ctx.clock.Now();
        auto existing = uow.FindReservationByLiveTokenForUpdate(plan.grant.token);
        if (!existing) return Forward(existing.error());
        // The lapsed hold's seats are locked with the requested ones in one sorted batch, so two holds
        // over the same seats always lock them in the same order.
        std::optional<Reservation> lapsed;
        std::vector<SeatId> lock_ids = plan.ids;
        if (*existing && (*existing)->StatusAt(now) != ReservationStatus::kHeld) {
            lapsed = std::move(**existing);
            for (const auto& s : lapsed->seats) lock_ids.push_back(s.seat_id);
            std::sort(lock_ids.begin(), lock_ids.end());
            lock_ids.erase(std::unique(lock_ids.begin(), lock_ids.end()), lock_ids.end());
        }
        auto locked = uow.FindSeatsForUpdate(lock_ids);
        if (!locked) return Forward(locked.error());
        auto seats = RequestedSeats(plan, *locked);
        if (!seats) return Forward(seats.error());
        const Reservation* live = *existing && !lapsed ? &**existing : nullptr;
        if (auto checked = CheckHold(plan, *seats, live, {}, now); !checked) return Forward(checked.error());

        if (lapsed) {
            lapsed->status = ReservationStatus::kExpired;
            lapsed->live_token.clear();
            if (auto updated = uow.UpdateReservation(*lapsed); !updated) return Forward(updated.error());
        }
        auto hold = NewHold(ctx, plan, *seats, now);
        auto id = uow.InsertReservation(hold);
        if (!id) return Forward(id.error());
        hold.id = *id;
        // Each locked seat is written once, all in one batch: the requested ones to the new hold, the
        // lapsed hold's others back to AVAILABLE.
        std::vector<Seat> changed;
        for (auto& seat : *locked) {
            if (std::binary_search(plan.ids.begin(), plan.ids.end(), seat.id)) {
                seat.HoldFor(hold.id, hold.expires_at);
            } else if (!lapsed || !seat.Release(lapsed->id)) {
                continue;
            }
            changed.push_back(seat);
        }
        if (auto updated = uow.UpdateSeats(changed); !updated) return Forward(updated.error());
        return hold;
    });
}

// Holds decided in one unit of work: one read of the tokens' holds, one of all the seats, one insert
// of the new holds, one write of their seats. Each is decided as HoldAlone would in that order; one
// left undecided (nullopt) is for HoldAlone: a token's ask after its hold was made, or one whose token
// has a lapsed hold to end. A lost race reruns the whole batch, as the lock strategy retries any work.
std::vector<std::optional<Result<Reservation>>> HoldTogether(const Context& ctx, std::span<const HoldPlan> plans) {
    std::vector<std::optional<Result<Reservation>>> decided(plans.size());
    std::vector<std::string> keys;
    std::vector<std::string> tokens;
    std::vector<SeatId> seat_ids;
    for (const auto& plan : plans) {
        AddHoldKeys(plan, keys);
        tokens.push_back(plan.grant.token);
        seat_ids.insert(seat_ids.end(), plan.ids.begin(), plan.ids.end());
    }
    auto done = ctx.locks.Run(LockKeys{std::move(keys), {}}, [&](ports::UnitOfWork& uow) -> Result<void> {
        std::fill(decided.begin(), decided.end(), std::nullopt);  // an attempt after a lost race decides anew
        const auto now = ctx.clock.Now();
        auto existing = uow.FindReservationsByLiveTokensForUpdate(tokens);
        if (!existing) return Forward(existing.error());
        auto locked = uow.FindSeatsForUpdate(seat_ids);
        if (!locked) return Forward(locked.error());
        std::set<std::string_view> holding;  // tokens given a hold in this batch
        Claimed claimed;
        std::vector<Reservation> holds;
        std::vector<std::size_t> made;  // the plan of each hold
        for (std::size_t k = 0; k < plans.size(); ++k) {
            const auto& plan = plans[k];
            if (holding.contains(plan.grant.token)) continue;
            const auto live = std::find_if(existing->begin(), existing->end(), [&](const auto& r) {
                return r.live_token == plan.grant.token;
            });
            if (live != existing->end() && live->StatusAt(now) != ReservationStatus::kHeld) continue;
            auto seats = RequestedSeats(plan, *locked);
            if (!seats) {
                decided[k] = Forward(seats.error());
                continue;
            }
            const Reservation* live_hold = live != existing->end() ? &*live : nullptr;
            if (auto checked = CheckHold(plan, *seats, live_hold, claimed, now); !checked) {
                decided[k] = Forward(checked.error());
                continue;
            }
            for (const auto* seat : *seats) claimed.emplace(seat->id, holds.size());
            holding.insert(plan.grant.token);
            holds.push_back(NewHold(ctx, plan, *seats, now));
            made.push_back(k);
        }
        if (holds.empty()) return {};
        auto ids = uow.InsertReservations(holds);
        if (!ids) return Forward(ids.error());
        for (std::size_t j = 0; j < holds.size(); ++j) holds[j].id = (*ids)[j];
        std::vector<Seat> changed;
        for (auto& seat : *locked) {
            const auto claim = claimed.find(seat.id);
            if (claim == claimed.end()) continue;
            const auto& hold = holds[claim->second];
            seat.HoldFor(hold.id, hold.expires_at);
            changed.push_back(seat);
        }
        if (auto updated = uow.UpdateSeats(changed); !updated) return updated;
        for (std::size_t j = 0; j < holds.size(); ++j) decided[made[j]] = std::move(holds[j]);
        return {};
    });
    if (!done) return internal::AfterFailedBatch<Reservation>(done.error(), plans.size());
    return decided;
}

// May `user` cancel `hold` now: only while it is HELD.
Result<void> CheckCancel(const Reservation& hold, UserId user, Timestamp now) {
    if (hold.user_id != user) return MakeError(Errc::kForbidden, "not your reservation");
    switch (hold.StatusAt(now)) {
        case ReservationStatus::kHeld:
            return {};
        case ReservationStatus::kExpired:
            return MakeError(Errc::kHoldExpired, "the hold has expired");
        case ReservationStatus::kPaid:
            return MakeError(Errc::kConflict, "the reservation is paid: ask for a refund");
        case ReservationStatus::kCancelled:
            break;
    }
    return MakeError(Errc::kConflict, "the reservation is already cancelled");
}

struct CancelPlan {
    Grant grant;
    ReservationId id;
};

// One cancel in a unit of work of its own. Sets `freed` to the schedule whose seats it freed.
Result<void> CancelAlone(const Context& ctx, const CancelPlan& plan, std::optional<ScheduleId>& freed) {
    return ctx.locks.Run(internal::ReservationLockKeys(plan.id), [&](ports::UnitOfWork& uow) -> Result<void> {
        auto hold = internal::RequireFound(
            uow.FindReservationForUpdate(plan.id), "reservation " + std::to_string(plan.id.value)
        );
        if (!hold) return Forward(hold.error());
        if (auto allowed = CheckCancel(*hold, plan.grant.user_id, ctx.clock.Now()); !allowed) return allowed;
        freed = hold->schedule_id;
        std::vector<Reservation> holds{std::move(*hold)};
        return ReleaseHolds(uow, holds, ReservationStatus::kCancelled);
    });
}

// Cancels decided in one unit of work (one read of the holds, one write of them, one read and one
// write of their seats), as HoldTogether does holds; an ask for a reservation already cancelled in the
// batch is left undecided.
std::vector<std::optional<Result<void>>> CancelTogether(
    const Context& ctx, std::span<const CancelPlan> plans, std::set<ScheduleId>& freed
) {
    std::vector<std::optional<Result<void>>> decided(plans.size());
    std::vector<ReservationId> ids;
    std::vector<std::string> keys;
    for (const auto& plan : plans) {
        ids.push_back(plan.id);
        keys.push_back(internal::LockKey("reservation", plan.id.value));
    }
    const LockKeys lock_keys{std::move(keys), [&](ports::UnitOfWork& uow) -> Result<std::vector<std::string>> {
                                 auto found = uow.FindReservationsForUpdate(ids);
                                 if (!found) return Forward(found.error());
                                 std::vector<std::string> read;
                                 for (const auto& r : *found) {
                                     auto more = internal::ReservationKeys(r);
                                     read.insert(read.end(), more.begin(), more.end());
                                 }
                                 return read;
                             }};
    std::set<ScheduleId> schedules;
    auto done = ctx.locks.Run(lock_keys, [&](ports::UnitOfWork& uow) -> Result<void> {
        std::fill(decided.begin(), decided.end(), std::nullopt);  // an attempt after a lost race decides anew
        schedules.clear();
        const auto now = ctx.clock.Now();
        auto found = uow.FindReservationsForUpdate(ids);
        if (!found) return Forward(found.error());
        std::set<ReservationId> ending;  // reservations cancelled in this batch
        std::vector<Reservation> holds;
        std::vector<std::size_t> made;  // the plan of each hold
        for (std::size_t k = 0; k < plans.size(); ++k) {
            const auto& plan = plans[k];
            if (ending.contains(plan.id)) continue;
            const auto hold =
                std::find_if(found->begin(), found->end(), [&](const auto& r) { return r.id == plan.id; });
            if (hold == found->end()) {
                decided[k] = MakeError(Errc::kNotFound, "reservation " + std::to_string(plan.id.value) + " not found");
                continue;
            }
            if (auto allowed = CheckCancel(*hold, plan.grant.user_id, now); !allowed) {
                decided[k] = allowed;
                continue;
            }
            holds.push_back(*hold);
            made.push_back(k);
            ending.insert(plan.id);
        }
        if (holds.empty()) return {};
        if (auto released = ReleaseHolds(uow, holds, ReservationStatus::kCancelled); !released) return released;
        for (std::size_t j = 0; j < holds.size(); ++j) {
            decided[made[j]] = Result<void>{};
            schedules.insert(holds[j].schedule_id);
        }
        return {};
    });
    if (!done) return internal::AfterFailedBatch<void>(done.error(), plans.size());
    freed.insert(schedules.begin(), schedules.end());
    return decided;
}

// The requests' tokens authorized in one queue-store round trip, then each made a plan by `make_plan`.
// A request refused on the way has its answer in `out`; `asked` gets out's index of each plan.
template <class Plan, class Answer, class Request, class MakePlan>
std::vector<Plan> PlanEach(
    QueueService& queue,
    std::span<const Request> requests,
    std::vector<Answer>& out,
    std::vector<std::size_t>& asked,
    MakePlan make_plan
) {
    std::vector<std::string_view> tokens;
    for (const auto& request : requests) tokens.push_back(request.token);
    auto grants = queue.AuthorizeMany(tokens);
    return internal::PlanAccepted<Plan>(requests.size(), out, asked, [&](std::size_t i) -> Result<Plan> {
        if (!grants[i]) return Forward(grants[i].error());
        return make_plan(std::move(*grants[i]), requests[i]);
    });
}

}  // namespace

Result<Reservation> ReservationService::Hold(
    std::string_view token, ScheduleId schedule_id, std::span<const SeatId> requested
) {
    const HoldRequest request{token, schedule_id, requested};
    return std::move(HoldMany({&request, 1}).front());
}

std::vector<Result<Reservation>> ReservationService::HoldMany(std::span<const HoldRequest> requests) {
    std::vector<Result<Reservation>> out(requests.size(), MakeError(Errc::kInternal, "not answered"));
    std::vector<std::size_t> asked;
    const auto plans = PlanEach<HoldPlan>(queue_, requests, out, asked, [&](Grant grant, const HoldRequest& request) {
        return PlanHold(ctx_, std::move(grant), request.schedule, request.seats);
    });
    auto decided =
        plans.size() > 1 ? HoldTogether(ctx_, plans) : std::vector<std::optional<Result<Reservation>>>(plans.size());
    std::set<ScheduleId> changed;
    for (std::size_t k = 0; k < plans.size(); ++k) {
        auto& answer = out[asked[k]];
        answer = decided[k] ? std::move(*decided[k]) : HoldAlone(ctx_, plans[k]);
        // A lapsed hold's seats need no notice: a seat map shows them free from their expiry on.
        if (answer) changed.insert(answer->schedule_id);
    }
    for (auto schedule : changed) internal::SeatsChanged(ctx_, schedule);
    return out;
}

Result<Reservation> ReservationService::Hold(
    std::string_view token, ScheduleId schedule, std::initializer_list<std::int64_t> seat_ids
) {
    std::vector<SeatId> ids;
    ids.reserve(seat_ids.size());
    for (auto id : seat_ids) ids.emplace_back(id);
    return Hold(token, schedule, ids);
}

Result<Reservation> ReservationService::Get(std::string_view token, ReservationId id) {
    auto grant = queue_.Authorize(token);
    if (!grant) return Forward(grant.error());
    auto uow = ctx_.db.Begin(ports::TxMode::kRead);
    if (!uow) return Forward(uow.error());
    auto found = internal::RequireFound((*uow)->FindReservation(id), "reservation " + std::to_string(id.value));
    if (!found) return Forward(found.error());
    if (found->user_id != grant->user_id) return MakeError(Errc::kForbidden, "not your reservation");
    found->status = found->StatusAt(ctx_.clock.Now());
    return found;
}

Result<void> ReservationService::Cancel(std::string_view token, ReservationId id) {
    const CancelRequest request{token, id};
    return CancelMany({&request, 1}).front();
}

std::vector<Result<void>> ReservationService::CancelMany(std::span<const CancelRequest> requests) {
    std::vector<Result<void>> out(requests.size(), MakeError(Errc::kInternal, "not answered"));
    std::vector<std::size_t> asked;
    const auto plans =
        PlanEach<CancelPlan>(queue_, requests, out, asked, [](Grant grant, const CancelRequest& request) {
            return Result<CancelPlan>(CancelPlan{std::move(grant), request.id});
        });
    std::set<ScheduleId> freed;
    auto decided =
        plans.size() > 1 ? CancelTogether(ctx_, plans, freed) : std::vector<std::optional<Result<void>>>(plans.size());
    for (std::size_t k = 0; k < plans.size(); ++k) {
        if (decided[k]) {
            out[asked[k]] = *decided[k];
            continue;
        }
        std::optional<ScheduleId> schedule;
        out[asked[k]] = CancelAlone(ctx_, plans[k], schedule);
        if (out[asked[k]] && schedule) freed.insert(*schedule);
    }
    for (auto schedule : freed) internal::SeatsChanged(ctx_, schedule);
    return out;
}

Result<std::int64_t> ReservationService::ActiveHolds() {
    auto uow = ctx_.db.Begin(ports::TxMode::kRead);
    if (!uow) return Forward(uow.error());
    return (*uow)->CountLiveHolds(ctx_.clock.Now());
}

Result<std::int64_t> ReservationService::ExpireHolds(std::int64_t limit) {
    std::vector<ReservationId> due;
    {
        auto uow = ctx_.db.Begin(ports::TxMode::kRead);
        if (!uow) return Forward(uow.error());
        auto listed = (*uow)->ListExpiredHolds(ctx_.clock.Now(), limit);
        if (!listed) return Forward(listed.error());
        due = std::move(*listed);
    }
    std::int64_t expired = 0;
    for (auto id : due) {
        bool released = false;
        auto done = ctx_.locks.Run(internal::ReservationLockKeys(id), [&](ports::UnitOfWork& uow) -> Result<void> {
            released = false;
            auto hold = uow.FindReservationForUpdate(id);
            if (!hold) return Forward(hold.error());
            // Paid, cancelled or already tidied meanwhile: nothing to do.
            if (!*hold || (*hold)->status != ReservationStatus::kHeld ||
                (*hold)->StatusAt(ctx_.clock.Now()) != ReservationStatus::kExpired) {
                return {};
            }
            released = true;
            std::vector<Reservation> holds{std::move(**hold)};
            return ReleaseHolds(uow, holds, ReservationStatus::kExpired);
        });
        // A hold busy elsewhere (its payment, another sweeper) is left for the next run.
        if (!done && done.error().code != Errc::kConflict) return Forward(done.error());
        if (done && released) ++expired;
    }
    return expired;
}

}  // namespace ticketing
