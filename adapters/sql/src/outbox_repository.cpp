// The outbox and the consumers' inbox (OutboxRepository).
#include "schema.hpp"
#include "statements.hpp"
#include "unit_of_work.hpp"

namespace ticketing::sql::detail {
namespace {

// The inbox key columns' width (VARBINARY(191) on MySQL: a primary key of two fits InnoDB's limit).
constexpr std::size_t kMaxInboxKey = 191;

struct OutboxRow {
    static constexpr std::string_view kColumns =
        "id, event_id, aggregate, type, payload, status, attempts, created_at, next_attempt_at, last_error, version";
    OutboxEvent event;
    int status{0};
    std::int64_t created_at{0};
    std::int64_t next_attempt_at{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(event.id.value), soci::into(event.event_id), soci::into(event.aggregate), soci::into(event.type),
            soci::into(event.payload), soci::into(status), soci::into(event.attempts), soci::into(created_at),
            soci::into(next_attempt_at), soci::into(event.last_error), soci::into(event.version);
    }
    OutboxEvent ToEntity() const {
        auto out = event;
        out.status = static_cast<OutboxStatus>(status);
        out.created_at = FromMs(created_at);
        out.next_attempt_at = FromMs(next_attempt_at);
        return out;
    }
};

}  // namespace

Result<OutboxEventId> SqlUnitOfWork::InsertOutboxEvent(const OutboxEvent& e) {
    return Write<OutboxEventId>("insert outbox event", [&](soci::session& sql) -> Result<OutboxEventId> {
        Exec(
            sql,
            "INSERT INTO outbox (event_id, aggregate, type, payload, status, attempts, created_at, "
            "next_attempt_at, last_error, version) VALUES (:event, :aggregate, :type, :payload, :status, "
            ":attempts, :created, :next, :error, 0)",
            e.event_id,
            e.aggregate,
            e.type,
            e.payload,
            static_cast<int>(e.status),
            e.attempts,
            ToMs(e.created_at),
            ToMs(e.next_attempt_at),
            e.last_error
        );
        return OutboxEventId{LastId(sql)};
    });
}

Result<std::vector<OutboxEvent>> SqlUnitOfWork::ListPendingOutboxEvents(std::int64_t limit) {
    return Read<std::vector<OutboxEvent>>("list outbox", [&](soci::session& sql) -> Result<std::vector<OutboxEvent>> {
        return Select<OutboxRow>(
            sql, SelectFrom<OutboxRow>("outbox", "WHERE status = :pending ORDER BY id LIMIT :n"), kOutboxPending, limit
        );
    });
}

Result<std::optional<OutboxEvent>> SqlUnitOfWork::FindOutboxEvent(std::string_view event_id) {
    return Read<std::optional<OutboxEvent>>(
        "find outbox event",
        [&](soci::session& sql) -> Result<std::optional<OutboxEvent>> {
            return SelectOne<OutboxRow>(
                sql, SelectFrom<OutboxRow>("outbox", "WHERE event_id = :event"), std::string(event_id)
            );
        }
    );
}

Result<void> SqlUnitOfWork::UpdateOutboxEvent(const OutboxEvent& e) {
    return Write<void>("update outbox event", [&](soci::session& sql) {
        return UpdateVersioned(
            sql,
            "outbox",
            "aggregate = :aggregate, type = :type, payload = :payload, status = :status, attempts = :attempts, "
            "next_attempt_at = :next, last_error = :error",
            e.id.value,
            e.version,
            e.aggregate,
            e.type,
            e.payload,
            static_cast<int>(e.status),
            e.attempts,
            ToMs(e.next_attempt_at),
            e.last_error
        );
    });
}

Result<ports::OutboxCounts> SqlUnitOfWork::CountOutbox() {
    return Read<ports::OutboxCounts>("count outbox", [&](soci::session& sql) -> Result<ports::OutboxCounts> {
        ports::OutboxCounts out;
        sql << "SELECT COUNT(*) FROM outbox WHERE status = :pending", soci::use(kOutboxPending),
            soci::into(out.pending);
        sql << "SELECT COUNT(*) FROM outbox WHERE status = :dead", soci::use(kOutboxDead), soci::into(out.dead);
        std::int64_t oldest = 0;
        soci::indicator oldest_ind = soci::i_null;
        // The first pending row by id: served by outbox_status (status, id), no scan of the backlog.
        sql << "SELECT created_at FROM outbox WHERE status = :pending ORDER BY id LIMIT 1", soci::use(kOutboxPending),
            soci::into(oldest, oldest_ind);
        if (oldest_ind == soci::i_ok) out.oldest_pending_at = FromMs(oldest);
        return out;
    });
}

Result<bool> SqlUnitOfWork::RecordInbox(std::string_view consumer, std::string_view event_id, Timestamp now) {
    if (consumer.size() > kMaxInboxKey || event_id.size() > kMaxInboxKey) {
        return MakeError(Errc::kInvalidArgument, "inbox consumer and event id are at most 191 bytes");
    }
    return Write<bool>("record inbox", [&](soci::session& sql) -> Result<bool> {
        const auto inserted =
            Exec(sql, std::string(dialect_.inbox_insert), std::string(consumer), std::string(event_id), ToMs(now));
        return inserted == 1;
    });
}

Result<std::int64_t> SqlUnitOfWork::DeletePublishedOutboxBefore(Timestamp cutoff, std::int64_t limit) {
    return Write<std::int64_t>("delete published outbox events", [&](soci::session& sql) -> Result<std::int64_t> {
        return DeleteBounded(
            sql,
            dialect_,
            "outbox",
            "status = :published AND created_at < :cutoff",
            limit,
            kOutboxPublished,
            ToMs(cutoff)
        );
    });
}

Result<std::int64_t> SqlUnitOfWork::DeleteInboxBefore(Timestamp cutoff, std::int64_t limit) {
    return Write<std::int64_t>("delete inbox rows", [&](soci::session& sql) -> Result<std::int64_t> {
        return DeleteBounded(sql, dialect_, "inbox", "recorded_at < :cutoff", limit, ToMs(cutoff));
    });
}

}  // namespace ticketing::sql::detail
