#include <algorithm>
#include <string>
#include <ticketing/app/queue_service.hpp>

#include "catalog_reader.hpp"
#include "internal.hpp"
#include "known_ids.hpp"

namespace ticketing {

QueueService::QueueService(const Context& ctx) : ctx_(ctx), known_users_(std::make_unique<internal::KnownIds>()) {}

QueueService::~QueueService() = default;

QueuePosition QueueService::ToPosition(const TokenView& view) const {
    QueuePosition out{view.info, 0, view.settings.paused};
    if (view.info.status == TokenStatus::kWaiting) {
        out.estimated_wait_seconds =
            EstimateWaitSeconds(view.info.position, view.settings, view.next_tick_at, ctx_.clock.Now());
    }
    return out;
}

Result<JoinResult> QueueService::Join(ConcertId concert, UserId user) {
    auto exists = UserExists(user);
    if (!exists) return Forward(exists.error());
    if (!*exists) return MakeError(Errc::kNotFound, "user " + std::to_string(user.value) + " not found");
    const QueueJoin join{concert, user};
    return std::move(JoinMany({&join, 1}).front());
}

std::vector<Result<JoinResult>> QueueService::JoinMany(std::span<const QueueJoin> joins) {
    std::vector<bool> known(joins.size());
    std::vector<UserId> unknown;
    for (std::size_t i = 0; i < joins.size(); ++i) {
        known[i] = known_users_->Contains(joins[i].user.value);
        if (!known[i]) unknown.push_back(joins[i].user);
    }
    auto found = unknown.empty() ? Result<std::vector<UserId>>{} : FindUsers(unknown);
    if (found) std::sort(found->begin(), found->end());
    std::vector<Result<JoinResult>> out;
    out.reserve(joins.size());
    std::vector<ports::QueueStore::JoinCall> calls;
    std::vector<std::size_t> asked;  // out's index of each call
    for (std::size_t i = 0; i < joins.size(); ++i) {
        const auto& join = joins[i];
        if (!known[i] && !(found && std::binary_search(found->begin(), found->end(), join.user))) {
            out.push_back(
                found ? MakeError(Errc::kNotFound, "user " + std::to_string(join.user.value) + " not found")
                      : Forward(found.error())
            );
            continue;
        }
        if (auto concert = RequireConcert(join.concert); !concert) {
            out.push_back(Forward(concert.error()));
            continue;
        }
        out.push_back(MakeError(Errc::kInternal, "the join did not run"));
        asked.push_back(out.size() - 1);
        calls.push_back({join.concert, join.user, MakeQueueToken(join.concert, ctx_.random.Token())});
    }
    if (calls.empty()) return out;
    auto joined = ctx_.queue.JoinMany(calls, ctx_.clock.Now(), ctx_.settings.queue);
    for (std::size_t k = 0; k < asked.size(); ++k) {
        auto& result = out[asked[k]];
        if (!joined[k]) {
            result = Forward(joined[k].error());
            continue;
        }
        result = JoinResult{ToPosition(joined[k]->view), joined[k]->created};
    }
    return out;
}

Result<bool> QueueService::UserExists(UserId user) {
    if (known_users_->Contains(user.value)) return true;
    UserCheck check{user, MakeError(Errc::kInternal, "the user check did not run")};
    user_checks_.Submit(check, [this](std::span<UserCheck* const> batch) {
        std::vector<UserId> ids;
        ids.reserve(batch.size());
        for (const auto* c : batch) ids.push_back(c->user);
        auto found = FindUsers(ids);
        for (auto* c : batch) {
            if (!found) {
                c->exists = Forward(found.error());
                continue;
            }
            c->exists = std::find(found->begin(), found->end(), c->user) != found->end();
        }
    });
    return check.exists;
}

Result<std::vector<UserId>> QueueService::FindUsers(std::span<const UserId> users) {
    auto uow = ctx_.db.Begin(ports::TxMode::kRead);
    if (!uow) return Forward(uow.error());
    auto found = (*uow)->FindExistingUsers(users);
    if (found) {
        for (auto user : *found) known_users_->Add(user.value);
    }
    return found;
}

Result<void> QueueService::RequireConcert(ConcertId concert) {
    auto found = internal::RequireFound(
        internal::CatalogReader(ctx_).FindConcert(concert), "concert " + std::to_string(concert.value)
    );
    if (!found) return Forward(found.error());
    return {};
}

Result<TokenView> QueueService::Found(std::string_view token, Result<std::optional<TokenView>> view) {
    if (!QueueTokenConcert(token)) return MakeError(Errc::kUnauthenticated, "malformed queue token");
    if (!view) return Forward(view.error());
    if (!*view) return MakeError(Errc::kUnauthenticated, "unknown or expired queue token");
    return std::move(**view);
}

Result<TokenView> QueueService::Lookup(std::string_view token) {
    if (!QueueTokenConcert(token)) return Found(token, std::optional<TokenView>{});
    return Found(token, ctx_.queue.Lookup(token, ctx_.clock.Now(), ctx_.settings.queue));
}

Result<QueuePosition> QueueService::Position(const TokenView& view) const {
    if (view.info.status == TokenStatus::kRevoked) {
        return MakeError(Errc::kUnauthenticated, "the queue token was used for a payment; join again");
    }
    return ToPosition(view);
}

Result<QueuePosition> QueueService::Status(std::string_view token) {
    auto view = Lookup(token);
    if (!view) return Forward(view.error());
    return Position(*view);
}

std::vector<Result<QueuePosition>> QueueService::StatusMany(std::span<const std::string_view> tokens) {
    auto views = ctx_.queue.LookupMany(tokens, ctx_.clock.Now(), ctx_.settings.queue);
    std::vector<Result<QueuePosition>> out;
    out.reserve(tokens.size());
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto view = Found(tokens[i], std::move(views[i]));
        out.push_back(view ? Position(*view) : Forward(view.error()));
    }
    return out;
}

