#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <span>
#include <vector>

namespace ticketing {

/// Requests that concurrent callers hand in while earlier ones are in flight go out together: a
/// caller that finds fewer than `max_in_flight` batches running takes everything queued (its own
/// request included) and runs it as one batch; the others wait for their part. A caller that finds
/// the way clear runs alone at once, so an idle system waits for nothing; under load one round trip
/// serves many. Thread-safe.
template <class Item>
class GroupCommit {
public:
    explicit GroupCommit(std::size_t max_in_flight, std::size_t max_batch = 256)
        : max_in_flight_(std::max<std::size_t>(max_in_flight, 1)), max_batch_(std::max<std::size_t>(max_batch, 1)) {}

    /// Returns once `item` went through some caller's `run(std::span<Item* const>)`, which must
    /// complete every item of its batch. If `run` throws, the items of that batch are left as they
    /// were (start each with a failure) and the exception reaches the caller that ran it.
    template <class Run>
    void Submit(Item& item, Run&& run) {
        Waiter self(&item);
        std::unique_lock lock(mutex_);
        queued_.push_back(&self);
        while (!self.done) {
            if (queued_.empty() || in_flight_ >= max_in_flight_) {
                self.wake.wait(lock);
                continue;
            }
            const auto take = static_cast<std::ptrdiff_t>(std::min(queued_.size(), max_batch_));
            std::vector<Waiter*> batch(queued_.begin(), queued_.begin() + take);
            queued_.erase(queued_.begin(), queued_.begin() + take);
            std::vector<Item*> items;
            items.reserve(batch.size());
            for (auto* waiter : batch) items.push_back(waiter->item);
            ++in_flight_;
            lock.unlock();
            struct Finish {  // also when `run` throws: nobody may wait forever
                GroupCommit& group;
                std::unique_lock<std::mutex>& lock;
                const std::vector<Waiter*>& batch;
                const Waiter& self;
                ~Finish() {
                    lock.lock();
                    --group.in_flight_;
                    // Woken under the lock: a waiter returns (and its Waiter dies) only once it holds it.
                    for (auto* waiter : batch) {
                        waiter->done = true;
                        if (waiter != &self) waiter->wake.notify_one();
                    }
                    if (!group.queued_.empty()) group.queued_.front()->wake.notify_one();  // the next to run
                }
            } finish{*this, lock, batch, self};
            run(std::span<Item* const>(items));
        }
    }

private:
    struct Waiter {
        explicit Waiter(Item* i) : item(i) {}
        Item* item;
        bool done{false};
        std::condition_variable wake;
    };

    const std::size_t max_in_flight_;
    const std::size_t max_batch_;
    std::mutex mutex_;
    std::deque<Waiter*> queued_;
    std::size_t in_flight_{0};
};

}  // namespace ticketing
