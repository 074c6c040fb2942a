// The sockets: Boost.Beast sessions as C++20 coroutines on an io_context, use cases on a worker pool.
// The only translation unit that includes Beast.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <mutex>
#include <random>
#include <thread>
#include <ticketing/http/server.hpp>
#include <unordered_set>

#include "api.hpp"
#include "rate_limiter.hpp"

namespace ticketing::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxLoggedTarget = 256;
constexpr std::size_t kMaxRequestId = 128;
/// Connections taken at once after an accept: a burst is served soon, and the accepting thread still
/// gets back to its other work.
constexpr int kAcceptsPerTurn = 256;

/// A client's X-Request-Id is kept when it is short and plain; otherwise the server makes one.
bool UsableRequestId(std::string_view id) {
    return !id.empty() && id.size() <= kMaxRequestId && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.' || c == ':';
    });
}

/// The metrics label of a method: the verbs of the API, everything else folded into one.
std::string_view MethodLabel(std::string_view method) {
    for (std::string_view known : {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"}) {
        if (method == known) return known;
    }
    return "OTHER";
}

Result<tcp::endpoint> ParseListen(std::string_view listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string_view::npos) return MakeError(Errc::kInvalidArgument, "listen must be HOST:PORT");
    auto host = std::string(listen.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const auto port_text = listen.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
        return MakeError(Errc::kInvalidArgument, "listen: bad port in " + std::string(listen));
    }
    boost::system::error_code error;
    auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, error);
    if (error) return MakeError(Errc::kInvalidArgument, "listen: bad address in " + std::string(listen));
    return tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

}  // namespace

ServerOptions OptionsFrom(const runtime::Config& config) {
    ServerOptions options;
    options.listen = config.listen;
    options.io_threads = std::max(config.threads, 1);
    options.worker_threads = runtime::DbPoolSize(config);
    options.rate_limit = config.rate_limit;
    options.batch_limit = static_cast<std::size_t>(config.batch_limit);
    return options;
}

/// One connection as Stop sees it: closed at once when idle, after its response when busy.
struct Connection {
    asio::any_io_executor strand;
    beast::tcp_stream* stream{nullptr};  ///< null once the session ended; touched on `strand` only
    bool busy{false};
};

struct Server::Impl {
    Impl(runtime::Runtime& rt, ServerOptions opts)
        : runtime(rt),
          options(std::move(opts)),
          api(rt, metrics),
          limiter(options.rate_limit),
          workers(static_cast<std::size_t>(std::max(options.worker_threads, 1))),
          ioc(std::max(options.io_threads, 1)),
          acceptor(asio::make_strand(ioc)) {
        std::random_device random;
        request_id_prefix = fmt::format("{:08x}", random());
    }

    asio::awaitable<void> Accept();
    asio::awaitable<void> Session(tcp::socket socket);
    asio::awaitable<Response> Answer(const Dispatch& dispatch, const Request& request, const std::string& peer);
    /// A batchable request: queued, then answered by a worker together with the others of its kind
    /// queued meanwhile.
    asio::awaitable<Response> AnswerBatched(Batch kind, const Request& request);
    void Drain(Batch kind);
    asio::awaitable<void> Write(
        beast::tcp_stream& stream,
        Response response,
        std::string request_id,
        unsigned version,
        bool keep_alive,
        bool* written
    );
    void Log(
        std::string_view peer,
        std::string_view method,
        std::string_view target,
        int status,
        std::size_t bytes,
        std::chrono::steady_clock::duration took,
        std::string_view request_id
    );
    std::string NextRequestId() { return fmt::format("{}-{:x}", request_id_prefix, ++request_seq); }

