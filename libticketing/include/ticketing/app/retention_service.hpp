#pragma once

#include <cstdint>
#include <ticketing/app/context.hpp>
#include <ticketing/app/settings.hpp>

namespace ticketing {

/// Rows one run deleted, per table.
struct RetentionOutcome {
    std::int64_t idempotency{0};       ///< records past Settings::idempotency_ttl
    std::int64_t inbox{0};             ///< inbox rows older than inbox_age
    std::int64_t published_outbox{0};  ///< PUBLISHED events older than published_outbox_age
    std::int64_t fences{0};            ///< fences older than fence_age
    std::int32_t batches{0};
    /// False when the batch budget ran out (or a batch lost a race) before every table was trimmed:
    /// the next run goes on.
    bool complete{true};
};

/// Keeps the bookkeeping tables from growing without bound. Deletes in batches of
/// `settings.batch_size` rows, each in its own short transaction, until every table is trimmed or
/// `settings.max_batches` batches ran. Safe when every instance runs it at once: deletes are
/// idempotent, and each batch holds its rows' locks only briefly. Thread-safe.
class RetentionService {
public:
    explicit RetentionService(const Context& ctx) : ctx_(ctx) {}

    Result<RetentionOutcome> RunOnce(const RetentionSettings& settings);

private:
    Context ctx_;
};

}  // namespace ticketing
