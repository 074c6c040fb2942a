#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <ticketing/memory/memory_queue_store.hpp>
#include <unordered_map>

namespace ticketing::memory {
namespace {

// Prefix sums over 1-based slots that can grow at the end: slot i is 1 while join number i waits.
class Fenwick {
public:
    void Append(std::int64_t value) {
        const auto i = static_cast<std::int64_t>(tree_.size()) + 1;
        tree_.push_back(value + Prefix(i - 1) - Prefix(i - (i & -i)));
    }
    void Add(std::int64_t i, std::int64_t delta) {
        for (; i <= static_cast<std::int64_t>(tree_.size()); i += i & -i)
            tree_[static_cast<std::size_t>(i - 1)] += delta;
    }
    std::int64_t Prefix(std::int64_t i) const {
        std::int64_t sum = 0;
        for (; i > 0; i -= i & -i) sum += tree_[static_cast<std::size_t>(i - 1)];
        return sum;
    }

private:
    std::vector<std::int64_t> tree_;
};

struct Entry {
    std::string token;
    UserId user;
    TokenStatus status{TokenStatus::kWaiting};
    std::int64_t seq{0};
    Timestamp last_seen;
    Timestamp active_until;
    Timestamp keep_until;
};

using TimeIndex = std::set<std::pair<Timestamp, std::string>>;

struct Queue {
    std::mutex mutex;
    ConcertId concert;
    /// Set under `mutex` when DropIdle removed this queue from the store: a caller that found it
    /// just before acts as if it were not there (or, to add to it, fetches the new one).
    bool dropped{false};
    /// Creation or the latest join: ticks and polls do not count (the admission job ticks every queue).
    Timestamp last_used;
    std::optional<QueueSettings> settings;  // set once an operator changes them
    Timestamp next_tick_at;
    std::int64_t next_seq{1};
    std::int64_t admitted_total{0};
    Fenwick waiting_slots;
    std::map<std::int64_t, std::string> waiting;  // seq -> token
    TimeIndex last_seen;                          // WAITING tokens
    TimeIndex active;                             // by active_until
    TimeIndex revoked;                            // by keep_until
    std::unordered_map<std::string, Entry> tokens;
    std::unordered_map<std::int64_t, std::string> token_by_user;

    const QueueSettings& Settings(const QueueSettings& defaults) const { return settings ? *settings : defaults; }

    // Removes a token wherever it is.
    void Remove(const std::string& token) {
        auto it = tokens.find(token);
        if (it == tokens.end()) return;
        Entry& e = it->second;
        switch (e.status) {
            case TokenStatus::kWaiting:
                waiting.erase(e.seq);
                waiting_slots.Add(e.seq, -1);
                last_seen.erase({e.last_seen, token});
                break;
            case TokenStatus::kActive:
                active.erase({e.active_until, token});
                break;
            case TokenStatus::kRevoked:
                revoked.erase({e.keep_until, token});
                break;
        }
        if (auto u = token_by_user.find(e.user.value); u != token_by_user.end() && u->second == token) {
            token_by_user.erase(u);
        }
        tokens.erase(it);
    }

    // Drops what has run out by `now`: ACTIVE tokens past their time and revoked ones past retention.
    std::int64_t Expire(Timestamp now) {
        std::int64_t expired = 0;
        while (!active.empty() && active.begin()->first <= now) {
            Remove(std::string(active.begin()->second));
            ++expired;
        }
        while (!revoked.empty() && revoked.begin()->first <= now) Remove(std::string(revoked.begin()->second));
        return expired;
    }

    TokenView View(const Entry& e, const QueueSettings& defaults) const {
        TokenInfo info{e.token, concert, e.user, e.status, 0, {}};
        if (e.status == TokenStatus::kWaiting) info.position = waiting_slots.Prefix(e.seq);
        if (e.status == TokenStatus::kActive) info.active_until = e.active_until;
        return TokenView{std::move(info), Settings(defaults), next_tick_at};
    }
};

}  // namespace

using QueuePtr = std::shared_ptr<Queue>;

// A queue with its mutex held, or none when it does not exist (or was dropped meanwhile).
struct LockedQueue {
    QueuePtr queue;
    std::unique_lock<std::mutex> lock;

