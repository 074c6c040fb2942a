#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <span>
#include <ticketing/redis/redis_queue_store.hpp>

#include "scripts.hpp"

namespace ticketing::redis {
namespace {

std::string Ms(Timestamp t) {
    return std::to_string(t.time_since_epoch().count());
}

// A number from a script reply: Lua numbers arrive as integers, stored values as strings.
Result<std::int64_t> Number(const RedisReply& r) {
    switch (r.type) {
        case RedisReply::Type::kInteger:
            return r.integer;
        case RedisReply::Type::kNil:
            return 0;
        case RedisReply::Type::kString: {
            std::int64_t value = 0;
            const auto* end = r.str.data() + r.str.size();
            if (auto [ptr, ec] = std::from_chars(r.str.data(), end, value); ec == std::errc{} && ptr == end) {
                return value;
            }
            double real = 0;  // a score Redis printed as a double, e.g. "1.7e+12"
            if (auto [ptr, ec] = std::from_chars(r.str.data(), end, real); ec == std::errc{} && ptr == end) {
                return static_cast<std::int64_t>(std::llround(real));
            }
            break;
        }
        default:
            break;
    }
    return MakeError(Errc::kInternal, "redis queue: unexpected reply '" + r.str + "'");
}

Result<const std::vector<RedisReply>*> Array(const RedisReply& r, std::size_t at_least) {
    if (r.type != RedisReply::Type::kArray || r.elements.size() < at_least) {
        return MakeError(Errc::kInternal, "redis queue: malformed script reply");
    }
    return &r.elements;
}

std::vector<std::string> DefaultsArgs(const QueueSettings& s) {
    return {
        std::to_string(s.max_active),
        std::to_string(s.admit_per_tick),
        std::to_string(s.tick_interval.count()),
        s.paused ? "1" : "0",
    };
}

// Reads the settings block at `at`: set-flag, max_active, admit_per_tick, tick_interval, paused, next.
Result<QueueSettings> ReadSettings(
    const std::vector<RedisReply>& e, std::size_t at, const QueueSettings& defaults, Timestamp& next_tick_at
) {
    auto next = Number(e[at + 5]);
    if (!next) return Forward(next.error());
    next_tick_at = Timestamp{Millis{*next}};
    if (e[at].IsNil()) return defaults;
    std::array<std::int64_t, 4> v{};
    for (std::size_t i = 0; i < v.size(); ++i) {
        auto n = Number(e[at + 1 + i]);
        if (!n) return Forward(n.error());
        v[i] = *n;
    }
    return QueueSettings{v[0], v[1], Seconds{v[2]}, v[3] != 0};
}

// Reads {status, user, position, active_until, settings...} starting at `at`.
Result<TokenView> ReadView(
    const std::vector<RedisReply>& e,
    std::size_t at,
    std::string token,
    ConcertId concert,
    const QueueSettings& defaults
) {
    std::array<std::int64_t, 4> v{};
    for (std::size_t i = 0; i < v.size(); ++i) {
        auto n = Number(e[at + i]);
        if (!n) return Forward(n.error());
        v[i] = *n;
    }
    if (v[0] < 0 || v[0] > 2) return MakeError(Errc::kInternal, "redis queue: bad token status");
    TokenView out;
    out.info.token = std::move(token);
    out.info.concert_id = concert;
    out.info.user_id = UserId{v[1]};
    out.info.status = static_cast<TokenStatus>(v[0]);
    out.info.position = v[2];
    if (out.info.status == TokenStatus::kActive) out.info.active_until = Timestamp{Millis{v[3]}};
    auto settings = ReadSettings(e, at + 4, defaults, out.next_tick_at);
    if (!settings) return Forward(settings.error());
    out.settings = *settings;
    return out;
}

// The requests of one concert in a batch: one script call carries them all (a batch is mostly one
// concert's crowd).
struct ConcertGroup {
    ConcertId concert;
    std::vector<std::size_t> asked;  // the caller's index of each request
};

std::vector<ConcertGroup> GroupByConcert(std::size_t n, const auto& concert_of) {
    std::vector<ConcertGroup> groups;
    for (std::size_t i = 0; i < n; ++i) {
        const std::optional<ConcertId> concert = concert_of(i);
        if (!concert) continue;
        auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.concert == *concert; });
        if (group == groups.end()) group = groups.insert(groups.end(), ConcertGroup{*concert, {}});
        group->asked.push_back(i);
    }
    return groups;
}

// The script's answer of each request of a group, or the error that is every one's answer.
Result<const std::vector<RedisReply>*> GroupAnswers(
    const Result<std::vector<Result<RedisReply>>>& replies, std::size_t c, const ConcertGroup& group
) {
    if (!replies) return Forward(replies.error());
    if (!(*replies)[c]) return Forward((*replies)[c].error());
    return Array(*(*replies)[c], group.asked.size());
}

