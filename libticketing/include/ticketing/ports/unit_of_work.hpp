#pragma once

#include <memory>
#include <ticketing/error.hpp>
#include <ticketing/ports/repositories.hpp>

namespace ticketing::ports {

enum class TxMode : std::uint8_t {
    kRead,         ///< reads only; never committed
    kOptimistic,   ///< no row locks; versioned writes detect races
    kPessimistic,  ///< `*ForUpdate` reads lock their rows (SQLite: the whole database) until the end
};

/// One database transaction. Not thread-safe: one thread uses it, then drops it.
/// Destroying it without a successful `Commit` rolls everything back.
class UnitOfWork : public UserRepository,
                   public CatalogRepository,
                   public SeatRepository,
                   public ReservationRepository,
                   public PaymentRepository,
                   public OutboxRepository,
                   public ProjectionRepository,
                   public IdempotencyRepository,
                   public FenceRepository {
public:
    ~UnitOfWork() override = default;
    /// `kAborted` when a unique constraint or a version check fails at commit.
    virtual Result<void> Commit() = 0;
};

/// Starts units of work. Thread-safe.
class UnitOfWorkFactory {
public:
    virtual ~UnitOfWorkFactory() = default;
    virtual Result<std::unique_ptr<UnitOfWork>> Begin(TxMode mode) = 0;
};

}  // namespace ticketing::ports
