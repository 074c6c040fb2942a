#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <ticketing/redis/redis_lock.hpp>

#include "scripts.hpp"

namespace ticketing::redis {
namespace {

using SteadyClock = std::chrono::steady_clock;

// 128 bits from the OS's CSPRNG: an owner token nobody else can guess or collide with.
std::string OwnerToken() {
    std::random_device device;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(32);
    for (int i = 0; i < 4; ++i) {
        const std::uint32_t word = device();
        for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kHex[(word >> shift) & 0xFU]);
    }
    return out;
}

std::minstd_rand& Jitter() {
    thread_local std::minstd_rand rng{std::random_device{}()};
    return rng;
}

struct HeldKey {
    std::string lease_key;
    ports::Fence fence;
};

// What a lease and the renewer share.
struct LeaseState {
    std::string owner;
    Millis ttl{0};
    std::vector<HeldKey> keys;
    std::vector<ports::Fence> fences;

    mutable std::mutex mutex;
    SteadyClock::time_point valid_until;  // conservative: measured from before the command was sent
    SteadyClock::time_point next_renewal;
    bool lost{false};
    bool released{false};

    bool Held() {
        std::lock_guard lock(mutex);
        if (!lost && SteadyClock::now() >= valid_until) lost = true;  // once lost, stays lost
        return !lost && !released;
    }
};

}  // namespace

struct RedisLock::State {
    State(std::shared_ptr<RedisClient> c, RedisLockOptions o) : client(std::move(c)), options(std::move(o)) {}

    std::shared_ptr<RedisClient> client;
    RedisLockOptions options;

    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::shared_ptr<LeaseState>> leases;   // renewed ones
    std::vector<std::shared_ptr<LeaseState>> orphans;  // acquisitions that failed in transit
    bool stopping{false};
    std::thread renewer;

    // Token-checked, so a lapsed holder never frees the next holder's key (nor an attempt a key it did
    // not get). False when Redis could not be reached: the TTL frees the keys in the end anyway.
    bool Release(const LeaseState& lease) {
        std::vector<RedisClient::ScriptCall> calls;
        for (const auto& key : lease.keys) calls.push_back({{key.lease_key}, {lease.owner}});
        return client->EvalPipeline(scripts::LockRelease(), calls).has_value();
    }

    // An acquisition whose reply was lost may still take keys whenever the server gets to it (a busy or
    // slow server; the order against a later release is not known): nobody owns them, so the renewer
    // releases them again every 100 ms until their TTL would have freed them anyway.
    void Abandon(const std::shared_ptr<LeaseState>& lease) {
        std::lock_guard lock(mutex);
        if (stopping) return;
        orphans.push_back(lease);
        if (!renewer.joinable()) renewer = std::thread([this] { RenewLoop(); });
        changed.notify_all();
    }

    void Register(const std::shared_ptr<LeaseState>& lease) {
        std::lock_guard lock(mutex);
        if (stopping) return;
        leases.push_back(lease);
        if (!renewer.joinable()) renewer = std::thread([this] { RenewLoop(); });
        changed.notify_all();
    }

    void Unregister(const LeaseState* lease) {
        std::lock_guard lock(mutex);
        leases.erase(
            std::remove_if(leases.begin(), leases.end(), [&](const auto& l) { return l.get() == lease; }), leases.end()
        );
    }

    void Stop() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
            leases.clear();
        }
        changed.notify_all();
        if (renewer.joinable()) renewer.join();
    }

    // One thread extends every held lease at ~ttl/3, so a slow holder keeps its keys; a lease whose
    // key was found taken by another (or whose TTL ran out before a renewal got through) is lost.
    void RenewLoop() {
        std::unique_lock lock(mutex);
        while (!stopping) {
            if (!orphans.empty()) {
                auto pending = std::move(orphans);
                orphans.clear();
                lock.unlock();
                std::vector<std::shared_ptr<LeaseState>> left;
                for (auto& orphan : pending) {
                    if (SteadyClock::now() >= orphan->valid_until) continue;
                    (void)Release(*orphan);
                    left.push_back(orphan);
                }
                lock.lock();
                orphans.insert(orphans.end(), left.begin(), left.end());
            }
            auto wake = orphans.empty() ? SteadyClock::time_point::max() : SteadyClock::now() + Millis{100};
            std::vector<std::shared_ptr<LeaseState>> due;
            const auto now = SteadyClock::now();
            for (const auto& lease : leases) {
                std::lock_guard lease_lock(lease->mutex);
                if (lease->next_renewal <= now) {
                    due.push_back(lease);
                } else {
                    wake = std::min(wake, lease->next_renewal);
                }
            }
            if (due.empty()) {
                if (wake == SteadyClock::time_point::max()) {
                    changed.wait(lock);
                } else {
                    changed.wait_until(lock, wake);
                }
                continue;
            }
            lock.unlock();
            for (const auto& lease : due) Renew(*lease);
            lock.lock();
        }
    }

    void Renew(LeaseState& lease) {
        const auto sent_at = SteadyClock::now();
        {
            std::lock_guard lease_lock(lease.mutex);
            if (lease.released || lease.lost) {
                lease.next_renewal = SteadyClock::time_point::max();
                return;
            }
            if (sent_at >= lease.valid_until) {
                lease.lost = true;
                lease.next_renewal = SteadyClock::time_point::max();
                return;
            }
        }
        bool all_ours = true;
        bool failed = false;
        std::vector<RedisClient::ScriptCall> calls;
        for (const auto& key : lease.keys)
            calls.push_back({{key.lease_key}, {lease.owner, std::to_string(lease.ttl.count())}});
        auto extended = client->EvalPipeline(scripts::LockExtend(), calls);
        if (!extended) {
            failed = true;
        } else {
            for (const auto& reply : *extended) {
                if (!reply) {
                    failed = true;
                } else if (reply->integer != 1) {
                    all_ours = false;
                }
            }
        }
        std::lock_guard lease_lock(lease.mutex);
        if (!all_ours) {
            lease.lost = true;
            lease.next_renewal = SteadyClock::time_point::max();
        } else if (failed) {
            // Redis unreachable: the key may still be ours until valid_until; try again soon.
            lease.next_renewal = SteadyClock::now() + std::max(lease.ttl / 10, Millis{10});
        } else if (!lease.lost) {
            lease.valid_until = sent_at + lease.ttl;
            lease.next_renewal = sent_at + std::max(lease.ttl / 3, Millis{1});
        }
    }
};

