#include <algorithm>
#include <optional>
#include <string>
#include <ticketing/app/reservation_service.hpp>
#include <vector>

#include "catalog_reader.hpp"
#include "internal.hpp"
#include "seat_map_cache.hpp"

namespace ticketing {
namespace {

// Ends a HELD reservation with `status` and frees the seats it still holds; paid seats are never touched.
Result<void> ReleaseHold(ports::UnitOfWork& uow, Reservation& hold, ReservationStatus status) {
    hold.status = status;
    hold.live_token.clear();
    if (auto updated = uow.UpdateReservation(hold); !updated) return updated;
    ++hold.version;
    std::vector<SeatId> ids;
    for (const auto& s : hold.seats) ids.push_back(s.seat_id);
    std::sort(ids.begin(), ids.end());
    auto seats = uow.FindSeatsForUpdate(ids);
    if (!seats) return Forward(seats.error());
    for (auto& seat : *seats) {
        if (!seat.Release(hold.id)) continue;
        if (auto updated = uow.UpdateSeat(seat); !updated) return updated;
    }
    return {};
}

}  // namespace

Result<Reservation> ReservationService::Hold(
    std::string_view token, ScheduleId schedule_id, std::span<const SeatId> requested
) {
    auto grant = queue_.Authorize(token);
    if (!grant) return Forward(grant.error());

    if (requested.empty()) return MakeError(Errc::kInvalidArgument, "seatIds must not be empty");
    std::vector<SeatId> ids(requested.begin(), requested.end());
    std::sort(ids.begin(), ids.end());
    if (auto dup = std::adjacent_find(ids.begin(), ids.end()); dup != ids.end()) {
        return MakeError(Errc::kInvalidArgument, "seat " + std::to_string(dup->value) + " is listed twice");
    }
    const auto limit = ctx_.settings.reservation.max_seats_per_reservation;
    if (static_cast<std::int64_t>(ids.size()) > limit) {
        return MakeError(Errc::kSeatLimitExceeded, "at most " + std::to_string(limit) + " seats per reservation");
    }

    internal::CatalogReader catalog(ctx_);
    auto found_schedule =
        internal::RequireFound(catalog.FindSchedule(schedule_id), "schedule " + std::to_string(schedule_id.value));
    if (!found_schedule) return Forward(found_schedule.error());
    const Schedule schedule = *found_schedule;
    auto found_concert = internal::RequireFound(
        catalog.FindConcert(schedule.concert_id), "concert " + std::to_string(schedule.concert_id.value)
    );
    if (!found_concert) return Forward(found_concert.error());
    const Concert concert = *found_concert;
    if (schedule.concert_id != grant->concert_id) {
        return MakeError(Errc::kForbidden, "the queue token is for another concert");
    }
    std::vector<std::string> known{"hold-token:" + grant->token};
    for (auto id : ids) known.push_back(internal::LockKey("seat", id.value));
    // A lapsed hold of this token is ended here: its row and seats are written too.
    // Seldom there: locked on the first try only when the check under the lease finds it.
    const LockKeys keys{
        std::move(known),
        [&](ports::UnitOfWork& uow) -> Result<std::vector<std::string>> {
            auto existing = uow.FindReservationByLiveTokenForUpdate(grant->token);
            if (!existing) return Forward(existing.error());
            return *existing ? internal::ReservationKeys(**existing) : std::vector<std::string>{};
        },
        true};

    auto held = RunLocked<Reservation>(ctx_.locks, keys, [&](ports::UnitOfWork& uow) -> Result<Reservation> {
        const auto now = ctx_.clock.Now();
        auto existing = uow.FindReservationByLiveTokenForUpdate(grant->token);
        if (!existing) return Forward(existing.error());
        // A lapsed hold of this token is ended here; its seats are locked with the requested ones in
        // one sorted batch, so two holds over the same seats always lock them in the same order.
        std::optional<Reservation> lapsed;
        std::vector<SeatId> lock_ids = ids;
        if (*existing && (*existing)->StatusAt(now) != ReservationStatus::kHeld) {
            lapsed = std::move(**existing);
            for (const auto& s : lapsed->seats) lock_ids.push_back(s.seat_id);
            std::sort(lock_ids.begin(), lock_ids.end());
            lock_ids.erase(std::unique(lock_ids.begin(), lock_ids.end()), lock_ids.end());
        }
        auto locked = uow.FindSeatsForUpdate(lock_ids);
        if (!locked) return Forward(locked.error());
        const auto is_requested = [&](SeatId id) { return std::binary_search(ids.begin(), ids.end(), id); };
        std::vector<Seat*> seats;
        for (auto& seat : *locked) {
            if (is_requested(seat.id) && seat.schedule_id == schedule_id) seats.push_back(&seat);
        }
        if (seats.size() != ids.size()) {
            for (std::size_t i = 0; i < ids.size(); ++i) {
                if (i >= seats.size() || seats[i]->id != ids[i]) {
                    return MakeError(
                        Errc::kNotFound,
                        "seat " + std::to_string(ids[i].value) + " not found in schedule " +
                            std::to_string(schedule_id.value)
                    );
                }
            }
        }
        if (!concert.IsOpenAt(now)) {
            return MakeError(
                Errc::kReservationClosed,
                "reservations are open from " + FormatRfc3339(concert.reservation_opens_at) + " to " +
                    FormatRfc3339(concert.reservation_closes_at)
            );
        }
        if (*existing && !lapsed) {
            return MakeError(
                Errc::kHoldExists,
                "reservation " + std::to_string((*existing)->id.value) + " already holds seats for this token"
            );
        }
        for (const auto* seat : seats) {
            if (auto status = seat->StatusAt(now); status != SeatStatus::kAvailable) {
                return MakeError(
                    Errc::kSeatUnavailable,
                    "seat " + std::to_string(seat->number) + " is " + (status == SeatStatus::kSold ? "sold" : "held")
                );
            }
        }

        if (lapsed) {
            lapsed->status = ReservationStatus::kExpired;
            lapsed->live_token.clear();
            if (auto updated = uow.UpdateReservation(*lapsed); !updated) return Forward(updated.error());
        }
        Reservation hold;
        hold.user_id = grant->user_id;
        hold.concert_id = schedule.concert_id;
        hold.schedule_id = schedule_id;
        hold.status = ReservationStatus::kHeld;
        hold.live_token = grant->token;
        hold.created_at = now;
        // A hold never outlives the admission that made it: payment needs the token.
        hold.expires_at = std::min(now + ctx_.settings.reservation.hold_ttl, grant->active_until);
        for (const auto* seat : seats) {
            hold.seats.push_back({seat->id, seat->number, seat->price});
            hold.amount += seat->price;
        }
        std::sort(hold.seats.begin(), hold.seats.end(), [](const auto& a, const auto& b) {
            return a.number < b.number;
        });
        auto id = uow.InsertReservation(hold);
        if (!id) return Forward(id.error());
        hold.id = *id;
        // Each locked seat is written once, all in one batch: the requested ones to the new hold, the
        // lapsed hold's others back to AVAILABLE.
        std::vector<Seat> changed;
        for (auto& seat : *locked) {
            if (is_requested(seat.id)) {
                seat.HoldFor(hold.id, hold.expires_at);
            } else if (!lapsed || !seat.Release(lapsed->id)) {
                continue;
            }
            changed.push_back(seat);
        }
        if (auto updated = uow.UpdateSeats(changed); !updated) return Forward(updated.error());
        return hold;
    });
    // A lapsed hold's seats need no notice: a seat map shows them free from their expiry on.
    if (held) internal::SeatsChanged(ctx_, schedule_id);
    return held;
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
    auto grant = queue_.Authorize(token);
    if (!grant) return Forward(grant.error());
    std::optional<ScheduleId> freed;
    auto cancelled = ctx_.locks.Run(internal::ReservationLockKeys(id), [&](ports::UnitOfWork& uow) -> Result<void> {
        auto hold = internal::RequireFound(uow.FindReservationForUpdate(id), "reservation " + std::to_string(id.value));
        if (!hold) return Forward(hold.error());
        if (hold->user_id != grant->user_id) return MakeError(Errc::kForbidden, "not your reservation");
        switch (hold->StatusAt(ctx_.clock.Now())) {
            case ReservationStatus::kHeld:
                freed = hold->schedule_id;
                return ReleaseHold(uow, *hold, ReservationStatus::kCancelled);
            case ReservationStatus::kExpired:
                return MakeError(Errc::kHoldExpired, "the hold has expired");
            case ReservationStatus::kPaid:
                return MakeError(Errc::kConflict, "the reservation is paid: ask for a refund");
            case ReservationStatus::kCancelled:
                break;
        }
        return MakeError(Errc::kConflict, "the reservation is already cancelled");
    });
    if (cancelled && freed) internal::SeatsChanged(ctx_, *freed);
    return cancelled;
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
            return ReleaseHold(uow, **hold, ReservationStatus::kExpired);
        });
        // A hold busy elsewhere (its payment, another sweeper) is left for the next run.
        if (!done && done.error().code != Errc::kConflict) return Forward(done.error());
        if (done && released) ++expired;
    }
    return expired;
}

}  // namespace ticketing
