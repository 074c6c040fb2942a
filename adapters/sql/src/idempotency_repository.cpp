// Idempotency keys (IdempotencyRepository).
#include "statements.hpp"
#include "unit_of_work.hpp"

namespace ticketing::sql::detail {
namespace {

struct IdempotencyRow {
    static constexpr std::string_view kColumns = "user_id, idem_key, request_hash, response, created_at";
    IdempotencyRecord record;
    std::int64_t created_at{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(record.user_id.value), soci::into(record.key), soci::into(record.request_hash),
            soci::into(record.response), soci::into(created_at);
    }
    IdempotencyRecord ToEntity() const {
        auto out = record;
        out.created_at = FromMs(created_at);
        return out;
    }
};

}  // namespace

Result<std::optional<IdempotencyRecord>> SqlUnitOfWork::FindIdempotency(UserId user, std::string_view key) {
    return Read<std::optional<IdempotencyRecord>>(
        "find idempotency key",
        [&](soci::session& sql) -> Result<std::optional<IdempotencyRecord>> {
            return SelectOne<IdempotencyRow>(
                sql,
                SelectFrom<IdempotencyRow>("idempotency", "WHERE user_id = :user AND idem_key = :key"),
                user.value,
                std::string(key)
            );
        }
    );
}

Result<void> SqlUnitOfWork::InsertIdempotency(const IdempotencyRecord& record) {
    return Write<void>("insert idempotency key", [&](soci::session& sql) -> Result<void> {
        Exec(
            sql,
            "INSERT INTO idempotency (user_id, idem_key, request_hash, response, created_at) "
            "VALUES (:user, :key, :hash, :response, :created)",
            record.user_id.value,
            record.key,
            record.request_hash,
            record.response,
            ToMs(record.created_at)
        );
        return {};
    });
}

Result<void> SqlUnitOfWork::DeleteIdempotency(UserId user, std::string_view key) {
    return Write<void>("delete idempotency key", [&](soci::session& sql) -> Result<void> {
        Exec(sql, "DELETE FROM idempotency WHERE user_id = :user AND idem_key = :key", user.value, std::string(key));
        return {};
    });
}

Result<std::int64_t> SqlUnitOfWork::DeleteIdempotencyBefore(Timestamp cutoff, std::int64_t limit) {
    return Write<std::int64_t>("delete idempotency keys", [&](soci::session& sql) -> Result<std::int64_t> {
        return DeleteBounded(sql, dialect_, "idempotency", "created_at < :cutoff", limit, ToMs(cutoff));
    });
}

}  // namespace ticketing::sql::detail