Result<void> QueueService::Leave(std::string_view token) {
    if (auto status = Status(token); !status) return Forward(status.error());
    return ctx_.queue.Leave(token);
}

Result<Grant> QueueService::Authorize(std::string_view token) {
    auto view = Lookup(token);
    if (!view) return Forward(view.error());
    return Authorize(*view);
}

std::vector<Result<Grant>> QueueService::AuthorizeMany(std::span<const std::string_view> tokens) {
    auto views = ctx_.queue.LookupMany(tokens, ctx_.clock.Now(), ctx_.settings.queue);
    std::vector<Result<Grant>> out;
    out.reserve(tokens.size());
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto view = Found(tokens[i], std::move(views[i]));
        out.push_back(view ? Authorize(*view) : Forward(view.error()));
    }
    return out;
}

Result<Grant> QueueService::Authorize(const TokenView& view) const {
    auto status = Position(view);
    if (!status) return Forward(status.error());
    const auto& info = status->info;
    if (info.status != TokenStatus::kActive) {
        return MakeError(
            Errc::kNotAdmitted,
            "still waiting at position " + std::to_string(info.position) + ", about " +
                std::to_string(status->estimated_wait_seconds) + " s to go"
        );
    }
    return Grant{info.token, info.user_id, info.concert_id, info.active_until};
}

Result<void> QueueService::Revoke(std::string_view token) {
    return ctx_.queue.Revoke(token, ctx_.clock.Now() + ctx_.settings.queue_timeouts.revoked_retention);
}

Result<TickOutcome> QueueService::Tick(ConcertId concert) {
    const auto now = ctx_.clock.Now();
    auto ticked = ctx_.queue.Tick(concert, now, ctx_.settings.queue_timeouts.active_ttl, ctx_.settings.queue);
    if (!ticked) return ticked;
    if (auto dropped = ctx_.queue.DropIdle(concert, now - ctx_.settings.queue_timeouts.waiting_idle_timeout);
        !dropped) {
        return Forward(dropped.error());
    }
    return ticked;
}

Result<std::int64_t> QueueService::TickAll() {
    auto concerts = ctx_.queue.Concerts();
    if (!concerts) return Forward(concerts.error());
    std::int64_t admitted = 0;
    for (auto concert : *concerts) {
        auto ticked = Tick(concert);
        if (!ticked) return Forward(ticked.error());
        admitted += ticked->admitted;
    }
    return admitted;
}

Result<QueueStats> QueueService::Stats(ConcertId concert) {
    return ctx_.queue.Stats(concert, ctx_.clock.Now(), ctx_.settings.queue);
}

Result<QueueSettings> QueueService::UpdateSettings(ConcertId concert, const QueueSettingsPatch& patch) {
    if (patch.max_active && *patch.max_active < 0) return MakeError(Errc::kInvalidArgument, "maxActive must be >= 0");
    if (patch.admit_per_tick && *patch.admit_per_tick < 0) {
        return MakeError(Errc::kInvalidArgument, "admitPerTick must be >= 0");
    }
    if (patch.tick_interval && (*patch.tick_interval < Seconds{1} || *patch.tick_interval > Seconds{86400})) {
        return MakeError(Errc::kInvalidArgument, "tickIntervalSeconds must be within 1..86400");
    }
    return ctx_.queue.UpdateSettings(concert, patch, ctx_.clock.Now(), ctx_.settings.queue);
}

}  // namespace ticketing
