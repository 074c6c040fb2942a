#pragma once

#include <chrono>
#include <memory>
#include <ticketing/domain/time.hpp>
#include <ticketing/ports/unit_of_work.hpp>

namespace ticketing::memory {

struct MemoryDatabaseOptions {
    /// How long a pessimistic unit of work waits for a row lock before CONFLICT.
    Millis lock_wait_timeout{std::chrono::seconds{5}};
};

/// An in-process database: every repository, with the semantics the SQL adapter has. Units of work
/// stage their writes and validate them at commit (row versions, unique constraints, fences), so
/// optimistic units race safely; pessimistic ones also hold row locks. Thread-safe.
class MemoryDatabase final : public ports::UnitOfWorkFactory {
public:
    explicit MemoryDatabase(MemoryDatabaseOptions options = {});
    ~MemoryDatabase() override;
    MemoryDatabase(const MemoryDatabase&) = delete;
    MemoryDatabase& operator=(const MemoryDatabase&) = delete;

    Result<std::unique_ptr<ports::UnitOfWork>> Begin(ports::TxMode mode) override;

    /// While false every call fails with UNAVAILABLE, as a database that is down: for failure tests.
    void SetAvailable(bool available);

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace ticketing::memory