    explicit operator bool() const { return queue != nullptr; }
    Queue* operator->() const { return queue.get(); }
    Queue& operator*() const { return *queue; }
};

struct MemoryQueueStore::State {
    std::shared_mutex mutex;  // guards the map; each queue has its own mutex
    std::map<ConcertId, QueuePtr> queues;

    LockedQueue Find(ConcertId concert) {
        QueuePtr q;
        {
            std::shared_lock lock(mutex);
            auto it = queues.find(concert);
            if (it == queues.end()) return {};
            q = it->second;
        }
        std::unique_lock lock(q->mutex);
        if (q->dropped) return {};
        return {std::move(q), std::move(lock)};
    }
    // The concert's queue, created (used at `now`) if needed.
    LockedQueue Get(ConcertId concert, Timestamp now) {
        for (;;) {
            if (auto q = Find(concert)) return q;
            std::unique_lock lock(mutex);
            auto& slot = queues[concert];
            if (!slot || slot->dropped) {
                slot = std::make_shared<Queue>();
                slot->concert = concert;
                slot->last_used = now;
            }
        }
    }
    LockedQueue FindByToken(std::string_view token) {
        auto concert = QueueTokenConcert(token);
        return concert ? Find(*concert) : LockedQueue{};
    }
    // Forgets a queue that holds nothing an operator or a user would miss: no token, default settings,
    // not created nor joined since `idle_before`. Its per-concert structures (the Fenwick tree grows with every join)
    // go with it; a later join starts a fresh queue. The caller holds the queue's mutex.
    void DropIfIdle(Queue& q, Timestamp idle_before) {
        if (!q.tokens.empty() || q.settings || q.last_used >= idle_before) return;
        q.dropped = true;
        std::unique_lock lock(mutex);
        if (auto it = queues.find(q.concert); it != queues.end() && it->second.get() == &q) queues.erase(it);
    }
};

MemoryQueueStore::MemoryQueueStore() : state_(std::make_unique<State>()) {}

MemoryQueueStore::~MemoryQueueStore() = default;

Result<JoinOutcome> MemoryQueueStore::Join(
    ConcertId concert, UserId user, const std::string& candidate_token, Timestamp now, const QueueSettings& defaults
) {
    auto locked = state_->Get(concert, now);
    Queue& q = *locked;
    q.Expire(now);
    q.last_used = std::max(q.last_used, now);
    if (auto existing = q.token_by_user.find(user.value); existing != q.token_by_user.end()) {
        Entry& e = q.tokens.at(existing->second);
        if (e.status != TokenStatus::kRevoked) {
            if (e.status == TokenStatus::kWaiting) {
                q.last_seen.erase({e.last_seen, e.token});
                e.last_seen = now;
                q.last_seen.insert({now, e.token});
            }
            return JoinOutcome{q.View(e, defaults), false};
        }
    }
    Entry e{candidate_token, user, TokenStatus::kWaiting, q.next_seq++, now, {}, {}};
    q.waiting_slots.Append(1);
    q.waiting.emplace(e.seq, candidate_token);
    q.last_seen.insert({now, candidate_token});
    q.token_by_user[user.value] = candidate_token;
    auto& stored = q.tokens.emplace(candidate_token, std::move(e)).first->second;
    return JoinOutcome{q.View(stored, defaults), true};
}

Result<std::optional<TokenView>> MemoryQueueStore::Lookup(
    std::string_view token, Timestamp now, const QueueSettings& defaults
) {
    auto q = state_->FindByToken(token);
    if (!q) return std::optional<TokenView>{};
    q->Expire(now);
    auto it = q->tokens.find(std::string(token));
    if (it == q->tokens.end()) return std::optional<TokenView>{};
    Entry& e = it->second;
    if (e.status == TokenStatus::kWaiting) {
        q->last_seen.erase({e.last_seen, e.token});
        e.last_seen = now;
        q->last_seen.insert({now, e.token});
    }
    return std::optional<TokenView>{q->View(e, defaults)};
}

std::vector<Result<JoinOutcome>> MemoryQueueStore::JoinMany(
    std::span<const JoinCall> calls, Timestamp now, const QueueSettings& defaults
) {
    std::vector<Result<JoinOutcome>> out;
    out.reserve(calls.size());
    for (const auto& call : calls) out.push_back(Join(call.concert, call.user, call.candidate_token, now, defaults));
    return out;
}

std::vector<Result<std::optional<TokenView>>> MemoryQueueStore::LookupMany(
    std::span<const std::string_view> tokens, Timestamp now, const QueueSettings& defaults
) {
    std::vector<Result<std::optional<TokenView>>> out;
    out.reserve(tokens.size());
    for (auto token : tokens) out.push_back(Lookup(token, now, defaults));
    return out;
}

Result<void> MemoryQueueStore::Leave(std::string_view token) {
    if (auto q = state_->FindByToken(token)) q->Remove(std::string(token));
    return {};
}

Result<void> MemoryQueueStore::Revoke(std::string_view token, Timestamp keep_until) {
    auto q = state_->FindByToken(token);
    if (!q) return {};
    auto it = q->tokens.find(std::string(token));
    if (it == q->tokens.end() || it->second.status == TokenStatus::kRevoked) return {};
    Entry e = it->second;
    q->Remove(e.token);
    e.status = TokenStatus::kRevoked;
    e.keep_until = keep_until;
    q->revoked.insert({keep_until, e.token});
    q->token_by_user[e.user.value] = e.token;
    q->tokens.emplace(e.token, std::move(e));
    return {};
}

Result<TickOutcome> MemoryQueueStore::Tick(
    ConcertId concert, Timestamp now, Millis active_ttl, const QueueSettings& defaults
) {
    auto locked = state_->Get(concert, now);
    Queue& q = *locked;
    TickOutcome out;
    if (now < q.next_tick_at) return out;
    out.ran = true;
    const auto settings = q.Settings(defaults);
    q.next_tick_at = now + settings.tick_interval;
    out.expired = q.Expire(now);
    if (settings.paused) return out;
    const auto room = settings.max_active - static_cast<std::int64_t>(q.active.size());
    const auto admit = std::clamp<std::int64_t>(
        std::min(settings.admit_per_tick, room), 0, static_cast<std::int64_t>(q.waiting.size())
    );
    for (std::int64_t i = 0; i < admit; ++i) {
        auto head = q.waiting.begin();
        Entry& e = q.tokens.at(head->second);
        q.waiting_slots.Add(e.seq, -1);
        q.last_seen.erase({e.last_seen, e.token});
        q.waiting.erase(head);
        e.status = TokenStatus::kActive;
        e.active_until = now + active_ttl;
        q.active.insert({e.active_until, e.token});
    }
    q.admitted_total += admit;
    out.admitted = admit;
    return out;
}

Result<std::int64_t> MemoryQueueStore::DropIdle(ConcertId concert, Timestamp idle_before) {
    auto q = state_->Find(concert);
    if (!q) return 0;
    std::int64_t dropped = 0;
    while (!q->last_seen.empty() && q->last_seen.begin()->first < idle_before) {
        q->Remove(std::string(q->last_seen.begin()->second));
        ++dropped;
    }
    state_->DropIfIdle(*q, idle_before);
    return dropped;
}

Result<QueueStats> MemoryQueueStore::Stats(ConcertId concert, Timestamp now, const QueueSettings& defaults) {
    QueueStats out;
    out.settings = defaults;
    auto q = state_->Find(concert);
    if (!q) return out;
    q->Expire(now);
    out.waiting = static_cast<std::int64_t>(q->waiting.size());
    out.active = static_cast<std::int64_t>(q->active.size());
    out.admitted_total = q->admitted_total;
    out.settings = q->Settings(defaults);
    out.next_tick_at = q->next_tick_at;
    return out;
}

Result<QueueSettings> MemoryQueueStore::UpdateSettings(
    ConcertId concert, const QueueSettingsPatch& patch, Timestamp now, const QueueSettings& defaults
) {
    auto locked = state_->Get(concert, now);
    Queue& q = *locked;
    QueueSettings s = q.Settings(defaults);
    if (patch.max_active) s.max_active = *patch.max_active;
    if (patch.admit_per_tick) s.admit_per_tick = *patch.admit_per_tick;
    if (patch.tick_interval) s.tick_interval = *patch.tick_interval;
    if (patch.paused) s.paused = *patch.paused;
    q.settings = s;
    q.next_tick_at = std::min(q.next_tick_at, now + s.tick_interval);
    return s;
}

Result<std::vector<ConcertId>> MemoryQueueStore::Concerts() {
    std::shared_lock lock(state_->mutex);
    std::vector<ConcertId> out;
    for (const auto& [concert, q] : state_->queues) out.push_back(concert);
    return out;
}

}  // namespace ticketing::memory
