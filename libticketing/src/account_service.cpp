#include <algorithm>
#include <set>
#include <string>
#include <ticketing/app/account_service.hpp>
#include <ticketing/domain/text.hpp>
#include <utility>

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

namespace {

// A charge that passed the checks made before the database is read.
struct ChargePlan {
    UserId user;
    Money amount{0};
    std::optional<std::string_view> key;
    std::string request_hash;  // what an Idempotency-Key's record is compared with
};

Result<ChargePlan> PlanCharge(const ChargeRequest& request) {
    if (request.amount < kMinCharge || request.amount > kMaxCharge) {
        return MakeError(Errc::kInvalidArgument, "amount must be within 1..10000000");
    }
    if (request.idempotency_key) {
        if (auto valid = ValidateIdempotencyKey(*request.idempotency_key); !valid) return Forward(valid.error());
    }
    return ChargePlan{
        request.user, request.amount, request.idempotency_key, "charge|amount=" + std::to_string(request.amount)};
}

using Decided = std::vector<std::optional<Result<ChargeResult>>>;

// Charges decided in one unit of work: one read of their users, one write of the balances, one insert
// of the ledger rows, and for each Idempotency-Key its own read and write. Each is decided in order
// as if alone, so two charges of one user add up; a key's second ask is left undecided (nullopt), to
// be asked again after this batch has stored the first. The unit of work's failure is returned as is.
Result<void> DecideCharges(const Context& ctx, std::span<const ChargePlan> plans, Decided& decided) {
    std::vector<std::string> keys;
    std::vector<UserId> ids;
    for (const auto& plan : plans) {
        keys.push_back(internal::LockKey("user", plan.user.value));
        ids.push_back(plan.user);
    }
    return ctx.locks.Run(LockKeys{std::move(keys), {}}, [&](ports::UnitOfWork& uow) -> Result<void> {
        std::fill(decided.begin(), decided.end(), std::nullopt);  // an attempt after a lost race decides anew
        const auto now = ctx.clock.Now();
        auto users = uow.FindUsersForUpdate(ids);
        if (!users) return Forward(users.error());
        std::vector<bool> changed(users->size());
        std::set<std::pair<UserId, std::string_view>> keyed;  // (user, key) asked in this batch
        std::vector<LedgerEntry> entries;
        std::vector<std::pair<IdempotencyCheck, IdempotencyRecord>> records;  // the keys to store
        for (std::size_t k = 0; k < plans.size(); ++k) {
            const auto& plan = plans[k];
            const auto user = std::lower_bound(users->begin(), users->end(), plan.user, [](const User& u, UserId id) {
                return u.id < id;
            });
            if (user == users->end() || user->id != plan.user) {
                decided[k] = MakeError(Errc::kNotFound, "user " + std::to_string(plan.user.value) + " not found");
                continue;
            }
            IdempotencyCheck check;
            if (plan.key) {
                if (!keyed.emplace(plan.user, *plan.key).second) continue;
                auto checked =
                    CheckIdempotency(uow, plan.user, *plan.key, plan.request_hash, now, ctx.settings.idempotency_ttl);
                if (!checked && checked.error().code != Errc::kIdempotencyKeyReused) return Forward(checked.error());
                if (!checked) {
                    decided[k] = Forward(checked.error());
                    continue;
                }
                check = std::move(*checked);
                if (check.replay) {
                    auto balance = internal::RecordField(*check.replay, "balance");
                    decided[k] = balance ? Result<ChargeResult>(ChargeResult{plan.user, *balance, true})
                                         : MakeError(Errc::kInternal, "unreadable idempotency record");
                    continue;
                }
            }
            if (user->balance > kMaxBalance - plan.amount) {
                decided[k] = MakeError(Errc::kBalanceLimitExceeded, "a balance cannot exceed 1000000000000");
                continue;
            }
            user->balance += plan.amount;
            changed[static_cast<std::size_t>(user - users->begin())] = true;
            entries.push_back({{}, plan.user, LedgerType::kCharge, plan.amount, user->balance, now});
            if (plan.key) {
                records.emplace_back(
                    std::move(check),
                    IdempotencyRecord{
                        plan.user,
                        std::string(*plan.key),
                        plan.request_hash,
                        "balance=" + std::to_string(user->balance),
                        now}
                );
            }
            decided[k] = ChargeResult{plan.user, user->balance, false};
        }
        std::vector<User> written;
        for (std::size_t i = 0; i < users->size(); ++i) {
            if (changed[i]) written.push_back((*users)[i]);
        }
        if (auto updated = uow.UpdateUsers(written); !updated) return updated;
        if (auto inserted = uow.InsertLedgerEntries(entries); !inserted) return inserted;
        // The keys last: the users' rows, locked in id order above, already order racing batches.
        for (const auto& [check, record] : records) {
            if (auto saved = SaveIdempotency(uow, check, record); !saved) return saved;
        }
        return {};
    });
}

}  // namespace

Result<ChargeResult> AccountService::Charge(UserId user, Money amount, std::optional<std::string_view> key) {
    const ChargeRequest request{user, amount, key};
    return std::move(ChargeMany({&request, 1}).front());
}

std::vector<Result<ChargeResult>> AccountService::ChargeMany(std::span<const ChargeRequest> requests) {
    std::vector<Result<ChargeResult>> out(requests.size(), MakeError(Errc::kInternal, "not answered"));
    std::vector<std::size_t> asked;  // out's index of each plan
    const auto plans = internal::PlanAccepted<ChargePlan>(requests.size(), out, asked, [&](std::size_t i) {
        return PlanCharge(requests[i]);
    });
    if (plans.empty()) return out;
    Decided decided(plans.size());
    if (auto done = DecideCharges(ctx_, plans, decided); !done) {
        decided = plans.size() > 1 ? internal::AfterFailedBatch<ChargeResult>(done.error(), plans.size())
                                   : Decided{Result<ChargeResult>(Forward(done.error()))};
    }
    for (std::size_t k = 0; k < plans.size(); ++k) {
        if (!decided[k]) {
            // Alone: a plan by itself is always decided, or its unit of work's failure is the answer.
            Decided alone(1);
            auto done = DecideCharges(ctx_, {&plans[k], 1}, alone);
            decided[k] = done ? std::move(alone.front()) : Result<ChargeResult>(Forward(done.error()));
        }
        out[asked[k]] = std::move(*decided[k]);
    }
    return out;
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
