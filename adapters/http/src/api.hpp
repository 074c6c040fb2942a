#pragma once

#include <span>
#include <string_view>
#include <ticketing/runtime/runtime.hpp>
#include <vector>

#include "message.hpp"
#include "metrics.hpp"
#include "queue_eta.hpp"

namespace ticketing::http {

/// What a request's method and path select.
struct Dispatch {
    int route{-1};                       ///< index into the route table; -1: none (404 or 405)
    std::string_view name{"unmatched"};  ///< the route's path template, the metrics label
    bool blocking{false};                ///< calls the backends: run it on the worker pool
    bool status_poll{false};             ///< may be answered with others by HandleStatusPolls
};

/// The v1 routes over a Runtime: JSON in, JSON out. Handle is thread-safe.
class Api {
public:
    Api(runtime::Runtime& runtime, Metrics& metrics);

    Dispatch Find(std::string_view method, std::string_view path) const;
    /// Answers one request; may block on the backends when `dispatch.blocking`. Never throws.
    Response Handle(const Dispatch& dispatch, const Request& request);
    /// Answers `status_poll` requests together (one queue-store round trip); blocks. Never throws.
    std::vector<Response> HandleStatusPolls(std::span<const Request* const> requests);

private:
    runtime::Runtime& runtime_;
    Metrics& metrics_;
    /// The embedded default: queue routes are answered on the I/O thread, no hop to the pool.
    bool queue_in_process_;
    QueueEta eta_;
};

}  // namespace ticketing::http
