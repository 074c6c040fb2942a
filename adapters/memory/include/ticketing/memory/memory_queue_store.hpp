#pragma once

#include <memory>
#include <ticketing/ports/queue_store.hpp>

namespace ticketing::memory {

/// The waiting queues in process memory. Positions come from a Fenwick tree over join sequence
/// numbers, so a status lookup costs O(log n) whatever the queue length; the tree keeps 8 bytes per
/// join for the life of the queue. DropIdle also forgets a queue left with no token, default
/// settings and no creation or join since `idle_before` (its admitted total and tick clock start
/// again), so the store does not grow with every concert ever queued for. Thread-safe.
class MemoryQueueStore final : public ports::QueueStore {
public:
    MemoryQueueStore();
    ~MemoryQueueStore() override;

    Result<JoinOutcome> Join(
        ConcertId concert, UserId user, const std::string& candidate_token, Timestamp now, const QueueSettings& defaults
    ) override;
    std::vector<Result<JoinOutcome>> JoinMany(
        std::span<const JoinCall> calls, Timestamp now, const QueueSettings& defaults
    ) override;
    Result<std::optional<TokenView>> Lookup(std::string_view token, Timestamp now, const QueueSettings& defaults)
        override;
    std::vector<Result<std::optional<TokenView>>> LookupMany(
        std::span<const std::string_view> tokens, Timestamp now, const QueueSettings& defaults
    ) override;
    Result<void> Leave(std::string_view token) override;
    Result<void> Revoke(std::string_view token, Timestamp keep_until) override;
    Result<TickOutcome> Tick(ConcertId concert, Timestamp now, Millis active_ttl, const QueueSettings& defaults)
        override;
    Result<std::int64_t> DropIdle(ConcertId concert, Timestamp idle_before) override;
    Result<QueueStats> Stats(ConcertId concert, Timestamp now, const QueueSettings& defaults) override;
    Result<QueueSettings> UpdateSettings(
        ConcertId concert, const QueueSettingsPatch& patch, Timestamp now, const QueueSettings& defaults
    ) override;
    Result<std::vector<ConcertId>> Concerts() override;

    struct State;

private:
    std::unique_ptr<State> state_;
};

}  // namespace ticketing::memory
