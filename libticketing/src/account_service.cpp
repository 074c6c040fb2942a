#include <string>
#include <ticketing/app/account_service.hpp>
#include <ticketing/domain/text.hpp>

#include "internal.hpp"

namespace ticketing {

Result<void> ValidateIdempotencyKey(std::string_view key) {
    if (key.empty() || key.size() > kMaxIdempotencyKeyLength) {
        return MakeError(Errc::kInvalidArgument, "Idempotency-Key must be 1..255 characters");
    }
    if (!IsValidUtf8(key)) return MakeError(Errc::kInvalidArgument, "Idempotency-Key must be valid UTF-8");
    return {};
}

Result<IdempotencyCheck> CheckIdempotency(
    ports::UnitOfWork& uow, UserId user, std::string_view key, std::string_view request_hash, Timestamp now, Millis ttl
) {
    auto record = uow.FindIdempotency(user, key);
    if (!record) return Forward(record.error());
    if (!*record) return IdempotencyCheck{};
    if ((*record)->created_at + ttl <= now) return IdempotencyCheck{std::nullopt, true};
    if ((*record)->request_hash != request_hash) {
        return MakeError(Errc::kIdempotencyKeyReused, "the Idempotency-Key was used for another request");
    }
    return IdempotencyCheck{std::move((*record)->response), false};
}

Result<void> SaveIdempotency(ports::UnitOfWork& uow, const IdempotencyCheck& check, const IdempotencyRecord& record) {
    if (check.lapsed) {
        if (auto deleted = uow.DeleteIdempotency(record.user_id, record.key); !deleted) return deleted;
    }
    return uow.InsertIdempotency(record);
}

Result<User> AccountService::CreateUser(std::string_view name) {
    if (name.empty() || name.size() > kMaxUserNameLength) {
        return MakeError(Errc::kInvalidArgument, "name must be 1..100 characters");
    }
    if (!IsValidUtf8(name)) return MakeError(Errc::kInvalidArgument, "name must be valid UTF-8");
    auto uow = ctx_.db.Begin(ports::TxMode::kOptimistic);
    if (!uow) return Forward(uow.error());
    User user{{}, std::string(name), 0, 0};
    auto id = (*uow)->InsertUser(user);
    if (!id) return Forward(id.error());
    if (auto committed = (*uow)->Commit(); !committed) return Forward(committed.error());
    user.id = *id;
    return user;
}

Result<User> AccountService::GetUser(UserId id) {
    auto uow = ctx_.db.Begin(ports::TxMode::kRead);
    if (!uow) return Forward(uow.error());
    return internal::RequireFound((*uow)->FindUser(id), "user " + std::to_string(id.value));
}

Result<ChargeResult> AccountService::Charge(UserId user_id, Money amount, std::optional<std::string_view> key) {
    if (amount < kMinCharge || amount > kMaxCharge) {
        return MakeError(Errc::kInvalidArgument, "amount must be within 1..10000000");
    }
    if (key) {
        if (auto valid = ValidateIdempotencyKey(*key); !valid) return Forward(valid.error());
    }
    const auto request_hash = "charge|amount=" + std::to_string(amount);
    return RunLocked<ChargeResult>(
        ctx_.locks,
        {internal::LockKey("user", user_id.value)},
        [&](ports::UnitOfWork& uow) -> Result<ChargeResult> {
            const auto now = ctx_.clock.Now();
            auto user = internal::RequireFound(uow.FindUserForUpdate(user_id), "user " + std::to_string(user_id.value));
            if (!user) return Forward(user.error());
            IdempotencyCheck check;
            if (key) {
                auto checked = CheckIdempotency(uow, user_id, *key, request_hash, now, ctx_.settings.idempotency_ttl);
                if (!checked) return Forward(checked.error());
                check = std::move(*checked);
                if (check.replay) {
                    auto balance = internal::RecordField(*check.replay, "balance");
                    if (!balance) return MakeError(Errc::kInternal, "unreadable idempotency record");
                    return ChargeResult{user_id, *balance, true};
                }
            }
            if (user->balance > kMaxBalance - amount) {
                return MakeError(Errc::kBalanceLimitExceeded, "a balance cannot exceed 1000000000000");
            }
            user->balance += amount;
            if (auto updated = uow.UpdateUser(*user); !updated) return Forward(updated.error());
            LedgerEntry entry{{}, user_id, LedgerType::kCharge, amount, user->balance, now};
            if (auto inserted = uow.InsertLedgerEntry(entry); !inserted) return Forward(inserted.error());
            if (key) {
                IdempotencyRecord record{
                    user_id, std::string(*key), request_hash, "balance=" + std::to_string(user->balance), now};
                if (auto saved = SaveIdempotency(uow, check, record); !saved) return Forward(saved.error());
            }
            return ChargeResult{user_id, user->balance, false};
        }
    );
}

namespace {

// One page of a user's rows: the user must exist; `list` reads limit + 1 rows to know if more follow.
template <class T, class List>
Result<Page<T>> ListUserPage(ports::UnitOfWorkFactory& db, UserId user, PageQuery query, List list) {
    auto page = ToPageRequest(query);
    if (!page) return Forward(page.error());
    auto uow = db.Begin(ports::TxMode::kRead);
    if (!uow) return Forward(uow.error());
    if (auto found = internal::RequireFound((*uow)->FindUser(user), "user " + std::to_string(user.value)); !found) {
        return Forward(found.error());
    }
    const auto limit = page->limit;
    ++page->limit;
    Result<std::vector<T>> rows = list(**uow, *page);
    if (!rows) return Forward(rows.error());
    return internal::ToPage(std::move(*rows), limit, [](const T& row) { return row.id.value; });
}

}  // namespace

Result<Page<LedgerEntry>> AccountService::History(UserId user, PageQuery query) {
    return ListUserPage<LedgerEntry>(ctx_.db, user, query, [&](ports::UnitOfWork& uow, ports::PageRequest page) {
        return uow.ListLedger(user, page);
    });
}

Result<Page<Ticket>> AccountService::Tickets(UserId user, PageQuery query) {
    return ListUserPage<Ticket>(ctx_.db, user, query, [&](ports::UnitOfWork& uow, ports::PageRequest page) {
        return uow.ListTicketsByUser(user, page);
    });
}

}  // namespace ticketing
