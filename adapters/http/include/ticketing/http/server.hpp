#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <ticketing/error.hpp>
#include <ticketing/runtime/runtime.hpp>
#include <utility>
#include <vector>

namespace ticketing::http {

/// How the server listens and protects itself. Defaults are product.md's.
struct ServerOptions {
    std::string listen{"127.0.0.1:8080"};
    /// Threads running the sockets (parsing, writing): never blocked by a use case.
    std::int32_t io_threads{1};
    /// Threads running the use cases, which block on the database and Redis: sized to their pools.
    std::int32_t worker_threads{16};
    /// Requests per second per client IP, burst twice that; 0 turns the limit off.
    std::int32_t rate_limit{2000};
    /// Requests of one kind answered together at most (a hold batch's statements grow with it).
    std::size_t batch_limit{500};
    std::size_t max_connections{10'000};
    std::size_t body_limit{64 * 1024};
    std::size_t header_limit{16 * 1024};
    /// A request's headers and body must arrive within this once its first byte has.
    std::chrono::milliseconds read_timeout{std::chrono::seconds(10)};
    /// A keep-alive connection without a request for this long is closed.
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
    /// How long a stop waits for requests in flight before closing their connections.
    std::chrono::milliseconds shutdown_grace{std::chrono::seconds(10)};
};

/// The options a runtime configuration implies (listen address, threads, pools, rate limit).
ServerOptions OptionsFrom(const runtime::Config& config);

/// One route of the v1 API, as the OpenAPI document names it.
struct RouteInfo {
    std::string method;  ///< "GET"
    std::string path;    ///< "/v1/users/{userId}/balance"
};

/// Every route the server answers, in table order.
std::vector<RouteInfo> Routes();

/// The HTTP front end of a Runtime: product.md's API on Boost.Beast. Thread-safe.
class Server {
public:
    Server(runtime::Runtime& runtime, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and starts serving on background threads. Returns the bound port (useful with port 0).
    /// UNAVAILABLE when the address cannot be bound, INVALID_ARGUMENT when it is malformed.
    Result<std::uint16_t> Start();
    /// Stops accepting, lets requests in flight finish (up to the grace period), closes idle
    /// connections and joins the threads. Idempotent.
    void Stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ticketing::http
