#include <ticketing/memory/memory_catalog_cache.hpp>

namespace ticketing::memory {

Result<std::optional<std::string>> MemoryCatalogCache::Get(std::string_view key) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::optional<std::string>{};
    if (it->second.expires_at <= clock_.Now()) {
        entries_.erase(it);
        return std::optional<std::string>{};
    }
    return std::optional<std::string>{it->second.value};
}

Result<void> MemoryCatalogCache::Put(std::string_view key, std::string_view value, Millis ttl) {
    std::lock_guard lock(mutex_);
    entries_.insert_or_assign(std::string(key), Entry{std::string(value), clock_.Now() + ttl});
    return {};
}

Result<void> MemoryCatalogCache::InvalidateAll() {
    std::lock_guard lock(mutex_);
    entries_.clear();
    return {};
}

}  // namespace ticketing::memory
