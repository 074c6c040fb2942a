#include <algorithm>
#include <string>
#include <ticketing/app/catalog_service.hpp>
#include <ticketing/domain/text.hpp>

#include "catalog_reader.hpp"
#include "internal.hpp"
#include "seat_map_cache.hpp"

namespace ticketing {

Result<CreatedConcert> CatalogService::CreateConcert(const NewConcert& request) {
    if (request.title.empty() || request.title.size() > 200) {
        return MakeError(Errc::kInvalidArgument, "title must be 1..200 characters");
    }
    if (!IsValidUtf8(request.title)) return MakeError(Errc::kInvalidArgument, "title must be valid UTF-8");
    if (request.reservation_closes_at <= request.reservation_opens_at) {
        return MakeError(Errc::kInvalidArgument, "reservationClosesAt must be after reservationOpensAt");
    }
    for (const auto& s : request.schedules) {
        if (s.price < 0 || s.price > kMaxCharge) {
            return MakeError(Errc::kInvalidArgument, "price must be within 0..10000000");
        }
        if (s.seat_count < 1 || s.seat_count > kMaxSeatsPerSchedule) {
            return MakeError(Errc::kInvalidArgument, "seatCount must be within 1..10000");
        }
    }
    auto uow = ctx_.db.Begin(ports::TxMode::kOptimistic);
    if (!uow) return Forward(uow.error());
    auto& db = **uow;
    CreatedConcert out;
    out.concert = Concert{{}, request.title, request.reservation_opens_at, request.reservation_closes_at};
    auto concert_id = db.InsertConcert(out.concert);
    if (!concert_id) return Forward(concert_id.error());
    out.concert.id = *concert_id;
    for (const auto& s : request.schedules) {
        Schedule schedule{{}, *concert_id, s.starts_at, s.price, s.seat_count};
        auto id = db.InsertSchedule(schedule);
        if (!id) return Forward(id.error());
        schedule.id = *id;
        if (auto seats = db.InsertSeats(*id, s.seat_count, s.price); !seats) return Forward(seats.error());
        out.schedules.push_back(schedule);
    }
    if (auto committed = db.Commit(); !committed) return Forward(committed.error());
    internal::CatalogReader(ctx_).Invalidate();
    return out;
}

Result<Page<Concert>> CatalogService::ListConcerts(std::optional<Timestamp> open_at, PageQuery query) {
    auto page = ToPageRequest(query);
    if (!page) return Forward(page.error());
    const auto limit = page->limit;
    ++page->limit;
    // "Now" is taken to the second, so that a flash crowd's list requests share one cache entry.
    const auto at = open_at.value_or(std::chrono::floor<Seconds>(ctx_.clock.Now()));
    auto concerts = internal::CatalogReader(ctx_).ListConcertsOpenAt(at, *page);
    if (!concerts) return Forward(concerts.error());
    return internal::ToPage(std::move(*concerts), limit, [](const Concert& c) { return c.id.value; });
}

Result<std::vector<ScheduleAvailability>> CatalogService::ListSchedules(ConcertId concert) {
    internal::CatalogReader catalog(ctx_);
    if (auto found = internal::RequireFound(catalog.FindConcert(concert), "concert " + std::to_string(concert.value));
        !found) {
        return Forward(found.error());
    }
    auto schedules = catalog.ListSchedules(concert);
    if (!schedules) return Forward(schedules.error());
    // Availability changes with every hold: always read live.
    auto uow = ctx_.db.Begin(ports::TxMode::kRead);
    if (!uow) return Forward(uow.error());
    auto available = (*uow)->CountAvailableSeats(concert, ctx_.clock.Now());
    if (!available) return Forward(available.error());
    std::vector<ScheduleAvailability> out;
    out.reserve(schedules->size());
    for (const auto& schedule : *schedules) {
        const auto it = available->find(schedule.id);
        out.push_back({schedule, it == available->end() ? 0 : it->second});
    }
    return out;
}

Result<SeatMap> CatalogService::GetSeatMap(std::string_view token, ScheduleId schedule_id) {
    const SeatMapAsk ask{token, schedule_id};
    auto map = std::move(GetSeatMaps({&ask, 1}).front());
    if (!map) return Forward(map.error());
    return **map;
}

std::vector<Result<std::shared_ptr<const SeatMap>>> CatalogService::GetSeatMaps(std::span<const SeatMapAsk> asks) {
    std::vector<std::string_view> tokens;
    tokens.reserve(asks.size());
    for (const auto& ask : asks) tokens.push_back(ask.token);
    const auto grants = queue_.AuthorizeMany(tokens);
    std::vector<std::pair<ScheduleId, Result<std::shared_ptr<const SeatMap>>>> read;  // each schedule once
    std::vector<Result<std::shared_ptr<const SeatMap>>> out;
    out.reserve(asks.size());
    for (std::size_t i = 0; i < asks.size(); ++i) {
        if (!grants[i]) {
            out.push_back(Forward(grants[i].error()));
            continue;
        }
        const auto schedule = asks[i].schedule;
        auto it = std::find_if(read.begin(), read.end(), [&](const auto& r) { return r.first == schedule; });
        if (it == read.end()) it = read.insert(read.end(), {schedule, ReadSeatMap(schedule)});
        const auto& map = it->second;
        if (!map) {
            out.push_back(Forward(map.error()));
        } else if ((*map)->schedule.concert_id != grants[i]->concert_id) {
            out.push_back(MakeError(Errc::kForbidden, "the queue token is for another concert"));
        } else {
            out.push_back(*map);
        }
    }
    return out;
}

Result<SeatMap> CatalogService::GetSeatMap(ScheduleId schedule_id) {
    auto map = ReadSeatMap(schedule_id);
    if (!map) return Forward(map.error());
    return **map;
}

Result<std::shared_ptr<const SeatMap>> CatalogService::ReadSeatMap(ScheduleId schedule_id) {
    auto* cache = ctx_.seat_maps != nullptr && ctx_.seat_maps->Enabled() ? ctx_.seat_maps : nullptr;
    const auto now = ctx_.clock.Now();
    auto stored = cache != nullptr ? cache->Find(schedule_id, now) : nullptr;
    if (!stored) {
        auto rows = ReadSeatRows(schedule_id);
        if (!rows) return Forward(rows.error());
        stored = std::move(*rows);
    }
    auto out = std::make_shared<SeatMap>(*stored);
    for (auto& seat : out->seats) {
        if (seat.StatusAt(now) == SeatStatus::kAvailable) {
            seat.status = SeatStatus::kAvailable;
            seat.held_by = {};
            seat.held_until = {};
        }
    }
    return out;
}

Result<std::shared_ptr<const SeatMap>> CatalogService::ReadSeatRows(ScheduleId schedule_id) {
    auto* cache = ctx_.seat_maps != nullptr && ctx_.seat_maps->Enabled() ? ctx_.seat_maps : nullptr;
    const auto ticket = cache != nullptr ? cache->Ticket() : 0;
    const auto read_at = ctx_.clock.Now();
    auto schedule = internal::RequireFound(
        internal::CatalogReader(ctx_).FindSchedule(schedule_id), "schedule " + std::to_string(schedule_id.value)
    );
    if (!schedule) return Forward(schedule.error());
    auto uow = ctx_.db.Begin(ports::TxMode::kRead);
    if (!uow) return Forward(uow.error());
    auto seats = (*uow)->ListSeats(schedule_id);
    if (!seats) return Forward(seats.error());
    auto map = std::make_shared<const SeatMap>(SeatMap{std::move(*schedule), std::move(*seats)});
    if (cache != nullptr) cache->Store(schedule_id, map, read_at, ticket);
    return map;
}

}  // namespace ticketing
