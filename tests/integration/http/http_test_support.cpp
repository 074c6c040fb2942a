#include "http_test_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <stdexcept>

namespace ticketing::http::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

ServerProcess::ServerProcess(std::vector<std::string> args, std::map<std::string, std::string> env) {
    char pattern[] = "/tmp/tk-http-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    data_dir_ = pattern;
    std::vector<std::string> argv_storage{TICKETING_SERVER_PATH, "--listen", "127.0.0.1:0", "--data-dir", data_dir_};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<std::string> env_storage{"PATH=" + std::string(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin")};
    for (const auto& [name, value] : env) env_storage.push_back(name + "=" + value);
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);

    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
        // A test that crashes takes its servers with it.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pipe_fds[1], STDOUT_FILENO);
        dup2(pipe_fds[1], STDERR_FILENO);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    close(pipe_fds[1]);
    reader_ = std::thread([this, fd = pipe_fds[0]] { Drain(fd); });

    std::unique_lock lock(mutex_);
    const std::regex listening("listening on http://[^:]+:([0-9]+)");
    const bool up = changed_.wait_for(lock, 30s, [&] {
        std::smatch match;
        if (!std::regex_search(output_, match, listening)) return reaped_;
        port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
        return true;
    });
    if (!up || port_ == 0) {
        const auto output = output_;
        lock.unlock();
        Signal(SIGKILL);
        throw std::runtime_error("ticketing-server did not start:\n" + output);
    }
}

void ServerProcess::Drain(int fd) {
    char buffer[4096];
    for (;;) {
        const auto n = read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        std::lock_guard lock(mutex_);
        output_.append(buffer, static_cast<std::size_t>(n));
        changed_.notify_all();
    }
    close(fd);
    std::lock_guard lock(mutex_);
    reaped_ = true;  // the pipe closed: the process (and its children) are gone
    changed_.notify_all();
}

ServerProcess::~ServerProcess() {
    if (Wait(0ms) == -1) {
        Signal(SIGTERM);
        if (Wait(20s) == -1) {
            Signal(SIGKILL);
            Wait(10s);
        }
    }
    if (reader_.joinable()) reader_.join();
    std::error_code ignored;
    std::filesystem::remove_all(data_dir_, ignored);
}

void ServerProcess::Signal(int signal) const {
    if (pid_ > 0) kill(pid_, signal);
}

int ServerProcess::Wait(std::chrono::milliseconds limit) {
    if (pid_ <= 0) return 0;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        int status = 0;
        const auto done = waitpid(pid_, &status, WNOHANG);
        if (done == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        if (std::chrono::steady_clock::now() >= deadline) return -1;
        std::this_thread::sleep_for(10ms);
    }
}

std::string ServerProcess::Output() const {
    std::lock_guard lock(mutex_);
    return output_;
}

boost::json::value HttpResponse::Json() const {
    boost::json::error_code ec;
    auto value = boost::json::parse(body, ec);
    return ec ? boost::json::value() : value;
}

std::string HttpResponse::Header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string{} : it->second;
}

std::string HttpResponse::ErrorCode() const {
    const auto value = Json();
    if (!value.is_object() || !value.as_object().contains("error")) return {};
    const auto* code = value.at("error").as_object().if_contains("code");
    return code != nullptr && code->is_string() ? std::string(code->as_string()) : std::string{};
}

struct Connection::State {
    std::uint16_t port;
    std::chrono::milliseconds timeout;
    asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    beast::flat_buffer buffer;
    bool open{false};
};

Connection::Connection(std::uint16_t port, std::chrono::milliseconds timeout) : state_(std::make_unique<State>()) {
    state_->port = port;
    state_->timeout = timeout;
}

Connection::~Connection() = default;

bool Connection::Connect() {
    auto& s = *state_;
    if (s.open) return true;
    boost::system::error_code error;
    s.stream.expires_after(s.timeout);
    s.stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), s.port), error);
    s.buffer.clear();
    s.open = !error;
    return s.open;
}

HttpResponse Connection::Send(
    const std::string& method, const std::string& target, const std::string& body, const Headers& headers
) {
    auto& s = *state_;
    HttpResponse out;
    if (!Connect()) return out;
    beast::http::request<beast::http::string_body> request;
    request.method_string(method);
    request.target(target);
    request.version(11);
    request.set(beast::http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    if (!body.empty()) request.prepare_payload();
    s.stream.expires_after(s.timeout);
    // A server that refuses a request early (413) may close before the body is all written: read anyway.
    boost::system::error_code error;
    beast::http::write(s.stream, request, error);
    beast::http::response_parser<beast::http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    beast::http::read(s.stream, s.buffer, parser, error);
    if (error) {
        s.stream.close();
        s.open = false;
        return out;
    }
    auto& response = parser.get();
    out.status = static_cast<int>(response.result_int());
    for (const auto& field : response) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers[name] = std::string(field.value());
    }
    out.body = response.body();
    if (!response.keep_alive()) {
        s.stream.close();
        s.open = false;
    }
    return out;
}

void RaiseFileLimit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

HttpResponse Send(
    std::uint16_t port,
    const std::string& method,
    const std::string& target,
    const std::string& body,
    const Headers& headers,
    std::chrono::milliseconds timeout
) {
    Connection connection(port, timeout);
    return connection.Send(method, target, body, headers);
}

std::string RawExchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    std::string received;
    try {
        stream.expires_after(timeout);
        stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        boost::system::error_code write_error;
        asio::write(stream.socket(), asio::buffer(bytes), write_error);
        char chunk[4096];
        for (;;) {
            stream.expires_after(timeout);
            const auto n = stream.read_some(asio::buffer(chunk));
            received.append(chunk, n);
        }
    } catch (const std::exception&) {
        // closed by the server, reset or timed out: what arrived is the answer
    }
    return received;
}

Headers Bearer(const std::string& credential) {
    return {{"Authorization", "Bearer " + credential}};
}

}  // namespace ticketing::http::testing