    runtime::Runtime& runtime;
    ServerOptions options;
    Metrics metrics;
    Api api;
    RateLimiter limiter;
    std::atomic<bool> stopping{false};
    bool stopped{false};
    std::atomic<std::int64_t> connections{0};
    std::string request_id_prefix;
    std::atomic<std::uint64_t> request_seq{0};
    std::mutex connections_mutex;
    std::unordered_set<std::shared_ptr<Connection>> live;
    // Batchable requests waiting for a worker, per kind. While kDrains workers are answering batches of
    // a kind, the requests of that kind that arrive wait and go together in the next: one backend round
    // trip and one thread hop for many, instead of one each.
    struct Queued {
        const Request* request;
        asio::any_io_executor session;  // where `done` resumes the session
        asio::any_completion_handler<void(Response)> done;
    };
    struct Pending {
        std::mutex mutex;
        std::vector<Queued> requests;
        int drains{0};
    };
    // Batches in flight per kind (measured with scripts/bench-http): a status poll batch is one Redis
    // round trip; a join batch is a database read, then a Redis round trip, so more of them overlap;
    // a hold, cancel or charge batch is one write transaction; a seat map batch, a Redis round trip
    // and, past the seat map cache's age, a database read.
    static constexpr std::array<int, kBatchKinds> kDrains{2, 4, 2, 2, 2, 2};
    static_assert(std::ranges::all_of(kDrains, [](int drains) { return drains > 0; }), "a kind without drains");
    std::array<Pending, kBatchKinds> pending;
    static std::size_t Slot(Batch kind) { return static_cast<std::size_t>(kind) - 1; }
    // Declared after what the sessions use: destroying them destroys the coroutine frames still pending
    // (a stop past its grace period), whose cleanup reaches the members above.
    asio::thread_pool workers;
    asio::io_context ioc;
    tcp::acceptor acceptor;
    std::vector<std::thread> threads;
};

asio::awaitable<void> Server::Impl::Accept() {
    const auto serve = [this](tcp::socket socket) {
        auto executor = socket.get_executor();
        asio::co_spawn(executor, Session(std::move(socket)), [](const std::exception_ptr& failure) {
            if (!failure) return;
            try {
                std::rethrow_exception(failure);
            } catch (const std::exception& e) {
                spdlog::error("session: {}", e.what());
            }
        });
    };
    for (;;) {
        auto [error, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kUse);
        if (error == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (error) {
            // Out of descriptors and the like: let other connections end instead of spinning.
            spdlog::warn("accept: {}", error.message());
            asio::steady_timer pause(ioc, std::chrono::milliseconds(50));
            co_await pause.async_wait(kUse);
            continue;
        }
        serve(std::move(socket));
        // A crowd connects at once: take the connections already waiting (the acceptor does not block),
        // up to kAcceptsPerTurn, before the next turn, or the last ones would wait behind rounds of the
        // others' requests (1 s and more for the first request of some of 1,000 new connections).
        for (int n = 0; n < kAcceptsPerTurn && !stopping; ++n) {
            boost::system::error_code none_waiting;
            auto more = acceptor.accept(asio::make_strand(ioc), none_waiting);
            if (none_waiting) break;  // would_block; another failure comes back to async_accept
            serve(std::move(more));
        }
    }
}

namespace {

Request ToRequest(bhttp::request<bhttp::string_body>& message) {
    Request request;
    request.method = std::string(message.method_string());
    const std::string_view target = message.target();
    const auto question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
    if (const auto it = message.find(bhttp::field::authorization); it != message.end()) {
        request.authorization = std::string(it->value());
    }
    if (const auto it = message.find("Idempotency-Key"); it != message.end()) {
        request.idempotency_key = std::string(it->value());
    }
    if (const auto it = message.find(bhttp::field::if_none_match); it != message.end()) {
        request.if_none_match = std::string(it->value());
    }
    request.body = std::move(message.body());
    return request;
}

}  // namespace

asio::awaitable<Response> Server::Impl::Answer(
    const Dispatch& dispatch, const Request& request, const std::string& peer
) {
    if (const auto wait = limiter.Acquire(peer); wait > 0) {
        co_return ErrorResponse(
            Error{Errc::kRateLimited, "too many requests from this address"}, static_cast<int>(wait)
        );
    }
    if (!dispatch.blocking) co_return api.Handle(dispatch, request);
    if (dispatch.batch != Batch::kNone) co_return co_await AnswerBatched(dispatch.batch, request);
    // The use case blocks on the database or Redis: run it on the worker pool, resume here after.
    co_return co_await asio::co_spawn(
        workers,
        [this, &dispatch, &request]() -> asio::awaitable<Response> { co_return api.Handle(dispatch, request); },
        asio::use_awaitable
    );
}

asio::awaitable<Response> Server::Impl::AnswerBatched(Batch kind, const Request& request) {
    auto session = co_await asio::this_coro::executor;
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Response)>(
        [this, kind, &request, &session](auto done) {
            auto& queue = pending[Slot(kind)];
            bool drain = false;
            {
                std::lock_guard lock(queue.mutex);
                queue.requests.push_back({&request, session, std::move(done)});
                if (queue.drains < kDrains[Slot(kind)]) {
                    ++queue.drains;
                    drain = true;
                }
            }
            if (drain) asio::post(workers, [this, kind] { Drain(kind); });
        },
        asio::use_awaitable
    );
}

