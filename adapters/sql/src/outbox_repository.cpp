// The outbox and the consumers' inbox (OutboxRepository).
#include <algorithm>
#include <ranges>

#include "schema.hpp"
#include "statements.hpp"
#include "unit_of_work.hpp"

namespace ticketing::sql::detail {
namespace {

// The inbox key columns' width (VARBINARY(191) on MySQL: a primary key of two fits InnoDB's limit).
constexpr std::size_t kMaxInboxKey = 191;

struct OutboxRow {
    static constexpr std::string_view kColumns =
        "id, event_id, aggregate, type, payload, status, attempts, created_at, next_attempt_at, last_error, version, "
        "claimed_by, claim_until";
    OutboxEvent event;
    int status{0};
    std::int64_t created_at{0};
    std::int64_t next_attempt_at{0};
    std::int64_t claim_until{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(event.id.value), soci::into(event.event_id), soci::into(event.aggregate), soci::into(event.type),
            soci::into(event.payload), soci::into(status), soci::into(event.attempts), soci::into(created_at),
            soci::into(next_attempt_at), soci::into(event.last_error), soci::into(event.version),
            soci::into(event.claimed_by), soci::into(claim_until);
    }
    OutboxEvent ToEntity() const {
        auto out = event;
        out.status = static_cast<OutboxStatus>(status);
        out.created_at = FromMs(created_at);
        out.next_attempt_at = FromMs(next_attempt_at);
        out.claim_until = FromMs(claim_until);
        return out;
    }
};

// "(1,2,3)": ids are integers the adapter read itself, written inline so one statement takes a batch.
template <class Range, class Id>
std::string IdList(Range&& rows, Id id) {
    std::string out = "(";
    for (const auto& row : rows) {
        if (out.size() > 1) out += ',';
        out += std::to_string(id(row));
    }
    return out + ")";
}

// "CASE id WHEN 1 THEN 5 WHEN 2 THEN 7 END": each mark's integer `value`, inline.
template <class Value>
std::string CaseById(std::span<const ports::OutboxMark> marks, Value value) {
    std::string out = "CASE id";
    for (const auto& mark : marks) {
        out += " WHEN " + std::to_string(mark.id.value) + " THEN " + std::to_string(value(mark));
    }
    return out + " END";
}

std::int64_t MarkId(const ports::OutboxMark& mark) {
    return mark.id.value;
}

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

Result<std::vector<OutboxEvent>> SqlUnitOfWork::ClaimOutboxEvents(const ports::OutboxClaim& claim) {
    return Write<std::vector<OutboxEvent>>(
        "claim outbox events",
        [&](soci::session& sql) -> Result<std::vector<OutboxEvent>> {
            // The subquery is a plain read: an earlier event of the aggregate that another relay is
            // claiming right now is PENDING all the same, so its successor waits either way.
            auto rows = Select<OutboxRow>(
                sql,
                SelectFrom<OutboxRow>(
                    "outbox o",
                    "WHERE status = :pending AND next_attempt_at <= :now AND claim_until <= :now2 AND NOT EXISTS "
                    "(SELECT 1 FROM outbox e WHERE e.aggregate = o.aggregate AND e.status = :pending2 AND e.id < o.id) "
                    "ORDER BY next_attempt_at, id LIMIT :n" +
                        std::string(dialect_.for_update_skip_locked)
                ),
                kOutboxPending,
                ToMs(claim.now),
                ToMs(claim.now),
                kOutboxPending,
                claim.limit
            );
            if (rows.empty()) return rows;
            Exec(
                sql,
                "UPDATE outbox SET claimed_by = :owner, claim_until = :until, version = version + 1 WHERE id IN " +
                    IdList(rows, [](const OutboxEvent& e) { return e.id.value; }),
                claim.owner,
                ToMs(claim.until)
            );
            for (auto& row : rows) {
                row.claimed_by = claim.owner;
                row.claim_until = claim.until;
                ++row.version;
            }
            return rows;
        }
    );
}

Result<std::int64_t> SqlUnitOfWork::MarkOutboxEvents(std::string_view owner, std::span<const ports::OutboxMark> marks) {
    if (marks.empty()) return 0;
    return Write<std::int64_t>("mark outbox events", [&](soci::session& sql) -> Result<std::int64_t> {
        // One statement for the batch: values per event in CASE lists (integers inline), error texts
        // bound once per distinct text (a batch that failed usually failed for one reason).
        std::vector<std::string> errors;
        std::string error_case = "CASE";
        for (const auto& mark : marks) {
            if (std::find(errors.begin(), errors.end(), mark.last_error) != errors.end()) continue;
            errors.push_back(mark.last_error);
            auto same = marks | std::views::filter([&](const auto& m) { return m.last_error == mark.last_error; });
            error_case += " WHEN id IN " + IdList(same, MarkId) + " THEN :e" + std::to_string(errors.size());
        }
        const std::string query =
            "UPDATE outbox SET status = " + CaseById(marks, [](const auto& m) { return static_cast<int>(m.status); }) +
            ", attempts = " + CaseById(marks, [](const auto& m) { return m.attempts; }) +
            ", next_attempt_at = " + CaseById(marks, [](const auto& m) { return ToMs(m.next_attempt_at); }) +
            ", last_error = " + error_case +
            " END, claimed_by = '', claim_until = 0, version = version + 1 WHERE status = :pending AND claimed_by = "
            ":owner AND id IN " +
            IdList(marks, MarkId);
        const std::string owner_text(owner);
        soci::statement st(sql);
        for (const auto& error : errors) st.exchange(soci::use(error));
        st.exchange(soci::use(kOutboxPending));
        st.exchange(soci::use(owner_text));
        st.alloc();
        st.prepare(query);
        st.define_and_bind();
        st.execute(true);
        return static_cast<std::int64_t>(st.get_affected_rows());
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
