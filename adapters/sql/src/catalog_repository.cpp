// Concerts and schedules (CatalogRepository).
#include "statements.hpp"
#include "unit_of_work.hpp"

namespace ticketing::sql::detail {
namespace {

struct ConcertRow {
    static constexpr std::string_view kColumns = "id, title, reservation_opens_at, reservation_closes_at";
    Concert concert;
    std::int64_t opens{0};
    std::int64_t closes{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(concert.id.value), soci::into(concert.title), soci::into(opens), soci::into(closes);
    }
    Concert ToEntity() const {
        auto out = concert;
        out.reservation_opens_at = FromMs(opens);
        out.reservation_closes_at = FromMs(closes);
        return out;
    }
};

struct ScheduleRow {
    static constexpr std::string_view kColumns = "id, concert_id, starts_at, price, total_seats";
    Schedule schedule;
    std::int64_t starts_at{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(schedule.id.value), soci::into(schedule.concert_id.value), soci::into(starts_at),
            soci::into(schedule.price), soci::into(schedule.total_seats);
    }
    Schedule ToEntity() const {
        auto out = schedule;
        out.starts_at = FromMs(starts_at);
        return out;
    }
};

}  // namespace

Result<ConcertId> SqlUnitOfWork::InsertConcert(const Concert& concert) {
    return Write<ConcertId>("insert concert", [&](soci::session& sql) -> Result<ConcertId> {
        Exec(
            sql,
            "INSERT INTO concert (title, reservation_opens_at, reservation_closes_at) VALUES (:title, :opens, "
            ":closes)",
            concert.title,
            ToMs(concert.reservation_opens_at),
            ToMs(concert.reservation_closes_at)
        );
        return ConcertId{LastId(sql)};
    });
}

Result<std::optional<Concert>> SqlUnitOfWork::FindConcert(ConcertId id) {
    return Read<std::optional<Concert>>("find concert", [&](soci::session& sql) -> Result<std::optional<Concert>> {
        return SelectOne<ConcertRow>(sql, SelectFrom<ConcertRow>("concert", "WHERE id = :id"), id.value);
    });
}

Result<std::vector<Concert>> SqlUnitOfWork::ListConcertsOpenAt(Timestamp at, ports::PageRequest page) {
    return Read<std::vector<Concert>>("list concerts", [&](soci::session& sql) -> Result<std::vector<Concert>> {
        const auto ms = ToMs(at);
        return Select<ConcertRow>(
            sql,
            SelectFrom<ConcertRow>(
                "concert",
                "WHERE reservation_closes_at > :at1 AND reservation_opens_at <= :at2 AND id > :after "
                "ORDER BY id LIMIT :n"
            ),
            ms,
            ms,
            page.after,
            page.limit
        );
    });
}

Result<ScheduleId> SqlUnitOfWork::InsertSchedule(const Schedule& schedule) {
    return Write<ScheduleId>("insert schedule", [&](soci::session& sql) -> Result<ScheduleId> {
        Exec(
            sql,
            "INSERT INTO schedule (concert_id, starts_at, price, total_seats) VALUES (:concert, :starts, :price, "
            ":seats)",
            schedule.concert_id.value,
            ToMs(schedule.starts_at),
            schedule.price,
            schedule.total_seats
        );
        return ScheduleId{LastId(sql)};
    });
}

Result<std::optional<Schedule>> SqlUnitOfWork::FindSchedule(ScheduleId id) {
    return Read<std::optional<Schedule>>("find schedule", [&](soci::session& sql) -> Result<std::optional<Schedule>> {
        return SelectOne<ScheduleRow>(sql, SelectFrom<ScheduleRow>("schedule", "WHERE id = :id"), id.value);
    });
}

Result<std::vector<Schedule>> SqlUnitOfWork::ListSchedules(ConcertId concert) {
    return Read<std::vector<Schedule>>("list schedules", [&](soci::session& sql) -> Result<std::vector<Schedule>> {
        return Select<ScheduleRow>(
            sql,
            SelectFrom<ScheduleRow>("schedule", "WHERE concert_id = :concert ORDER BY starts_at, id"),
            concert.value
        );
    });
}

}  // namespace ticketing::sql::detail