void Server::Impl::Drain(Batch kind) {
    auto& queue = pending[Slot(kind)];
    std::vector<Queued> batch;
    {
        std::lock_guard lock(queue.mutex);
        if (queue.requests.empty()) {
            --queue.drains;
            return;
        }
        batch.swap(queue.requests);
        if (batch.size() > options.batch_limit) {
            // The rest wait for the next batch. Moved by construction only: Boost 1.81's move assignment
            // of any_completion_handler wraps the handler in itself without end.
            const auto rest = batch.begin() + static_cast<std::ptrdiff_t>(options.batch_limit);
            for (auto it = rest; it != batch.end(); ++it) queue.requests.push_back(std::move(*it));
            batch.erase(rest, batch.end());
        }
    }
    std::vector<const Request*> requests;
    requests.reserve(batch.size());
    for (const auto& queued : batch) requests.push_back(queued.request);
    auto responses = api.HandleBatch(kind, requests);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        asio::post(batch[i].session, [done = std::move(batch[i].done), response = std::move(responses[i])]() mutable {
            std::move(done)(std::move(response));
        });
    }
    // The next batch waits its turn behind the work posted meanwhile: under a steady crowd the drains
    // would otherwise keep their threads, and payments and the rest would wait for a free worker.
    asio::post(workers, [this, kind] { Drain(kind); });
}

asio::awaitable<void> Server::Impl::Write(
    beast::tcp_stream& stream,
    Response response,
    std::string request_id,
    unsigned version,
    bool keep_alive,
    bool* written
) {
    bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(response.status), version};
    message.set("X-Request-Id", request_id);
    if (response.status != 204) message.set(bhttp::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) message.set(name, value);
    message.body() = std::move(response.body);
    message.keep_alive(keep_alive);
    message.prepare_payload();
    // A client that does not read its response is cut off like one that does not send its request.
    stream.expires_after(options.read_timeout);
    auto [error, bytes] = co_await bhttp::async_write(stream, message, kUse);
    *written = !error;
}

void Server::Impl::Log(
    std::string_view peer,
    std::string_view method,
    std::string_view target,
    int status,
    std::size_t bytes,
    std::chrono::steady_clock::duration took,
    std::string_view request_id
) {
    spdlog::info(
        "{} \"{} {}\" {} {} {:.3f}ms rid={}",
        peer,
        method,
        target.substr(0, kMaxLoggedTarget),
        status,
        bytes,
        std::chrono::duration<double, std::milli>(took).count(),
        request_id
    );
}

