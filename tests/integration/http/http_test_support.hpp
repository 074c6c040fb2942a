#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// ticketing-server as the tests see it: a child process on 127.0.0.1 with its own data directory, and a
// small blocking HTTP client over real sockets.
namespace ticketing::http::testing {

using namespace std::chrono_literals;

/// A ticketing-server process on a free loopback port; SIGTERM (then SIGKILL) and cleanup at the end.
class ServerProcess {
public:
    /// `args` are added to `--listen 127.0.0.1:0 --data-dir <fresh temp dir>`. The environment holds
    /// only PATH and `env`, so that no TICKETING_* of the test's own environment leaks in.
    explicit ServerProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {});
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    std::uint16_t Port() const { return port_; }
    pid_t Pid() const { return pid_; }
    const std::string& DataDir() const { return data_dir_; }
    void Signal(int signal) const;
    /// Waits for the process to end; its exit code, or -1 when it did not end in time (or was signalled).
    int Wait(std::chrono::milliseconds limit);
    /// Everything the process wrote to stdout and stderr so far.
    std::string Output() const;

private:
    void Drain(int fd);

    pid_t pid_{-1};
    bool reaped_{false};
    std::uint16_t port_{0};
    std::string data_dir_;
    std::thread reader_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::string output_;
};

struct HttpResponse {
    int status{0};
    std::map<std::string, std::string> headers;  ///< names lower-cased
    std::string body;

    boost::json::value Json() const;
    std::string Header(const std::string& lower_name) const;
    /// The error code of an error body, "" otherwise.
    std::string ErrorCode() const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

/// A keep-alive connection: requests one after another on one socket (reconnects when the server closed it).
class Connection {
public:
    explicit Connection(std::uint16_t port, std::chrono::milliseconds timeout = 30s);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Opens the socket now (otherwise the first request does).
    bool Connect();
    /// Status 0 when the connection failed or closed without an answer, or the answer took over the timeout.
    HttpResponse Send(
        const std::string& method, const std::string& target, const std::string& body = {}, const Headers& headers = {}
    );

private:
    struct State;
    std::unique_ptr<State> state_;
};

/// Raises this process's open-file limit to its hard limit (a thousand sockets need more than 1024).
void RaiseFileLimit();

/// One request on a fresh connection; status 0 when the connection failed or was closed without an answer.
HttpResponse Send(
    std::uint16_t port,
    const std::string& method,
    const std::string& target,
    const std::string& body = {},
    const Headers& headers = {},
    std::chrono::milliseconds timeout = 30s
);

/// Writes `bytes` as they are and reads until the server closes or `timeout`; what came back.
std::string RawExchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout = 15s);

/// "Authorization: Bearer <credential>".
Headers Bearer(const std::string& credential);

}  // namespace ticketing::http::testing
