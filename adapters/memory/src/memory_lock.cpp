#include <algorithm>
#include <condition_variable>
#include <thread>
#include <ticketing/memory/memory_lock.hpp>

namespace ticketing::memory {

struct MemoryLock::State {
    State(const ports::Clock& c, ports::Random& r) : clock(c), random(r) {}

    struct Holder {
        std::string owner;
        Timestamp expires_at;
    };

    bool HeldAt(const std::string& key, Timestamp now) const {
        auto it = holders.find(key);
        return it != holders.end() && it->second.expires_at > now;
    }

    // max(last + 1, clock time in µs), as the Redis lock does: fences never go back, not after a
    // restart (the database keeps the old maximum) nor after Forget.
    std::uint64_t NextFence(const std::string& key, Timestamp now) {
        auto& last = fences[key];
        last = std::max(last + 1, Micros(now));
        return last;
    }

    static std::uint64_t Micros(Timestamp at) {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
        return static_cast<std::uint64_t>(std::max<std::int64_t>(us, 0));
    }

    const ports::Clock& clock;
    ports::Random& random;
    std::mutex mutex;
    std::condition_variable released;
    std::map<std::string, Holder, std::less<>> holders;
    std::map<std::string, std::uint64_t, std::less<>> fences;
};

namespace {

class MemoryLease final : public ports::Lease {
public:
    MemoryLease(
        std::shared_ptr<MemoryLock::State> state,
        std::string owner,
        Timestamp expires_at,
        std::vector<ports::Fence> fences
    )
        : state_(std::move(state)), owner_(std::move(owner)), expires_at_(expires_at), fences_(std::move(fences)) {}

    ~MemoryLease() override {
        {
            std::lock_guard lock(state_->mutex);
            for (const auto& fence : fences_) {
                auto it = state_->holders.find(fence.resource);
                if (it != state_->holders.end() && it->second.owner == owner_) state_->holders.erase(it);
            }
        }
        state_->released.notify_all();
    }

    const std::vector<ports::Fence>& Fences() const override { return fences_; }

    bool Held() const override {
        std::lock_guard lock(state_->mutex);
        if (state_->clock.Now() >= expires_at_) return false;
        return std::all_of(fences_.begin(), fences_.end(), [&](const ports::Fence& f) {
            auto it = state_->holders.find(f.resource);
            return it != state_->holders.end() && it->second.owner == owner_;
        });
    }

private:
    std::shared_ptr<MemoryLock::State> state_;
    std::string owner_;
    Timestamp expires_at_;
    std::vector<ports::Fence> fences_;
};

}  // namespace

MemoryLock::MemoryLock(const ports::Clock& clock, ports::Random& random)
    : state_(std::make_shared<State>(clock, random)) {}

MemoryLock::~MemoryLock() = default;

Result<std::unique_ptr<ports::Lease>> MemoryLock::Acquire(std::vector<std::string> keys, Millis ttl, Millis wait) {
    if (keys.empty()) return MakeError(Errc::kInvalidArgument, "no keys to lock");
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    // Drawn before the mutex: the random source must not serialise every acquisition.
    const auto owner = state_->random.Token();
    const auto nap = std::chrono::microseconds(500 + static_cast<std::int64_t>(state_->random.Below(1500)));
    const auto deadline = std::chrono::steady_clock::now() + wait;

    std::unique_lock lock(state_->mutex);
    while (true) {
        const auto now = state_->clock.Now();
        const bool free = std::all_of(keys.begin(), keys.end(), [&](const std::string& key) {
            auto it = state_->holders.find(key);
            return it == state_->holders.end() || it->second.expires_at <= now;
        });
        if (free) {
            std::vector<ports::Fence> fences;
            for (auto& key : keys) {
                state_->holders[key] = State::Holder{owner, now + ttl};
                fences.push_back({key, state_->NextFence(key, now)});
            }
            return std::make_unique<MemoryLease>(state_, owner, now + ttl, std::move(fences));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return MakeError(Errc::kConflict, "lock busy: " + keys.front() + (keys.size() > 1 ? " and others" : ""));
        }
        // Woken by a release; the short bound also notices holders whose time ran out.
        state_->released.wait_for(lock, nap);
    }
}

std::int64_t MemoryLock::Forget(Millis older_than) {
    std::lock_guard lock(state_->mutex);
    const auto now = state_->clock.Now();
    const auto cutoff = State::Micros(now - older_than);
    std::int64_t forgotten = 0;
    for (auto it = state_->fences.begin(); it != state_->fences.end();) {
        if (it->second < cutoff && !state_->HeldAt(it->first, now)) {
            it = state_->fences.erase(it);
            ++forgotten;
        } else {
            ++it;
        }
    }
    return forgotten;
}

}  // namespace ticketing::memory
