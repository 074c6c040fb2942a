#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <ticketing/app/context.hpp>
#include <ticketing/app/queue_service.hpp>
#include <vector>

namespace ticketing {

struct NewSchedule {
    Timestamp starts_at;
    Money price{0};
    std::int32_t seat_count{50};
};

struct NewConcert {
    std::string title;
    Timestamp reservation_opens_at;
    Timestamp reservation_closes_at;
    std::vector<NewSchedule> schedules;
};

struct ScheduleAvailability {
    Schedule schedule;
    std::int64_t available_seats{0};
};

struct CreatedConcert {
    Concert concert;
    std::vector<Schedule> schedules;
};

struct SeatMap {
    Schedule schedule;
    std::vector<Seat> seats;  ///< by number, status as of now
};

/// A buyer's seat map request: the queue token (viewed, not copied: it must outlive the call) and the
/// schedule.
struct SeatMapAsk {
    std::string_view token;
    ScheduleId schedule;
};

inline constexpr std::int32_t kMaxSeatsPerSchedule = 10'000;

/// Concerts, schedules and seat maps. Thread-safe.
class CatalogService {
public:
    CatalogService(const Context& ctx, QueueService& queue) : ctx_(ctx), queue_(queue) {}

    /// INVALID_ARGUMENT for an empty title, a window that closes before it opens, a negative price, or
    /// a seat count outside 1..10000.
    Result<CreatedConcert> CreateConcert(const NewConcert& request);
    /// Concerts open for reservation at `open_at` (default now).
    Result<Page<Concert>> ListConcerts(std::optional<Timestamp> open_at, PageQuery page);
    Result<std::vector<ScheduleAvailability>> ListSchedules(ConcertId concert);
    /// The seat map for an ACTIVE token of the schedule's concert.
    Result<SeatMap> GetSeatMap(std::string_view token, ScheduleId schedule);
    /// `GetSeatMap` for each ask, in order: the tokens looked up in one queue-store round trip, each
    /// schedule read once; asks of one schedule share one map.
    std::vector<Result<std::shared_ptr<const SeatMap>>> GetSeatMaps(std::span<const SeatMapAsk> asks);
    /// The seat map of any schedule, for operators: no queue token needed.
    Result<SeatMap> GetSeatMap(ScheduleId schedule);

private:
    /// The seat map as of now.
    Result<std::shared_ptr<const SeatMap>> ReadSeatMap(ScheduleId schedule);
    /// The schedule and its seat rows as stored (HELD past expiry included), kept in the seat map cache.
    Result<std::shared_ptr<const SeatMap>> ReadSeatRows(ScheduleId schedule);

    Context ctx_;
    QueueService& queue_;
};

}  // namespace ticketing
