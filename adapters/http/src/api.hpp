#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <ticketing/runtime/runtime.hpp>
#include <vector>

#include "message.hpp"
#include "metrics.hpp"
#include "queue_eta.hpp"

namespace ticketing::http {

/// Requests that may be queued and answered together by HandleBatch: one backend round trip (or one
/// transaction) and one thread hop for many (a flash crowd is mostly joins, status polls, seat map
/// reads and holds).
enum class Batch : std::uint8_t { kNone, kStatusPoll, kJoin, kHold, kCancel, kCharge, kSeatMap };
constexpr std::size_t kBatchKinds = static_cast<std::size_t>(Batch::kSeatMap);  ///< the kinds other than kNone

/// What a request's method and path select.
struct Dispatch {
    int route{-1};                       ///< index into the route table; -1: none (404 or 405)
    std::string_view name{"unmatched"};  ///< the route's path template, the metrics label
    bool blocking{false};                ///< calls the backends: run it on the worker pool
    Batch batch{Batch::kNone};           ///< may be answered with others of its kind by HandleBatch
};

/// The v1 routes over a Runtime: JSON in, JSON out. Handle is thread-safe.
class Api {
public:
    Api(runtime::Runtime& runtime, Metrics& metrics);

    Dispatch Find(std::string_view method, std::string_view path) const;
    /// Answers one request; may block on the backends when `dispatch.blocking`. Never throws.
    Response Handle(const Dispatch& dispatch, const Request& request);
    /// Answers requests of one batch kind together; blocks. Never throws.
    std::vector<Response> HandleBatch(Batch kind, std::span<const Request* const> requests);

private:
    runtime::Runtime& runtime_;
    Metrics& metrics_;
    /// The embedded default: queue routes are answered on the I/O thread, no hop to the pool.
    bool queue_in_process_;
    QueueEta eta_;
};

}  // namespace ticketing::http
