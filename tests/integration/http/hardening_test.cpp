// ticketing-server against hostile and broken clients: every bad input answers the right 4xx (or the
// connection closes), never a 5xx, and the server keeps serving; limits, timeouts, graceful stop, and the
// embedded default serving the whole flow from an empty directory.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "http_test_support.hpp"

namespace ticketing::http::testing {
namespace {

namespace json = boost::json;

/// The status code of a raw HTTP answer, 0 when none came.
int StatusOf(const std::string& raw) {
    if (!raw.starts_with("HTTP/1.1 ") || raw.size() < 12) return 0;
    return std::stoi(raw.substr(9, 3));
}

bool HasRequestId(const std::string& raw) {
    return raw.find("X-Request-Id: ") != std::string::npos;
}

class HttpHardeningTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server_ = new ServerProcess({"--demo", "--queue-tick-interval", "1s"}); }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    static std::uint16_t Port() { return server_->Port(); }

    void TearDown() override {
        // Whatever a test threw at it, the server still answers.
        EXPECT_EQ(Send(Port(), "GET", "/healthz").status, 200);
        EXPECT_EQ(server_->Output().find(" 500 "), std::string::npos) << "a 5xx was logged";
    }

    static ServerProcess* server_;
};

ServerProcess* HttpHardeningTest::server_ = nullptr;

TEST_F(HttpHardeningTest, BadBodiesAre400) {
    const std::string charge = "/v1/users/1/balance/charge";
    const std::vector<std::string> bad_charges{
        "",
        "{",
        "not json",
        "[]",
        "[{\"amount\":1}]",
        "null",
        "12",
        "\"amount\"",
        "{}",
        R"({"amount":0})",
        R"({"amount":-5})",
        R"({"amount":10000001})",
        R"({"amount":9223372036854775807})",
        R"({"amount":9223372036854775808})",
        R"({"amount":-9223372036854775809})",
        R"({"amount":99999999999999999999999})",
        R"({"amount":1e309})",
        R"({"amount":1e3})",
        R"({"amount":1.5})",
        R"({"amount":"12"})",
        R"({"amount":true})",
        R"({"amount":null})",
        R"({"amount":[12]})",
        R"({"amount":{"value":12}})",
        R"({"amount":12,"currency":"KRW"})",
        R"({"Amount":12})",
        "{\"amount\":12,\"note\":\"\xff\xfe\"}",
        "{\"amount\":12}garbage",
        std::string(20, '[') + std::string(20, ']'),
    };
    for (const auto& body : bad_charges) {
        auto r = Send(Port(), "POST", charge, body);
        EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
        EXPECT_EQ(r.ErrorCode(), "INVALID_ARGUMENT") << body;
    }
    for (const std::string body :
         {R"({})", R"({"name":""})", R"({"name":12})", "{\"name\":\"\xc3\x28\"}", R"({"name":"x","id":1})"}) {
        auto r = Send(Port(), "POST", "/v1/users", body);
        EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    }
    for (const std::string body : {R"({"userId":0})", R"({"userId":-1})", R"({"userId":"1"})", R"({"user":1})"}) {
        auto r = Send(Port(), "POST", "/v1/concerts/1/queue", body);
        EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    }
}

TEST_F(HttpHardeningTest, BadPathIdsAre400) {
    for (const std::string id : {"0", "-1", "abc", "1.5", "1e3", "+1", "01x", "9223372036854775808", "%31", " 1"}) {
        auto r = Send(Port(), "GET", "/v1/users/" + id + "/balance");
        EXPECT_EQ(r.status, 400) << id << " -> " << r.body;
        EXPECT_EQ(r.ErrorCode(), "INVALID_ARGUMENT") << id;
    }
    EXPECT_EQ(Send(Port(), "GET", "/v1/concerts/x/schedules").status, 400);
    EXPECT_EQ(Send(Port(), "POST", "/v1/concerts/0/queue", R"({"userId":1})").status, 400);
}

