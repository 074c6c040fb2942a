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

/// Every use case, wired once. Thread-safe.
class Ticketing {
public:
    Ticketing(const Backends& backends, Settings settings);
    // The services hold references into this object.
    Ticketing(const Ticketing&) = delete;
    Ticketing& operator=(const Ticketing&) = delete;

    const Settings& GetSettings() const { return settings_; }
    QueueService& Queue() { return queue_; }
    CatalogService& Catalog() { return catalog_; }
    ReservationService& Reservations() { return reservations_; }
    AccountService& Accounts() { return accounts_; }
    PaymentService& Payments() { return payments_; }
    OutboxService& Outbox() { return outbox_; }

private:
    Settings settings_;
    std::unique_ptr<LockStrategy> locks_;
    Context ctx_;
    QueueService queue_;
    CatalogService catalog_;
    ReservationService reservations_;
    AccountService accounts_;
    PaymentService payments_;
    OutboxService outbox_;
};

}  // namespace ticketing