// Registers the concerts in the concert list (idempotent; it lives in another slot) and runs `script`
// for each call, in one round trip; a failed registration is every call's error.
Result<std::vector<Result<RedisReply>>> RegisterAndEval(
    RedisClient& client,
    const std::string& concert_list,
    std::span<const ConcertId> concerts,
    const RedisScript& script,
    const std::vector<RedisClient::ScriptCall>& calls
) {
    std::vector<std::vector<std::string>> commands{{"SADD", concert_list}};
    for (const auto concert : concerts) commands.front().push_back(std::to_string(concert.value));
    for (const auto& call : calls) commands.push_back(RedisClient::EvalShaCommand(script, call.keys, call.args));
    auto replies = client.Pipeline(commands);
    if (!replies) return Forward(replies.error());
    if (replies->front().IsError()) return tl::unexpected<Error>(ReplyError(replies->front()));
    std::vector<Result<RedisReply>> out;
    out.reserve(calls.size());
    for (std::size_t c = 0; c < calls.size(); ++c) {
        out.push_back(client.EvalReply(std::move((*replies)[c + 1]), script, calls[c].keys, calls[c].args));
    }
    return out;
}

}  // namespace

RedisQueueStore::RedisQueueStore(std::shared_ptr<RedisClient> client, RedisQueueStoreOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

RedisQueueStore::~RedisQueueStore() = default;

std::vector<std::string> RedisQueueStore::Keys(ConcertId concert) const {
    const std::string base = options_.key_prefix + "tq:{" + std::to_string(concert.value) + "}:";
    return {
        base + "meta",
        base + "waiting",
        base + "seen",
        base + "active",
        base + "revoked",
        base + "tokens",
        base + "users",
    };
}

Result<JoinOutcome> RedisQueueStore::Join(
    ConcertId concert, UserId user, const std::string& candidate_token, Timestamp now, const QueueSettings& defaults
) {
    const JoinCall call{concert, user, candidate_token};
    return std::move(JoinMany({&call, 1}, now, defaults).front());
}

std::vector<Result<JoinOutcome>> RedisQueueStore::JoinMany(
    std::span<const JoinCall> calls, Timestamp now, const QueueSettings& defaults
) {
    if (calls.empty()) return {};
    const auto groups = GroupByConcert(calls.size(), [&](std::size_t i) { return std::optional{calls[i].concert}; });
    std::vector<ConcertId> concerts;
    std::vector<RedisClient::ScriptCall> scripted;
    for (const auto& group : groups) {
        concerts.push_back(group.concert);
        auto& call = scripted.emplace_back(RedisClient::ScriptCall{Keys(group.concert), {Ms(now)}});
        for (const auto i : group.asked) {
            call.args.push_back(std::to_string(calls[i].user.value));
            call.args.push_back(calls[i].candidate_token);
        }
    }
    const auto replies = RegisterAndEval(*client_, ConcertList(), concerts, scripts::QueueJoin(), scripted);
    std::vector<Result<JoinOutcome>> out(calls.size(), MakeError(Errc::kInternal, "redis queue: join not run"));
    for (std::size_t c = 0; c < groups.size(); ++c) {
        const auto answers = GroupAnswers(replies, c, groups[c]);
        for (std::size_t k = 0; k < groups[c].asked.size(); ++k) {
            const auto i = groups[c].asked[k];
            out[i] = [&]() -> Result<JoinOutcome> {
                if (!answers) return Forward(answers.error());
                auto e = Array((**answers)[k], 12);
                if (!e) return Forward(e.error());
                auto view = ReadView(**e, 2, (**e)[1].str, calls[i].concert, defaults);
                if (!view) return Forward(view.error());
                return JoinOutcome{std::move(*view), (**e)[0].integer == 1};
            }();
        }
    }
    return out;
}

Result<std::optional<TokenView>> RedisQueueStore::Lookup(
    std::string_view token, Timestamp now, const QueueSettings& defaults
) {
    return std::move(LookupMany({&token, 1}, now, defaults).front());
}

std::vector<Result<std::optional<TokenView>>> RedisQueueStore::LookupMany(
    std::span<const std::string_view> tokens, Timestamp now, const QueueSettings& defaults
) {
    std::vector<Result<std::optional<TokenView>>> out(tokens.size(), std::optional<TokenView>{});
    // A malformed token is unknown: no need to ask.
    const auto groups = GroupByConcert(tokens.size(), [&](std::size_t i) { return QueueTokenConcert(tokens[i]); });
    if (groups.empty()) return out;
    std::vector<RedisClient::ScriptCall> calls;
    for (const auto& group : groups) {
        auto& call = calls.emplace_back(RedisClient::ScriptCall{Keys(group.concert), {Ms(now)}});
        for (const auto i : group.asked) call.args.emplace_back(tokens[i]);
    }
    const auto replies = client_->EvalPipeline(scripts::QueueLookup(), calls);
    for (std::size_t c = 0; c < groups.size(); ++c) {
        const auto answers = GroupAnswers(replies, c, groups[c]);
        for (std::size_t k = 0; k < groups[c].asked.size(); ++k) {
            const auto i = groups[c].asked[k];
            if (!answers) {
                out[i] = Forward(answers.error());
                continue;
            }
            const auto& reply = (**answers)[k];
            if (reply.type == RedisReply::Type::kArray && reply.elements.empty()) continue;
            auto e = Array(reply, 10);
            if (!e) {
                out[i] = Forward(e.error());
                continue;
            }
            auto view = ReadView(**e, 0, std::string(tokens[i]), groups[c].concert, defaults);
            if (!view) {
                out[i] = Forward(view.error());
                continue;
            }
            out[i] = std::optional<TokenView>{std::move(*view)};
        }
    }
    return out;
}

Result<void> RedisQueueStore::Leave(std::string_view token) {
    const auto concert = QueueTokenConcert(token);
    if (!concert) return {};
    auto reply = client_->Eval(scripts::QueueLeave(), Keys(*concert), {std::string(token)});
    if (!reply) return Forward(reply.error());
    return {};
}

Result<void> RedisQueueStore::Revoke(std::string_view token, Timestamp keep_until) {
    const auto concert = QueueTokenConcert(token);
    if (!concert) return {};
    auto reply = client_->Eval(scripts::QueueRevoke(), Keys(*concert), {std::string(token), Ms(keep_until)});
    if (!reply) return Forward(reply.error());
    return {};
}

Result<TickOutcome> RedisQueueStore::Tick(
    ConcertId concert, Timestamp now, Millis active_ttl, const QueueSettings& defaults
) {
    const auto keys = Keys(concert);
    std::vector<std::string> args{Ms(now), Ms(now + active_ttl)};
    for (auto& d : DefaultsArgs(defaults)) args.push_back(std::move(d));
    auto replies = RegisterAndEval(*client_, ConcertList(), {&concert, 1}, scripts::QueueTick(), {{keys, args}});
    if (!replies) return Forward(replies.error());
    auto& reply = replies->front();
    if (!reply) return Forward(reply.error());
    auto e = Array(*reply, 3);
    if (!e) return Forward(e.error());
    return TickOutcome{(**e)[0].integer == 1, (**e)[1].integer, (**e)[2].integer};
}

Result<std::int64_t> RedisQueueStore::DropIdle(ConcertId concert, Timestamp idle_before) {
    constexpr std::int64_t kBatch = 1000;
    std::int64_t dropped = 0;
    for (;;) {
        auto reply = client_->Eval(scripts::QueueDropIdle(), Keys(concert), {Ms(idle_before), std::to_string(kBatch)});
        if (!reply) return Forward(reply.error());
        auto n = Number(*reply);
        if (!n) return n;
        dropped += *n;
        if (*n < kBatch) return dropped;
    }
}

Result<QueueStats> RedisQueueStore::Stats(ConcertId concert, Timestamp now, const QueueSettings& defaults) {
    auto reply = client_->Eval(scripts::QueueStats(), Keys(concert), {Ms(now)});
    if (!reply) return Forward(reply.error());
    auto e = Array(*reply, 9);
    if (!e) return Forward(e.error());
    QueueStats out;
    out.waiting = (**e)[0].integer;
    out.active = (**e)[1].integer;
    out.admitted_total = (**e)[2].integer;
    auto settings = ReadSettings(**e, 3, defaults, out.next_tick_at);
    if (!settings) return Forward(settings.error());
    out.settings = *settings;
    return out;
}

Result<QueueSettings> RedisQueueStore::UpdateSettings(
    ConcertId concert, const QueueSettingsPatch& patch, Timestamp now, const QueueSettings& defaults
) {
    const auto keys = Keys(concert);
    std::vector<std::string> args{Ms(now)};
    for (auto& d : DefaultsArgs(defaults)) args.push_back(std::move(d));
    args.push_back(patch.max_active ? std::to_string(*patch.max_active) : "");
    args.push_back(patch.admit_per_tick ? std::to_string(*patch.admit_per_tick) : "");
    args.push_back(patch.tick_interval ? std::to_string(patch.tick_interval->count()) : "");
    args.push_back(patch.paused ? (*patch.paused ? "1" : "0") : "");
    auto replies =
        RegisterAndEval(*client_, ConcertList(), {&concert, 1}, scripts::QueueUpdateSettings(), {{keys, args}});
    if (!replies) return Forward(replies.error());
    auto& reply = replies->front();
    if (!reply) return Forward(reply.error());
    auto e = Array(*reply, 4);
    if (!e) return Forward(e.error());
    return QueueSettings{(**e)[0].integer, (**e)[1].integer, Seconds{(**e)[2].integer}, (**e)[3].integer != 0};
}

Result<std::vector<ConcertId>> RedisQueueStore::Concerts() {
    auto reply = client_->Command({"SMEMBERS", ConcertList()});
    if (!reply) return Forward(reply.error());
    std::vector<ConcertId> out;
    for (const auto& member : reply->elements) {
        auto id = Number(member);
        if (!id) return Forward(id.error());
        out.emplace_back(*id);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace ticketing::redis
