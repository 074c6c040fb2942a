#pragma once

// Catalog reads through the optional cache; not installed.

#include <optional>
#include <ticketing/app/context.hpp>
#include <vector>

#include "known_ids.hpp"

namespace ticketing::internal {

/// Concerts and schedules this instance found by id. They are only ever inserted (no route or port
/// updates or deletes them), so an entry never goes stale: holds, payments and joins read them from
/// memory, without a round trip to the shared cache.
struct CatalogRows {
    KnownRows<Concert> concerts;
    KnownRows<Schedule> schedules;
};

/// Reads concerts and schedules from memory (by id), then the cache when it has them, else from the
/// database (and fills the cache). A cache that fails is skipped. Thread-safe.
class CatalogReader {
public:
    explicit CatalogReader(const Context& ctx) : ctx_(ctx) {}

    Result<std::optional<Concert>> FindConcert(ConcertId id);
    Result<std::optional<Schedule>> FindSchedule(ScheduleId id);
    Result<std::vector<Schedule>> ListSchedules(ConcertId concert);
    Result<std::vector<Concert>> ListConcertsOpenAt(Timestamp at, ports::PageRequest page);
    /// After a catalog write.
    void Invalidate();

private:
    template <class T, class Load>
    Result<std::vector<T>> Cached(const std::string& key, Load load);
    template <class T, class Find>
    Result<std::optional<T>> FindOne(const std::string& key, Find find);
    /// FindOne behind `known` (when not null), which keeps what is found.
    template <class T, class Find>
    Result<std::optional<T>> FindKnown(KnownRows<T>* known, std::int64_t id, std::string_view prefix, Find find);

    Context ctx_;
};

// The cache's encoding of catalog rows (length-prefixed fields).
std::string EncodeRows(const std::vector<Concert>& rows);
std::string EncodeRows(const std::vector<Schedule>& rows);
std::optional<std::vector<Concert>> DecodeConcerts(std::string_view text);
std::optional<std::vector<Schedule>> DecodeSchedules(std::string_view text);

}  // namespace ticketing::internal
