#include <algorithm>
#include <functional>
#include <ticketing/app/retention_service.hpp>

namespace ticketing {

Result<RetentionOutcome> RetentionService::RunOnce(const RetentionSettings& settings) {
    if (settings.batch_size <= 0 || settings.max_batches <= 0) {
        return MakeError(Errc::kInvalidArgument, "retention needs a positive batch size and batch budget");
    }
    const auto now = ctx_.clock.Now();
    // Fencing tokens are max(last + 1, clock µs) in every lock: below this one, a fence is that old.
    const auto fence_cutoff =
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, (now - settings.fence_age).time_since_epoch().count())) *
        1000;
    using Trim = std::function<Result<std::int64_t>(ports::UnitOfWork&, std::int64_t)>;
    RetentionOutcome out;
    const std::pair<Trim, std::int64_t*> tables[] = {
        {[&](ports::UnitOfWork& uow, std::int64_t n) {
             return uow.DeleteIdempotencyBefore(now - ctx_.settings.idempotency_ttl, n);
         },
         &out.idempotency},
        {[&](ports::UnitOfWork& uow, std::int64_t n) { return uow.DeleteInboxBefore(now - settings.inbox_age, n); },
         &out.inbox},
        {[&](ports::UnitOfWork& uow, std::int64_t n) {
             return uow.DeletePublishedOutboxBefore(now - settings.published_outbox_age, n);
         },
         &out.published_outbox},
        {[&](ports::UnitOfWork& uow, std::int64_t n) { return uow.DeleteFencesBelow(fence_cutoff, n); }, &out.fences},
    };
    for (const auto& [trim, deleted] : tables) {
        for (;;) {
            if (out.batches == settings.max_batches) {
                out.complete = false;
                return out;
            }
            ++out.batches;
            auto uow = ctx_.db.Begin(ports::TxMode::kOptimistic);
            if (!uow) return Forward(uow.error());
            auto batch = trim(**uow, settings.batch_size);
            auto committed = batch ? (*uow)->Commit() : Result<void>{tl::unexpected<Error>(batch.error())};
            if (!committed) {
                // Another instance trimming the same rows, or a writer on them: the next run goes on.
                if (committed.error().code == Errc::kAborted || committed.error().code == Errc::kConflict) {
                    out.complete = false;
                    break;
                }
                return Forward(committed.error());
            }
            *deleted += *batch;
            if (*batch < settings.batch_size) break;  // the table is trimmed
        }
    }
    return out;
}

}  // namespace ticketing
