#pragma once

#include <memory>
#include <ticketing/app/account_service.hpp>
#include <ticketing/app/atomic_metrics.hpp>
#include <ticketing/app/catalog_service.hpp>
#include <ticketing/app/context.hpp>
#include <ticketing/app/lock_strategy.hpp>
#include <ticketing/app/outbox_service.hpp>
#include <ticketing/app/payment_service.hpp>
#include <ticketing/app/queue_service.hpp>
#include <ticketing/app/reservation_service.hpp>
#include <ticketing/app/retention_service.hpp>
#include <ticketing/app/sales_projection.hpp>
#include <ticketing/app/settings.hpp>
#include <ticketing/ports/distributed_lock.hpp>

namespace ticketing {

/// The adapters a Ticketing instance runs on; they must outlive it.
struct Backends {
    ports::UnitOfWorkFactory& db;
    ports::QueueStore& queue;
    ports::Clock& clock;
    ports::Random& random;
    ports::DistributedLock* lock{nullptr};  ///< required by the redis strategy
    ports::CatalogCache* cache{nullptr};    ///< optional read-through cache of the catalog
    ports::Metrics* metrics{nullptr};       ///< optional counters (AtomicMetrics is ready-made); null: none
};

/// Every use case, wired once. Thread-safe. A movable value (the services live behind one pointer,
/// so moving keeps the references between them valid); a moved-from instance may only be destroyed
/// or assigned to.
class Ticketing {
public:
    /// Throws std::invalid_argument naming a bad setting (see ValidateSettings) or a missing backend.
    Ticketing(const Backends& backends, Settings settings);
    /// As the constructor, with INVALID_ARGUMENT instead of an exception.
    static Result<Ticketing> Create(const Backends& backends, Settings settings);
    ~Ticketing();
    Ticketing(Ticketing&&) noexcept;
    Ticketing& operator=(Ticketing&&) noexcept;

    const Settings& GetSettings() const;
    QueueService& Queue();
    CatalogService& Catalog();
    ReservationService& Reservations();
    AccountService& Accounts();
    PaymentService& Payments();
    OutboxService& Outbox();
    /// Trims the bookkeeping tables; run it with GetSettings().retention.
    RetentionService& Retention();
    /// Per-schedule sales from payment events: what the event consumer feeds.
    SalesProjection& Sales();

private:
    struct Services;
    explicit Ticketing(std::unique_ptr<Services> services);

    std::unique_ptr<Services> services_;
};

}  // namespace ticketing