TEST_F(HttpHardeningTest, UnknownRoutesAndMethods) {
    for (const std::string path :
         {"/admin/x",
          "/assets/",
          "/assets/nothing.js",
          "/v2/users",
          "/v1/users/1",
          "/v1/users/1/balance/",
          "/healthz/x",
          "//healthz"}) {
        auto r = Send(Port(), "GET", path);
        EXPECT_EQ(r.status, 404) << path;
        EXPECT_EQ(r.ErrorCode(), "NOT_FOUND") << path;
        EXPECT_FALSE(r.Header("x-request-id").empty());
    }
    auto wrong = Send(Port(), "PATCH", "/v1/queue/me");
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(wrong.Header("allow"), "GET, DELETE");
    EXPECT_EQ(Send(Port(), "POST", "/healthz").status, 405);
    EXPECT_EQ(Send(Port(), "BREW", "/healthz").status, 405);
    EXPECT_EQ(Send(Port(), "GET", "/v1/users").status, 405);
}

TEST_F(HttpHardeningTest, OversizedBodyIs413) {
    auto r = Send(Port(), "POST", "/v1/users", "{\"name\":\"" + std::string(70 * 1024, 'a') + "\"}");
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.ErrorCode(), "PAYLOAD_TOO_LARGE");
    EXPECT_FALSE(r.Header("x-request-id").empty());
    // Chunked, so that the size is only known while reading.
    std::string chunked = "POST /v1/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 70; ++i) chunked += "400\r\n" + std::string(1024, 'a') + "\r\n";
    chunked += "0\r\n\r\n";
    const auto raw = RawExchange(Port(), chunked);
    EXPECT_TRUE(StatusOf(raw) == 413 || raw.empty()) << raw.substr(0, 200);
}

TEST_F(HttpHardeningTest, OversizedHeaderIsRefused) {
    const auto raw =
        RawExchange(Port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100 * 1024, 'h') + "\r\n\r\n");
    const int status = StatusOf(raw);
    EXPECT_TRUE(status == 431 || (raw.empty() && status == 0)) << raw.substr(0, 200);
    if (status != 0) {
        EXPECT_TRUE(HasRequestId(raw));
    }
}

TEST_F(HttpHardeningTest, ParserRejectionsCarryARequestId) {
    for (const std::string bytes :
         {"GARBAGE\r\n\r\n",
          "GET /healthz HTTP/9.9\r\n\r\n",
          "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n",
          "POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"}) {
        const auto raw = RawExchange(Port(), bytes, 5s);
        EXPECT_EQ(StatusOf(raw), 400) << bytes << " -> " << raw;
        EXPECT_TRUE(HasRequestId(raw)) << raw;
    }
}

TEST_F(HttpHardeningTest, KeepAliveServesManyRequestsOnOneConnection) {
    std::string pipelined;
    for (int i = 0; i < 3; ++i) pipelined += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    pipelined += "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const auto raw = RawExchange(Port(), pipelined, 5s);
    std::size_t answers = 0;
    for (auto at = raw.find("HTTP/1.1 200"); at != std::string::npos; at = raw.find("HTTP/1.1 200", at + 1)) ++answers;
    EXPECT_EQ(answers, 4U) << raw;
}

TEST_F(HttpHardeningTest, ASlowClientIsCutOffAndOthersAreServed) {
    std::atomic<bool> done{false};
    std::string slow_answer;
    std::thread slow([&] {
        // Headers started and never finished.
        slow_answer = RawExchange(Port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", 30s);
        done = true;
    });
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(Send(Port(), "GET", "/healthz").status, 200);
        std::this_thread::sleep_for(100ms);
    }
    slow.join();
    EXPECT_TRUE(done);
    // Cut off by the read timeout: a closed connection or a 4xx, never a 5xx.
    const int status = StatusOf(slow_answer);
    EXPECT_TRUE(status == 0 || (status >= 400 && status < 500)) << slow_answer;
}

TEST_F(HttpHardeningTest, TokensThatAreNotTokens) {
    for (const std::string& token : std::vector<std::string>{
             "",
             " ",
             "x",
             "1.",
             ".abc",
             "2.0123456789abcdef0123456789abcdeg",
             std::string(4000, 'a'),
             "1.0123456789ABCDEF0123456789ABCDEF",
             "\xff\xfe"}) {
        auto r = Send(Port(), "GET", "/v1/queue/me", {}, Bearer(token));
        EXPECT_EQ(r.status, 401) << token;
        auto seats = Send(Port(), "GET", "/v1/schedules/1/seats", {}, Bearer(token));
        EXPECT_EQ(seats.status, 401) << token;
    }
}

