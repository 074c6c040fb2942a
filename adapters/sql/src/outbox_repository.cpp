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

std::int64_t MarkId(const ports::OutboxMark& mark) {
    return mark.id.value;
}

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

// " WHEN id IN (…) THEN <value>" per distinct value among the marks `pick` keeps, values in the
// order met; IN lists are binary-searched, so a batch costs O(n log n) rather than a CASE per id.
template <class Value, class Pick>
std::string WhenIn(std::span<const ports::OutboxMark> marks, Pick pick, std::vector<Value>& values) {
    std::string out;
    for (const auto& mark : marks) {
        const auto value = pick(mark);
        if (!value || std::find(values.begin(), values.end(), *value) != values.end()) continue;
        values.push_back(*value);
        auto same = marks | std::views::filter([&](const auto& m) { return pick(m) == value; });
        out += " WHEN id IN " + IdList(same, MarkId) + " THEN :v" + std::to_string(values.size());
    }
    return out;
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
                    "WHERE status = :pending AND next_attempt_at <= :now AND claim_until <= :now2 AND id = "
                    "(SELECT MIN(e.id) FROM outbox e WHERE e.aggregate = o.aggregate AND e.status = :pending2) "
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
        // One statement for the batch. A published event changes status only; a failed one also its
        // attempts, due time and error. Values are bound, grouped by value: a batch that failed
        // usually failed the same way.
        using Outcome = std::tuple<int, std::int32_t, std::int64_t, std::string>;
        auto failure = [](const ports::OutboxMark& m) {
            return m.status == OutboxStatus::kPublished
                       ? std::nullopt
                       : std::optional<Outcome>(
                             {static_cast<int>(m.status), m.attempts, ToMs(m.next_attempt_at), m.last_error}
                         );
        };
        std::vector<Outcome> failures;
        const auto failed_when = WhenIn(marks, failure, failures);
        std::string query = "UPDATE outbox SET claimed_by = '', claim_until = 0, version = version + 1";
        if (failures.empty()) {
            query += ", status = :published";
        } else {
            // Each column has its own copy of the WHEN list, with its own placeholders (bound below).
            auto renamed = [&](std::string_view prefix) {
                std::string text = failed_when;
                for (auto pos = text.find(":v"); pos != std::string::npos; pos = text.find(":v", pos + 2)) {
                    text.replace(pos, 2, ":" + std::string(prefix));
                }
                return text;
            };
            const auto when_status = failed_when;
            const auto when_attempts = renamed("a");
            const auto when_next = renamed("n");
            const auto when_error = renamed("e");
            query += ", status = CASE" + when_status + " ELSE :published END, attempts = CASE" + when_attempts +
                     " ELSE attempts END, next_attempt_at = CASE" + when_next +
                     " ELSE next_attempt_at END, last_error = CASE" + when_error + " ELSE last_error END";
        }
        query += " WHERE status = :pending AND claimed_by = :owner AND id IN " + IdList(marks, MarkId);
        const std::string owner_text(owner);
        soci::statement st(sql);
        // Placeholders in the order they appear in the text: status, attempts, due time, error.
        for (const auto& f : failures) st.exchange(soci::use(std::get<0>(f)));
        if (!failures.empty()) st.exchange(soci::use(kOutboxPublished));
        for (const auto& f : failures) st.exchange(soci::use(std::get<1>(f)));
        for (const auto& f : failures) st.exchange(soci::use(std::get<2>(f)));
        for (const auto& f : failures) st.exchange(soci::use(std::get<3>(f)));
        if (failures.empty()) st.exchange(soci::use(kOutboxPublished));
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
        // The first entry of outbox_status_created (status, created_at): no scan of the backlog.
        sql << "SELECT created_at FROM outbox WHERE status = :pending ORDER BY created_at LIMIT 1",
            soci::use(kOutboxPending), soci::into(oldest, oldest_ind);
        if (oldest_ind == soci::i_ok) out.oldest_pending_at = FromMs(oldest);
        return out;
    });
}

Result<std::vector<OutboxEvent>> SqlUnitOfWork::ListDeadOutboxEvents(std::int64_t limit) {
    return Read<std::vector<OutboxEvent>>(
        "list dead outbox events",
        [&](soci::session& sql) -> Result<std::vector<OutboxEvent>> {
            // outbox_status_created (status, created_at), walked backwards: no scan of the dead.
            return Select<OutboxRow>(
                sql,
                SelectFrom<OutboxRow>("outbox", "WHERE status = :dead ORDER BY created_at DESC, id DESC LIMIT :n"),
                kOutboxDead,
                limit
            );
        }
    );
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
