#include <iterator>
#include <ticketing/memory/memory_catalog_cache.hpp>

namespace ticketing::memory {
namespace {

constexpr std::size_t kSweepEvery = 1024;

}  // namespace

Result<ports::CatalogCache::Read> MemoryCatalogCache::Get(std::string_view key) {
    std::lock_guard lock(mutex_);
    Read read{std::nullopt, generation_};
    auto it = entries_.find(key);
    if (it == entries_.end()) return read;
    if (it->second.expires_at <= clock_.Now()) {
        entries_.erase(it);
        return read;
    }
    read.value = it->second.value;
    return read;
}

Result<void> MemoryCatalogCache::Put(
    std::string_view key, std::string_view value, Millis ttl, std::uint64_t generation
) {
    std::lock_guard lock(mutex_);
    if (generation != generation_) return {};
    const auto now = clock_.Now();
    if (++puts_since_sweep_ >= kSweepEvery) {
        puts_since_sweep_ = 0;
        for (auto it = entries_.begin(); it != entries_.end();) {
            it = it->second.expires_at <= now ? entries_.erase(it) : std::next(it);
        }
    }
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_.insert_or_assign(std::string(key), Entry{std::string(value), now + ttl});
    return {};
}

Result<void> MemoryCatalogCache::InvalidateAll() {
    std::lock_guard lock(mutex_);
    ++generation_;
    entries_.clear();
    return {};
}

}  // namespace ticketing::memory
