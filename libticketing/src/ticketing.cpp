#include <stdexcept>
#include <ticketing/ticketing.hpp>

#include "catalog_reader.hpp"
#include "seat_map_cache.hpp"

namespace ticketing {
namespace {

Result<void> Validate(const Backends& backends, const Settings& settings) {
    if (auto valid = ValidateSettings(settings); !valid) return valid;
    if (settings.lock.kind == LockStrategyKind::kRedis && backends.lock == nullptr) {
        return MakeError(Errc::kInvalidArgument, "lock.kind redis needs Backends::lock");
    }
    return {};
}

}  // namespace

// Built in place once; the services refer to the settings, the strategy and each other.
struct Ticketing::Services {
    Services(const Backends& backends, Settings s)
        : settings(std::move(s)),
          locks(MakeLockStrategy(settings.lock, backends.db, backends.lock, backends.random, backends.metrics)),
          seat_maps(settings.seat_map_max_age),
          ctx{backends.db,
              backends.queue,
              backends.clock,
              backends.random,
              *locks,
              settings,
              backends.cache,
              backends.metrics,
              &seat_maps,
              &catalog_rows},
          queue(ctx),
          catalog(ctx, queue),
          reservations(ctx, queue),
          accounts(ctx),
          payments(ctx, queue),
          outbox(ctx),
          retention(ctx),
          sales(ctx) {}

    Settings settings;
    std::unique_ptr<LockStrategy> locks;
    internal::SeatMapCache seat_maps;
    internal::CatalogRows catalog_rows;
    Context ctx;
    QueueService queue;
    CatalogService catalog;
    ReservationService reservations;
    AccountService accounts;
    PaymentService payments;
    OutboxService outbox;
    RetentionService retention;
    SalesProjection sales;
};

Ticketing::Ticketing(const Backends& backends, Settings settings) {
    if (auto valid = Validate(backends, settings); !valid) throw std::invalid_argument(valid.error().message);
    services_ = std::make_unique<Services>(backends, std::move(settings));
}

Result<Ticketing> Ticketing::Create(const Backends& backends, Settings settings) {
    if (auto valid = Validate(backends, settings); !valid) return Forward(valid.error());
    return Ticketing(std::make_unique<Services>(backends, std::move(settings)));
}

Ticketing::Ticketing(std::unique_ptr<Services> services) : services_(std::move(services)) {}

Ticketing::~Ticketing() = default;
Ticketing::Ticketing(Ticketing&&) noexcept = default;
Ticketing& Ticketing::operator=(Ticketing&&) noexcept = default;

const Settings& Ticketing::GetSettings() const {
    return services_->settings;
}
QueueService& Ticketing::Queue() {
    return services_->queue;
}
CatalogService& Ticketing::Catalog() {
    return services_->catalog;
}
ReservationService& Ticketing::Reservations() {
    return services_->reservations;
}
AccountService& Ticketing::Accounts() {
    return services_->accounts;
}
PaymentService& Ticketing::Payments() {
    return services_->payments;
}
OutboxService& Ticketing::Outbox() {
    return services_->outbox;
}

RetentionService& Ticketing::Retention() {
    return services_->retention;
}
SalesProjection& Ticketing::Sales() {
    return services_->sales;
}

}  // namespace ticketing
