#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <ticketing/app/context.hpp>
#include <ticketing/app/queue_service.hpp>
#include <vector>

namespace ticketing {

/// One request of ReservationService::HoldMany.
struct HoldRequest {
    std::string_view token;
    ScheduleId schedule;
    std::span<const SeatId> seats;
};

/// One request of ReservationService::CancelMany.
struct CancelRequest {
    std::string_view token;
    ReservationId id;
};

/// Seat holds. Thread-safe.
class ReservationService {
public:
    ReservationService(const Context& ctx, QueueService& queue) : ctx_(ctx), queue_(queue) {}

    /// Holds all of `seats` of one schedule or none. In order: token (401, 403 NOT_ADMITTED), seat list
    /// (400), seat limit (422), schedule (404) and its concert (403 for another), seats (404), window
    /// (422 RESERVATION_CLOSED), the token's live hold (409 HOLD_EXISTS), each seat free (409).
    Result<Reservation> Hold(std::string_view token, ScheduleId schedule, std::span<const SeatId> seats);
    Result<Reservation> Hold(std::string_view token, ScheduleId schedule, std::initializer_list<SeatId> seats) {
        return Hold(token, schedule, std::span<const SeatId>(seats.begin(), seats.size()));
    }
    /// `Hold(token, schedule, {11, 12})`: seat ids written as plain numbers.
    Result<Reservation> Hold(std::string_view token, ScheduleId schedule, std::initializer_list<std::int64_t> seat_ids);
    /// `Hold` for each request, as if they came one by one in some order: most are decided together
    /// in one unit of work (one read of their tokens' holds and of their seats, one insert, one seat
    /// write), and each is answered on its own. One answer per request, in order.
    std::vector<Result<Reservation>> HoldMany(std::span<const HoldRequest> requests);
    /// The owner's reservation with its status as of now (a lapsed hold reads as EXPIRED).
    Result<Reservation> Get(std::string_view token, ReservationId id);
    /// Frees the seats at once. HOLD_EXPIRED when the hold has lapsed; CONFLICT when paid or cancelled.
    Result<void> Cancel(std::string_view token, ReservationId id);
    /// `Cancel` for each request, decided together as `HoldMany` does holds.
    std::vector<Result<void>> CancelMany(std::span<const CancelRequest> requests);
    /// Tidies up to `limit` holds past their time (seats were already free to others); a hold that is
    /// busy elsewhere is left for the next run. Returns how many were tidied.
    Result<std::int64_t> ExpireHolds(std::int64_t limit);
    /// Holds live now (HELD and not yet expired), e.g. for the holds gauge.
    Result<std::int64_t> ActiveHolds();

private:
    Context ctx_;
    QueueService& queue_;
};

}  // namespace ticketing