namespace {

class RedisLease final : public ports::Lease {
public:
    RedisLease(std::shared_ptr<RedisLock::State> lock, std::shared_ptr<LeaseState> state)
        : lock_(std::move(lock)), state_(std::move(state)) {}

    ~RedisLease() override {
        {
            std::lock_guard lease_lock(state_->mutex);
            state_->released = true;
        }
        lock_->Unregister(state_.get());
        lock_->Release(*state_);
    }

    const std::vector<ports::Fence>& Fences() const override { return state_->fences; }
    bool Held() const override { return state_->Held(); }

private:
    std::shared_ptr<RedisLock::State> lock_;
    std::shared_ptr<LeaseState> state_;
};

}  // namespace

RedisLock::RedisLock(std::shared_ptr<RedisClient> client, RedisLockOptions options)
    : state_(std::make_shared<State>(std::move(client), std::move(options))) {}

RedisLock::~RedisLock() {
    state_->Stop();
}

Result<std::unique_ptr<ports::Lease>> RedisLock::Acquire(std::vector<std::string> keys, Millis ttl, Millis wait) {
    if (keys.empty()) return MakeError(Errc::kInvalidArgument, "no keys to lock");
    if (ttl <= Millis{0}) return MakeError(Errc::kInvalidArgument, "a lease needs a positive ttl");
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());

    auto lease = std::make_shared<LeaseState>();
    lease->owner = OwnerToken();
    lease->ttl = ttl;
    for (auto& key : keys) {
        // `{key}` in both names: the lease and its fence share one Cluster slot.
        HeldKey held{state_->options.key_prefix + "{" + key + "}", ports::Fence{key, 0}};
        lease->keys.push_back(std::move(held));
    }
    const auto fence_key = [&](const std::string& key) { return state_->options.key_prefix + "fence:{" + key + "}"; };
    const auto deadline = SteadyClock::now() + wait;
    const std::string ttl_ms = std::to_string(ttl.count());
    auto backoff = Millis{1};

    for (;;) {
        // Every key in one round trip; all or nothing, so no order is needed against deadlock.
        const auto sent_at = SteadyClock::now();
        std::vector<RedisClient::ScriptCall> calls;
        for (const auto& key : lease->keys) {
            calls.push_back({{key.lease_key, fence_key(key.fence.resource)}, {lease->owner, ttl_ms}});
        }
        auto replies = state_->client->EvalPipeline(scripts::LockAcquire(), calls);
        if (!replies) {
            // The server may still run the pipeline: give back whatever it takes (token-checked).
            lease->valid_until = sent_at + ttl;
            state_->Abandon(lease);
            return Forward(replies.error());
        }
        std::optional<Error> failure;
        std::vector<bool> taken(lease->keys.size(), false);
        for (std::size_t i = 0; i < replies->size(); ++i) {
            const auto& fence = (*replies)[i];
            if (!fence) {
                failure = fence.error();
            } else if (fence->type == RedisReply::Type::kInteger && fence->integer > 0) {
                lease->keys[i].fence.token = static_cast<std::uint64_t>(fence->integer);
                taken[i] = true;
            }
        }
        if (std::all_of(taken.begin(), taken.end(), [](bool t) { return t; })) {
            lease->valid_until = sent_at + ttl;
            lease->next_renewal =
                state_->options.renew ? sent_at + std::max(ttl / 3, Millis{1}) : SteadyClock::time_point::max();
            for (const auto& key : lease->keys) lease->fences.push_back(key.fence);
            auto out = std::make_unique<RedisLease>(state_, lease);
            if (state_->options.renew) state_->Register(lease);
            return std::unique_ptr<ports::Lease>(std::move(out));
        }
        // All or nothing: give back what this attempt took before waiting (the release is token-checked,
        // so keys it did not get are left alone).
        state_->Release(*lease);
        if (failure) return tl::unexpected<Error>(*failure);
        const auto now = SteadyClock::now();
        if (now >= deadline) {
            return MakeError(Errc::kConflict, "lock busy: " + keys.front() + (keys.size() > 1 ? " and others" : ""));
        }
        // Full jitter over a growing window, so waiters do not retry in step.
        const auto window_us = std::chrono::duration_cast<std::chrono::microseconds>(backoff).count();
        auto nap = std::chrono::microseconds(
            100 +
            static_cast<std::int64_t>(Jitter()() % static_cast<std::uint64_t>(std::max<std::int64_t>(window_us, 1)))
        );
        nap = std::min(nap, std::chrono::duration_cast<std::chrono::microseconds>(deadline - now));
        std::this_thread::sleep_for(nap);
        backoff = std::min(backoff * 2, Millis{32});
    }
}

}  // namespace ticketing::redis