TEST(HttpEmbeddedDefault, EmptyDirectoryNoConfigurationServesTheWalkthrough) {
    ServerProcess server({"--demo", "--queue-tick-interval", "1s"});
    const auto port = server.Port();
    auto concerts = Send(port, "GET", "/v1/concerts");
    ASSERT_EQ(concerts.status, 200);
    const auto concert = concerts.Json().at("items").as_array().at(0).at("id").as_int64();
    auto schedules = Send(port, "GET", "/v1/concerts/" + std::to_string(concert) + "/schedules");
    const auto schedule = schedules.Json().at("items").as_array().at(0).at("id").as_int64();
    const auto user = Send(port, "POST", "/v1/users", R"({"name":"walk"})").Json().at("id").as_int64();
    auto join = Send(
        port, "POST", "/v1/concerts/" + std::to_string(concert) + "/queue", "{\"userId\":" + std::to_string(user) + "}"
    );
    ASSERT_EQ(join.status, 201);
    const std::string token(join.Json().at("token").as_string());
    for (int i = 0; i < 100 && Send(port, "GET", "/v1/queue/me", {}, Bearer(token)).Json().at("status") != "ACTIVE";
         ++i) {
        std::this_thread::sleep_for(100ms);
    }
    auto map = Send(port, "GET", "/v1/schedules/" + std::to_string(schedule) + "/seats", {}, Bearer(token));
    ASSERT_EQ(map.status, 200) << map.body;
    const auto seat = map.Json().at("seats").as_array().at(0).at("id").as_int64();
    auto hold = Send(
        port,
        "POST",
        "/v1/reservations",
        "{\"scheduleId\":" + std::to_string(schedule) + ",\"seatIds\":[" + std::to_string(seat) + "]}",
        Bearer(token)
    );
    ASSERT_EQ(hold.status, 201) << hold.body;
    ASSERT_EQ(
        Send(port, "POST", "/v1/users/" + std::to_string(user) + "/balance/charge", R"({"amount":10000000})").status,
        200
    );
    auto pay = Send(
        port,
        "POST",
        "/v1/payments",
        "{\"reservationId\":" + std::to_string(hold.Json().at("id").as_int64()) + "}",
        Bearer(token)
    );
    ASSERT_EQ(pay.status, 201) << pay.body;
    auto tickets = Send(port, "GET", "/v1/users/" + std::to_string(user) + "/tickets");
    EXPECT_EQ(tickets.Json().at("items").as_array().size(), 1U);
}

TEST(HttpShutdown, SigtermFinishesAndExitsCleanly) {
    ServerProcess server({"--demo"});
    // An idle keep-alive connection must not hold the stop up.
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket idle(ioc);
    idle.connect({boost::asio::ip::make_address("127.0.0.1"), server.Port()});
    ASSERT_EQ(Send(server.Port(), "GET", "/healthz").status, 200);
    const auto started = std::chrono::steady_clock::now();
    server.Signal(SIGTERM);
    EXPECT_EQ(server.Wait(15s), 0) << server.Output();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    EXPECT_NE(server.Output().find("stopped"), std::string::npos);
}

TEST(HttpCommandLine, HelpListsEverySetting) {
    const std::string command = std::string(TICKETING_SERVER_PATH) + " --help";
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string help;
    char buffer[4096];
    while (const auto n = fread(buffer, 1, sizeof buffer, pipe)) help.append(buffer, n);
    EXPECT_EQ(pclose(pipe), 0);
    for (const char* flag :
         {"--listen",
          "--data-dir",
          "--database",
          "--redis",
          "--kafka",
          "--lock-strategy",
          "--admin-key",
          "--demo",
          "--threads",
          "--rate-limit",
          "--config"}) {
        EXPECT_NE(help.find(flag), std::string::npos) << flag;
    }
}

}  // namespace
}  // namespace ticketing::http::testing
