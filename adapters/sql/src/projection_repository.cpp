// The consumers' read models (ProjectionRepository).
#include "statements.hpp"
#include "unit_of_work.hpp"

namespace ticketing::sql::detail {
namespace {

struct SalesRow {
    static constexpr std::string_view kColumns = "schedule_id, seats_sold, revenue, refunds, updated_at";
    ScheduleSales sales;
    std::int64_t updated_at{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(sales.schedule_id.value), soci::into(sales.seats_sold), soci::into(sales.revenue),
            soci::into(sales.refunds), soci::into(updated_at);
    }
    ScheduleSales ToEntity() const {
        auto out = sales;
        out.updated_at = FromMs(updated_at);
        return out;
    }
};

}  // namespace

Result<std::optional<ScheduleSales>> SqlUnitOfWork::FindScheduleSales(ScheduleId schedule) {
    return Read<std::optional<ScheduleSales>>(
        "find schedule sales",
        [&](soci::session& sql) -> Result<std::optional<ScheduleSales>> {
            return SelectOne<SalesRow>(
                sql, SelectFrom<SalesRow>("schedule_sales", "WHERE schedule_id = :schedule"), schedule.value
            );
        }
    );
}

Result<void> SqlUnitOfWork::AddScheduleSales(ScheduleId schedule, const SalesDelta& delta, Timestamp at) {
    return Write<void>("add schedule sales", [&](soci::session& sql) -> Result<void> {
        Exec(
            sql,
            std::string(dialect_.sales_upsert),
            schedule.value,
            delta.seats_sold,
            delta.revenue,
            delta.refunds,
            ToMs(at)
        );
        return {};
    });
}

}  // namespace ticketing::sql::detail
