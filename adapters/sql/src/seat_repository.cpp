// Seats of a schedule (SeatRepository).
#include <algorithm>

#include "schema.hpp"
#include "statements.hpp"
#include "unit_of_work.hpp"

namespace ticketing::sql::detail {
namespace {

struct CountRow {
    static constexpr std::string_view kColumns = "key, count";
    std::int64_t key{0};
    std::int64_t count{0};
    void Bind(soci::details::prepare_temp_type& p) { p, soci::into(key), soci::into(count); }
    std::pair<std::int64_t, std::int64_t> ToEntity() const { return {key, count}; }
};

struct SeatRow {
    static constexpr std::string_view kColumns = "id, schedule_id, number, price, status, held_by, held_until, version";
    Seat seat;
    int status{0};
    std::int64_t held_until{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(seat.id.value), soci::into(seat.schedule_id.value), soci::into(seat.number),
            soci::into(seat.price), soci::into(status), soci::into(seat.held_by.value), soci::into(held_until),
            soci::into(seat.version);
    }
    Seat ToEntity() const {
        auto out = seat;
        out.status = static_cast<SeatStatus>(status);
        out.held_until = FromMs(held_until);
        return out;
    }
};

}  // namespace

Result<void> SqlUnitOfWork::InsertSeats(ScheduleId schedule, std::int32_t count, Money price) {
    return Write<void>("insert seats", [&](soci::session& sql) -> Result<void> {
        std::int32_t number = 0;
        soci::statement st =
            (sql.prepare << "INSERT INTO seat (schedule_id, number, price, status, held_by, "
                            "held_until, version) VALUES (:schedule, :number, :price, 0, 0, 0, 0)",
             soci::use(schedule.value),
             soci::use(number),
             soci::use(price));
        for (number = 1; number <= count; ++number) st.execute(true);
        return {};
    });
}

Result<std::vector<Seat>> SqlUnitOfWork::ListSeats(ScheduleId schedule) {
    return Read<std::vector<Seat>>("list seats", [&](soci::session& sql) -> Result<std::vector<Seat>> {
        return Select<SeatRow>(
            sql, SelectFrom<SeatRow>("seat", "WHERE schedule_id = :schedule ORDER BY number"), schedule.value
        );
    });
}

Result<std::map<ScheduleId, std::int64_t>> SqlUnitOfWork::CountAvailableSeats(ConcertId concert, Timestamp now) {
    return Read<std::map<ScheduleId, std::int64_t>>(
        "count seats",
        [&](soci::session& sql) -> Result<std::map<ScheduleId, std::int64_t>> {
            const auto rows = Select<CountRow>(
                sql,
                "SELECT seat.schedule_id, COUNT(*) FROM schedule JOIN seat ON seat.schedule_id = schedule.id "
                "WHERE schedule.concert_id = :concert AND (seat.status = :available OR "
                "(seat.status = :held AND seat.held_until <= :now)) GROUP BY seat.schedule_id",
                concert.value,
                kSeatAvailable,
                kSeatHeld,
                ToMs(now)
            );
            std::map<ScheduleId, std::int64_t> out;
            for (const auto& [schedule, count] : rows) out[ScheduleId{schedule}] = count;
            return out;
        }
    );
}

Result<std::vector<Seat>> SqlUnitOfWork::FindSeatsForUpdate(std::span<const SeatId> ids) {
    return Read<std::vector<Seat>>("find seats for update", [&](soci::session& sql) -> Result<std::vector<Seat>> {
        return SelectByIds<SeatRow>(sql, "seat", ids, ForUpdate());
    });
}

Result<void> SqlUnitOfWork::UpdateSeat(const Seat& seat) {
    return Write<void>("update seat", [&](soci::session& sql) {
        return UpdateVersioned(
            sql,
            "seat",
            "price = :price, status = :status, held_by = :held_by, held_until = :held_until",
            seat.id.value,
            seat.version,
            seat.price,
            static_cast<int>(seat.status),
            seat.held_by.value,
            ToMs(seat.held_until)
        );
    });
}

Result<void> SqlUnitOfWork::UpdateSeats(std::span<const Seat> seats) {
    return Write<void>("update seats", [&](soci::session& sql) -> Result<void> {
        if (seats.empty()) return {};
        const auto text = [](std::int64_t v) { return std::to_string(v); };
        const auto affected = Exec(
            sql,
            "UPDATE seat SET price = " + CaseById(seats, [&](const Seat& s) { return text(s.price); }) +
                ", status = " + CaseById(seats, [&](const Seat& s) { return text(static_cast<int>(s.status)); }) +
                ", held_by = " + CaseById(seats, [&](const Seat& s) { return text(s.held_by.value); }) +
                ", held_until = " + CaseById(seats, [&](const Seat& s) { return text(ToMs(s.held_until)); }) +
                ", version = version + 1 WHERE " + AtVersionsRead(seats)
        );
        return AllWritten(affected, seats.size(), "seat");
    });
}

Result<std::int64_t> SqlUnitOfWork::TransitionSeats(
    std::span<const SeatId> ids, ports::SeatHolding from, ports::SeatHolding to
) {
    return Write<std::int64_t>("change seats", [&](soci::session& sql) -> Result<std::int64_t> {
        if (ids.empty()) return std::int64_t{0};
        std::vector<std::int64_t> values;
        for (auto id : ids) values.push_back(id.value);
        return static_cast<std::int64_t>(Exec(
            sql,
            "UPDATE seat SET status = :to_status, held_by = :to_holder, held_until = :to_until, version = version + 1 "
            "WHERE id IN " +
                IdList(values) + " AND status = :from_status AND held_by = :from_holder",
            static_cast<int>(to.status),
            to.held_by.value,
            ToMs(to.held_until),
            static_cast<int>(from.status),
            from.held_by.value
        ));
    });
}

}  // namespace ticketing::sql::detail
