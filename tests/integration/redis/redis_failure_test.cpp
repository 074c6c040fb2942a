// Redis going away and coming back: calls fail with UNAVAILABLE within the timeouts, never hang or
// crash, and the same adapter objects work again once the server is back. Runs its own redis-server
// on a free port so the shared one is never touched.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <ticketing/app/system.hpp>
#include <ticketing/redis/redis_lock.hpp>
#include <ticketing/redis/redis_queue_store.hpp>

#include "services.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

const Timestamp kT0 = Timestamp{Millis{1'767'000'000'000}};

// A listening loopback socket on a kernel-chosen port; the port is free once it closes.
class Listener {
public:
    Listener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0) return;
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
    }
    ~Listener() { Close(); }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    int Port() const { return port_; }
    void Close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_{-1};
    int port_{0};
};

// A private redis-server: started, killed and restarted on one port.
class OwnRedis {
public:
    OwnRedis() : dir_(std::filesystem::temp_directory_path() / ("tk-redis-" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(dir_);
        Listener probe;
        port_ = probe.Port();
    }
    ~OwnRedis() {
        Kill();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    OwnRedis(const OwnRedis&) = delete;
    OwnRedis& operator=(const OwnRedis&) = delete;

    int Port() const { return port_; }

    bool Start() {
        const auto command = "redis-server --port " + std::to_string(port_) +
                             " --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --pidfile " +
                             (dir_ / "redis.pid").string() + " --logfile " + (dir_ / "redis.log").string() + " --dir " +
                             dir_.string() + " >/dev/null 2>&1";
        if (std::system(command.c_str()) != 0) return false;
        redis::RedisOptions probe_options;
        probe_options.port = port_;
        redis::RedisClient probe(probe_options);
        for (int i = 0; i < 100; ++i) {
            if (probe.Ping()) return true;
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }

    void Kill() {
        std::ifstream pid_file(dir_ / "redis.pid");
        pid_t pid = 0;
        if (!(pid_file >> pid) || pid <= 0) return;
        ::kill(pid, SIGKILL);
        for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(20ms);
        std::filesystem::remove(dir_ / "redis.pid");
    }

private:
    std::filesystem::path dir_;
    int port_{0};
};

redis::RedisOptions Options(int port) {
    redis::RedisOptions options;
    options.port = port;
    options.connect_timeout = 200ms;
    options.command_timeout = 200ms;
    options.pool_size = 4;
    return options;
}

// How long `call` took; it must return within the timeouts (plus scheduling slack).
template <class F>
Millis Timed(F&& call) {
    const auto start = SteadyClock::now();
    call();
    return std::chrono::duration_cast<Millis>(SteadyClock::now() - start);
}

class RedisFailureTest : public ::testing::Test {
protected:
    void SetUp() override {
        // Same gate as the other integration tests: where services run, redis-server is installed.
        TK_REQUIRE_SERVICE("TICKETING_TEST_REDIS");
        if (std::system("command -v redis-server >/dev/null 2>&1") != 0) {
            if (InCi()) FAIL() << "redis-server is not in PATH";
            GTEST_SKIP() << "redis-server is not in PATH";
        }
    }
    SystemRandom random_;
};

TEST_F(RedisFailureTest, DownAtStartThenUpThenDownThenBackAgain) {
    OwnRedis server;
    // Constructing against a server that is not there must not throw.
    auto client = std::make_shared<redis::RedisClient>(Options(server.Port()));
    redis::RedisQueueStore store(client);
    redis::RedisLock lock(client);
    const ConcertId concert{1};
    const auto join = [&](std::int64_t user) {
        return store.Join(concert, UserId{user}, MakeQueueToken(concert, random_.Token()), kT0, QueueSettings{});
    };

    auto down = join(1);
    ASSERT_FALSE(down.has_value());
    EXPECT_EQ(down.error().code, Errc::kUnavailable);

    ASSERT_TRUE(server.Start());
    auto first = join(1);
    ASSERT_TRUE(first.has_value()) << first.error().message;
    auto held = lock.Acquire({"seat:1"}, 1s, 100ms);
    ASSERT_TRUE(held.has_value()) << held.error().message;

    server.Kill();
    // Every kind of call fails fast with UNAVAILABLE, on pooled (now broken) connections and new ones.
    for (int i = 0; i < 6; ++i) {
        const auto took = Timed([&] {
            auto lookup = store.Lookup(first->view.info.token, kT0, QueueSettings{});
            ASSERT_FALSE(lookup.has_value());
            EXPECT_EQ(lookup.error().code, Errc::kUnavailable) << lookup.error().message;
        });
        EXPECT_LT(took, 1000ms);
    }
    const auto took = Timed([&] {
        auto lease = lock.Acquire({"seat:2"}, 1s, 2s);
        ASSERT_FALSE(lease.has_value());
        EXPECT_EQ(lease.error().code, Errc::kUnavailable);
        auto tick = store.Tick(concert, kT0, 5min, QueueSettings{});
        ASSERT_FALSE(tick.has_value());
        EXPECT_EQ(tick.error().code, Errc::kUnavailable);
    });
    EXPECT_LT(took, 1000ms);
    held->reset();  // releasing while down neither hangs nor throws

    // The server comes back empty (no data, no cached scripts): the same objects work again. A just
    // started server on a loaded machine may miss the 200 ms timeout at first: calls are retried for a
    // while (a join is idempotent per user; a lease a timed-out call took lapses after its 1 s TTL).
    ASSERT_TRUE(server.Start());
    const auto retried = [](auto call) {
        auto result = call();
        for (const auto until = std::chrono::steady_clock::now() + 5s;
             !result && std::chrono::steady_clock::now() < until;
             result = call()) {
            std::this_thread::sleep_for(100ms);
        }
        return result;
    };
    auto again = retried([&] { return join(2); });
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_EQ(again->view.info.position, 1);
    auto lease = retried([&] { return lock.Acquire({"seat:1"}, 1s, 100ms); });
    ASSERT_TRUE(lease.has_value()) << lease.error().message;
    EXPECT_TRUE((*lease)->Held());
}

TEST_F(RedisFailureTest, IdleConnectionsTheServerClosedDoNotFailRequests) {
    OwnRedis server;
    ASSERT_TRUE(server.Start());
    auto client = std::make_shared<redis::RedisClient>(Options(server.Port()));
    {
        // Four calls at once: four pooled connections.
        std::vector<std::thread> callers;
        for (int i = 0; i < 4; ++i) callers.emplace_back([&] { ASSERT_TRUE(client->Ping().has_value()); });
        for (auto& c : callers) c.join();
    }
    redis::RedisOptions admin_options = Options(server.Port());
    admin_options.pool_size = 1;
    redis::RedisClient admin(admin_options);
    ASSERT_TRUE(admin.Command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}).has_value());
    for (int i = 0; i < 6; ++i) {
        auto ping = client->Ping();
        EXPECT_TRUE(ping.has_value()) << ping.error().message;
    }
}

TEST_F(RedisFailureTest, AnAcquireThatTimedOutLeavesNoKeyTaken) {
    OwnRedis server;
    ASSERT_TRUE(server.Start());
    auto client = std::make_shared<redis::RedisClient>(Options(server.Port()));
    redis::RedisLock lock(client);
    redis::RedisClient blocker(Options(server.Port()));
    // A script that keeps the server busy past the client's 200 ms command timeout.
    std::thread busy([&] {
        redis::RedisOptions slow = Options(server.Port());
        slow.command_timeout = 2s;
        redis::RedisClient(slow).Command(
            {"EVAL",
             "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] "
             "repeat local n = redis.call('TIME') until n[1] * 1000000 + n[2] > s + 400000 "
             "return 1",
             "0"}
        );
    });
    std::this_thread::sleep_for(50ms);
    auto timed_out = lock.Acquire({"seat:1"}, 5s, 1s);
    busy.join();
    if (timed_out) GTEST_SKIP() << "the acquire was not slowed down";
    auto next = lock.Acquire({"seat:1"}, 5s, 500ms);  // the key was given back, not left for its TTL
    EXPECT_TRUE(next.has_value()) << next.error().message;
}

TEST_F(RedisFailureTest, AServerThatNeverAnswersTimesOut) {
    Listener silent;  // accepts connections (in the backlog) and never replies
    auto client = std::make_shared<redis::RedisClient>(Options(silent.Port()));
    redis::RedisQueueStore store(client);
    const auto took = Timed([&] {
        auto stats = store.Stats(ConcertId{1}, kT0, QueueSettings{});
        ASSERT_FALSE(stats.has_value());
        EXPECT_EQ(stats.error().code, Errc::kUnavailable) << stats.error().message;
    });
    EXPECT_GE(took, 150ms);
    EXPECT_LT(took, 1000ms);
}

}  // namespace
}  // namespace ticketing::testing
