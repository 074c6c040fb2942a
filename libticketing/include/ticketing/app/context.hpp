#pragma once

#include <optional>
#include <ticketing/app/lock_strategy.hpp>
#include <ticketing/app/settings.hpp>
#include <ticketing/ports/catalog_cache.hpp>
#include <ticketing/ports/clock.hpp>
#include <ticketing/ports/metrics.hpp>
#include <ticketing/ports/queue_store.hpp>
#include <ticketing/ports/random.hpp>
#include <ticketing/ports/unit_of_work.hpp>
#include <vector>

namespace ticketing {

namespace internal {
class SeatMapCache;
struct CatalogRows;
}  // namespace internal

/// What every use case runs on. The referenced objects outlive the services.
struct Context {
    ports::UnitOfWorkFactory& db;
    ports::QueueStore& queue;
    ports::Clock& clock;
    ports::Random& random;
    LockStrategy& locks;
    const Settings& settings;
    ports::CatalogCache* cache{nullptr};           ///< optional
    ports::Metrics* metrics{nullptr};              ///< optional
    internal::SeatMapCache* seat_maps{nullptr};    ///< recent seat maps (Ticketing's own); null: none
    internal::CatalogRows* catalog_rows{nullptr};  ///< concerts and schedules found (Ticketing's own); null: none
};

/// One page of a list; `next_cursor` is absent on the last page.
template <class T>
struct Page {
    std::vector<T> items;
    std::optional<std::int64_t> next_cursor;
};

/// `?limit=` and `?cursor=` as the API takes them: limit defaults to 30, at most 100.
struct PageQuery {
    std::optional<std::int64_t> limit;
    std::optional<std::int64_t> cursor;
};

inline constexpr std::int64_t kDefaultPageLimit = 30;
inline constexpr std::int64_t kMaxPageLimit = 100;

/// Validates ?limit= and ?cursor= (INVALID_ARGUMENT when out of range) and fills in the defaults.
Result<ports::PageRequest> ToPageRequest(PageQuery query);

}  // namespace ticketing
