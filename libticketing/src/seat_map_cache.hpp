#pragma once

// Recent seat maps; not installed.

#include <cstdint>
#include <memory>
#include <mutex>
#include <ticketing/app/catalog_service.hpp>
#include <unordered_map>

namespace ticketing::internal {

/// Schedules' seat rows as last read, for seat map reads: served while younger than `max_age`, and
/// dropped as soon as this instance changes a schedule's seats, so only other instances' changes can
/// be that late. Holds and payments always decide on the database. Thread-safe.
class SeatMapCache {
public:
    explicit SeatMapCache(Millis max_age) : max_age_(max_age) {}

    bool Enabled() const { return max_age_ > Millis::zero(); }

    /// The map read at most `max_age` before `now`, or null.
    std::shared_ptr<const SeatMap> Find(ScheduleId schedule, Timestamp now) const {
        std::lock_guard lock(mutex_);
        const auto it = entries_.find(schedule.value);
        if (it == entries_.end() || !it->second.map || now - it->second.read_at > max_age_) return nullptr;
        return it->second.map;
    }

    /// Taken before reading the database; Store keeps the read only if no change came after it.
    std::uint64_t Ticket() const {
        std::lock_guard lock(mutex_);
        return changes_;
    }

    void Store(ScheduleId schedule, std::shared_ptr<const SeatMap> map, Timestamp read_at, std::uint64_t ticket) {
        std::lock_guard lock(mutex_);
        const auto it = entries_.find(schedule.value);
        const auto changed = it == entries_.end() ? forgotten_ : it->second.changed;
        if (changed > ticket) return;  // a change this read may not have seen
        if (it == entries_.end() && entries_.size() >= kMaxSchedules) Forget();
        auto& entry = entries_[schedule.value];
        entry.changed = changed;
        entry.map = std::move(map);
        entry.read_at = read_at;
    }

    /// After this instance committed a change to the schedule's seats.
    void Changed(ScheduleId schedule) {
        if (!Enabled()) return;
        std::lock_guard lock(mutex_);
        if (entries_.size() >= kMaxSchedules && !entries_.contains(schedule.value)) Forget();
        auto& entry = entries_[schedule.value];
        entry.changed = ++changes_;
        entry.map.reset();
    }

private:
    static constexpr std::size_t kMaxSchedules = 4096;

    struct Entry {
        std::uint64_t changed{0};  ///< `changes_` at the schedule's last change
        std::shared_ptr<const SeatMap> map;
        Timestamp read_at;
    };

    // Drops every entry; reads begun before now are refused as if each schedule had just changed.
    void Forget() {
        entries_.clear();
        forgotten_ = ++changes_;
    }

    const Millis max_age_;
    mutable std::mutex mutex_;
    std::unordered_map<std::int64_t, Entry> entries_;
    std::uint64_t changes_{0};
    std::uint64_t forgotten_{0};
};

/// After a use case committed a change to the schedule's seats.
inline void SeatsChanged(const Context& ctx, ScheduleId schedule) {
    if (ctx.seat_maps != nullptr) ctx.seat_maps->Changed(schedule);
}

}  // namespace ticketing::internal