asio::awaitable<void> Server::Impl::Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    boost::system::error_code endpoint_error;
    const auto remote = stream.socket().remote_endpoint(endpoint_error);
    const std::string peer = endpoint_error ? std::string("unknown") : remote.address().to_string();

    auto connection = std::make_shared<Connection>();
    connection->strand = stream.get_executor();
    connection->stream = &stream;
    ++connections;
    {
        std::lock_guard lock(connections_mutex);
        live.insert(connection);
    }
    struct Unregister {
        Impl& impl;
        std::shared_ptr<Connection> connection;
        ~Unregister() {
            std::lock_guard lock(impl.connections_mutex);
            connection->stream = nullptr;
            impl.live.erase(connection);
            --impl.connections;
        }
    } unregister{*this, connection};

    bool written = false;
    if (connections.load() > static_cast<std::int64_t>(options.max_connections)) {
        const auto id = NextRequestId();
        co_await Write(
            stream, ErrorResponse(Error{Errc::kUnavailable, "too many connections"}, 1), id, 11, false, &written
        );
        Log(peer, "-", "-", 503, 0, {}, id);
        co_return;
    }

    beast::flat_buffer buffer;
    while (!stopping) {
        connection->busy = false;
        if (buffer.size() == 0) {
            // Between requests the connection idles; the first byte starts the request's own timeout.
            stream.expires_after(options.idle_timeout);
            auto [error, bytes] = co_await stream.async_read_some(buffer.prepare(4096), kUse);
            if (error) break;
            buffer.commit(bytes);
        }
        connection->busy = true;
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
        parser.body_limit(options.body_limit);
        stream.expires_after(options.read_timeout);
        const auto started = std::chrono::steady_clock::now();
        auto [error, bytes] = co_await bhttp::async_read(stream, buffer, parser, kUse);
        if (error == bhttp::error::end_of_stream || error == beast::error::timeout ||
            error == asio::error::operation_aborted || error == asio::error::connection_reset ||
            error == asio::error::eof) {
            break;
        }
        auto& message = parser.get();
        std::string request_id;
        if (const auto it = message.find("X-Request-Id"); it != message.end() && UsableRequestId(it->value())) {
            request_id = std::string(it->value());
        } else {
            request_id = NextRequestId();
        }
        if (error) {
            // A request the parser refused: answer it (with its id) and close, since the stream is lost.
            Response refusal =
                error == bhttp::error::body_limit
                    ? ErrorResponse(Error{Errc::kPayloadTooLarge, "the body is over the limit"})
                : error == bhttp::error::header_limit
                    ? StatusResponse(431, "INVALID_ARGUMENT", "the headers are over the limit")
                    : ErrorResponse(Error{Errc::kInvalidArgument, "malformed HTTP request: " + error.message()});
            const int status = refusal.status;
            metrics.Observe("parser", "OTHER", status, std::chrono::steady_clock::now() - started);
            co_await Write(stream, std::move(refusal), request_id, 11, false, &written);
            Log(peer, "-", "-", status, 0, std::chrono::steady_clock::now() - started, request_id);
            break;
        }
        const std::string target(message.target());
        const bool keep_alive = message.keep_alive();
        const auto version = message.version();
        const auto request = ToRequest(message);
        const auto dispatch = api.Find(request.method, request.path);
        auto response = co_await Answer(dispatch, request, peer);
        const int status = response.status;
        const auto body_size = response.body.size();
        // Counted before the write, so that a client that reads /metrics next sees its request in it.
        const auto took = std::chrono::steady_clock::now() - started;
        metrics.Observe(dispatch.name, MethodLabel(request.method), status, took);
        co_await Write(stream, std::move(response), request_id, version, keep_alive && !stopping, &written);
        Log(peer, request.method, target, status, body_size, took, request_id);
        if (!written || !keep_alive) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.socket().close(ignored);
}

Server::Server(runtime::Runtime& runtime, ServerOptions options)
    : impl_(std::make_unique<Impl>(runtime, std::move(options))) {}

Server::~Server() {
    Stop();
}

Result<std::uint16_t> Server::Start() {
    auto endpoint = ParseListen(impl_->options.listen);
    if (!endpoint) return Forward(endpoint.error());
    auto& acceptor = impl_->acceptor;
    boost::system::error_code error;
    acceptor.open(endpoint->protocol(), error);
    if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) acceptor.bind(*endpoint, error);
    if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (!error) acceptor.non_blocking(true, error);
    if (error) {
        return MakeError(Errc::kUnavailable, "cannot listen on " + impl_->options.listen + ": " + error.message());
    }
    const auto port = acceptor.local_endpoint().port();
    // On the acceptor's strand: Stop's close of the acceptor never runs during an accept.
    asio::co_spawn(acceptor.get_executor(), impl_->Accept(), asio::detached);
    for (int i = 0; i < std::max(impl_->options.io_threads, 1); ++i) {
        impl_->threads.emplace_back([this] { impl_->ioc.run(); });
    }
    return port;
}

void Server::Stop() {
    auto& impl = *impl_;
    if (impl.stopped) return;
    impl.stopped = true;
    impl.stopping = true;
    asio::post(impl.acceptor.get_executor(), [&impl] {
        boost::system::error_code ignored;
        impl.acceptor.close(ignored);
    });
    // Idle connections close now; busy ones after their response (the session sees `stopping`).
    const auto close_idle = [&impl](bool force) {
        std::lock_guard lock(impl.connections_mutex);
        for (const auto& connection : impl.live) {
            asio::post(connection->strand, [connection, force] {
                if (connection->stream != nullptr && (force || !connection->busy)) {
                    boost::system::error_code ignored;
                    connection->stream->socket().close(ignored);
                }
            });
        }
    };
    close_idle(false);
    const auto deadline = std::chrono::steady_clock::now() + impl.options.shutdown_grace;
    while (impl.connections > 0 && std::chrono::steady_clock::now() < deadline && !impl.threads.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (impl.connections > 0) close_idle(true);
    impl.workers.join();
    impl.ioc.stop();
    for (auto& thread : impl.threads) thread.join();
    impl.threads.clear();
}

}  // namespace ticketing::http
