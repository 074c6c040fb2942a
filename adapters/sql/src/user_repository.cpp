// Users and their ledger (UserRepository).
#include <limits>

#include "statements.hpp"
#include "unit_of_work.hpp"

namespace ticketing::sql::detail {
namespace {

struct UserRow {
    static constexpr std::string_view kColumns = "id, name, balance, version";
    User user;
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(user.id.value), soci::into(user.name), soci::into(user.balance), soci::into(user.version);
    }
    User ToEntity() const { return user; }
};

struct LedgerRow {
    static constexpr std::string_view kColumns = "id, user_id, type, amount, balance_after, created_at";
    LedgerEntry entry;
    int type{0};
    std::int64_t created_at{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(entry.id.value), soci::into(entry.user_id.value), soci::into(type), soci::into(entry.amount),
            soci::into(entry.balance_after), soci::into(created_at);
    }
    LedgerEntry ToEntity() const {
        auto out = entry;
        out.type = static_cast<LedgerType>(type);
        out.created_at = FromMs(created_at);
        return out;
    }
};

}  // namespace

Result<UserId> SqlUnitOfWork::InsertUser(const User& user) {
    return Write<UserId>("insert user", [&](soci::session& sql) -> Result<UserId> {
        Exec(sql, "INSERT INTO users (name, balance, version) VALUES (:name, :balance, 0)", user.name, user.balance);
        return UserId{LastId(sql)};
    });
}

Result<std::optional<User>> SqlUnitOfWork::FindUser(UserId id) {
    return FindUserImpl(id, false);
}

Result<std::optional<User>> SqlUnitOfWork::FindUserForUpdate(UserId id) {
    return FindUserImpl(id, true);
}

Result<std::vector<UserId>> SqlUnitOfWork::FindExistingUsers(std::span<const UserId> ids) {
    return Read<std::vector<UserId>>("find users", [&](soci::session& sql) -> Result<std::vector<UserId>> {
        std::vector<UserId> out;
        for (auto id : SelectByIds<IdRow>(sql, "users", ids, "")) out.emplace_back(id);
        return out;
    });
}

Result<void> SqlUnitOfWork::UpdateUser(const User& user) {
    return Write<void>("update user", [&](soci::session& sql) {
        return UpdateVersioned(
            sql, "users", "name = :name, balance = :balance", user.id.value, user.version, user.name, user.balance
        );
    });
}

Result<std::vector<User>> SqlUnitOfWork::FindUsersForUpdate(std::span<const UserId> ids) {
    return Read<std::vector<User>>("find users for update", [&](soci::session& sql) -> Result<std::vector<User>> {
        return SelectByIds<UserRow>(sql, "users", ids, ForUpdate());
    });
}

Result<void> SqlUnitOfWork::UpdateUsers(std::span<const User> users) {
    return Write<void>("update users", [&](soci::session& sql) -> Result<void> {
        if (users.empty()) return {};
        // One statement: the balances written into the text, the names bound.
        std::size_t n = 0;
        const auto query =
            "UPDATE users SET name = " + CaseById(users, [&](const User&) { return ":n" + std::to_string(n++); }) +
            ", balance = " + CaseById(users, [](const User& u) { return std::to_string(u.balance); }) +
            ", version = version + 1 WHERE " + AtVersionsRead(users);
        soci::details::prepare_temp_type prep = (sql.prepare << query);
        for (const auto& user : users) prep, soci::use(user.name);
        soci::statement st(prep);
        st.execute(true);
        return AllWritten(st.get_affected_rows(), users.size(), "user");
    });
}

Result<LedgerEntryId> SqlUnitOfWork::InsertLedgerEntry(const LedgerEntry& entry) {
    return Write<LedgerEntryId>("insert ledger entry", [&](soci::session& sql) -> Result<LedgerEntryId> {
        Exec(
            sql,
            "INSERT INTO ledger (user_id, type, amount, balance_after, created_at) "
            "VALUES (:user, :type, :amount, :after, :at)",
            entry.user_id.value,
            static_cast<int>(entry.type),
            entry.amount,
            entry.balance_after,
            ToMs(entry.created_at)
        );
        return LedgerEntryId{LastId(sql)};
    });
}

Result<void> SqlUnitOfWork::InsertLedgerEntries(std::span<const LedgerEntry> entries) {
    return Write<void>("insert ledger entries", [&](soci::session& sql) -> Result<void> {
        if (entries.empty()) return {};
        // One multi-row INSERT, integers only: written into the text.
        std::string query = "INSERT INTO ledger (user_id, type, amount, balance_after, created_at) VALUES ";
        for (const auto& e : entries) {
            query += (&e == entries.data() ? "(" : ", (") + std::to_string(e.user_id.value) + ", " +
                     std::to_string(static_cast<int>(e.type)) + ", " + std::to_string(e.amount) + ", " +
                     std::to_string(e.balance_after) + ", " + std::to_string(ToMs(e.created_at)) + ")";
        }
        Exec(sql, query);
        return {};
    });
}

Result<std::optional<LedgerEntry>> SqlUnitOfWork::ApplyBalanceChange(const LedgerEntry& entry) {
    return Write<std::optional<LedgerEntry>>(
        "apply balance change",
        [&](soci::session& sql) -> Result<std::optional<LedgerEntry>> {
            const auto changed = Exec(
                sql,
                "UPDATE users SET balance = balance + :amount, version = version + 1 "
                "WHERE id = :id AND balance + :change >= 0",
                entry.amount,
                entry.user_id.value,
                entry.amount
            );
            if (changed != 1) return std::optional<LedgerEntry>{};
            // The new balance comes back from the ledger row, which reads it from the row just written.
            LedgerEntry out = entry;
            const auto at = ToMs(entry.created_at);
            const auto type = static_cast<int>(entry.type);
            sql << "INSERT INTO ledger (user_id, type, amount, balance_after, created_at) "
                   "SELECT id, :type, :amount, balance, :at FROM users WHERE id = :id RETURNING id, balance_after",
                soci::use(type), soci::use(entry.amount), soci::use(at), soci::use(entry.user_id.value),
                soci::into(out.id.value), soci::into(out.balance_after);
            return std::optional<LedgerEntry>{out};
        }
    );
}

Result<std::vector<LedgerEntry>> SqlUnitOfWork::ListLedger(UserId user, ports::PageRequest page) {
    return Read<std::vector<LedgerEntry>>("list ledger", [&](soci::session& sql) -> Result<std::vector<LedgerEntry>> {
        const std::int64_t before = page.after > 0 ? page.after : std::numeric_limits<std::int64_t>::max();
        return Select<LedgerRow>(
            sql,
            SelectFrom<LedgerRow>("ledger", "WHERE user_id = :user AND id < :before ORDER BY id DESC LIMIT :n"),
            user.value,
            before,
            page.limit
        );
    });
}

Result<std::optional<User>> SqlUnitOfWork::FindUserImpl(UserId id, bool for_update) {
    return Read<std::optional<User>>("find user", [&](soci::session& sql) -> Result<std::optional<User>> {
        return SelectOne<UserRow>(
            sql, SelectFrom<UserRow>("users", "WHERE id = :id") + (for_update ? ForUpdate() : ""), id.value
        );
    });
}

}  // namespace ticketing::sql::detail
