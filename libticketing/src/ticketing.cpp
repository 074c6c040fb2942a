#include <ticketing/ticketing.hpp>

namespace ticketing {

Ticketing::Ticketing(const Backends& backends, Settings settings)
    : settings_(std::move(settings)),
      locks_(MakeLockStrategy(settings_.lock, backends.db, backends.lock, backends.random, backends.metrics)),
      ctx_{
          backends.db,
          backends.queue,
          backends.clock,
          backends.random,
          *locks_,
          settings_,
          backends.cache,
          backends.metrics},
      queue_(ctx_),
      catalog_(ctx_, queue_),
      reservations_(ctx_, queue_),
      accounts_(ctx_),
      payments_(ctx_, queue_),
      outbox_(ctx_) {}

}  // namespace ticketing
