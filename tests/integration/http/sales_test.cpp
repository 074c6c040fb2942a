// GET /v1/admin/schedules/{id}/sales end to end: a payment and a refund made through ticketing-server
// show up in the sales projection — on the embedded default (the relay feeds it behind the event log)
// and with Kafka (librdkafka's mock cluster in this process: relay, topic, consumer group, inbox).
#include <algorithm>
#include <filesystem>
#include <ticketing/kafka/mock_cluster.hpp>

#include "api_client.hpp"

namespace ticketing::http::testing {
namespace {

#define EXPECT_ERROR(response, status_code, code)     \
    do {                                              \
        const auto r_ = (response);                   \
        EXPECT_EQ(r_.status, status_code) << r_.body; \
        EXPECT_EQ(r_.ErrorCode(), code) << r_.body;   \
    } while (false)

/// Two payments on one schedule (2 seats, then 1), the first refunded. Returns the schedule.
std::int64_t PayTwiceRefundOnce(const Api& api) {
    const auto concert = api.CreateConcert(1, 5);
    const auto schedule = concert.schedules.at(0);
    const auto user = api.CreateUser("sales");
    api.Charge(user, 10'000);
    std::vector<std::int64_t> payments;
    // A payment ends the queue token: each purchase queues again.
    for (const auto& numbers : {std::vector<std::size_t>{0, 1}, std::vector<std::size_t>{2}}) {
        const auto token = api.ActiveToken(concert.id, user);
        const auto seats = api.SeatIds(token, schedule);
        std::vector<std::int64_t> wanted;
        for (auto n : numbers) wanted.push_back(seats.at(n));
        auto hold = api.Hold(token, schedule, wanted);
        EXPECT_EQ(hold.status, 201) << hold.body;
        auto paid = api.Pay(token, Int(hold.Json(), "id"));
        EXPECT_EQ(paid.status, 201) << paid.body;
        payments.push_back(Int(paid.Json(), "id"));
    }
    auto refund = api.Post("/v1/payments/" + std::to_string(payments.at(0)) + "/refund", "", Bearer(kAdminKey));
    EXPECT_EQ(refund.status, 200) << refund.body;
    return schedule;
}

/// Polls the route until it shows 1 seat sold for 1000 with 1 refund.
/// A server with the admin key whose relay runs every 100 ms, plus `more` arguments.
std::vector<std::string> FastRelay(std::vector<std::string> more = {}) {
    std::vector<std::string> args{
        "--admin-key", kAdminKey, "--queue-tick-interval", "1s", "--jobs-outbox-relay-interval", "100ms"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

void ExpectProjected(const Api& api, std::int64_t schedule) {
    const auto path = "/v1/admin/schedules/" + std::to_string(schedule) + "/sales";
    HttpResponse last;
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < until) {
        last = api.Get(path, Bearer(kAdminKey));
        ASSERT_EQ(last.status, 200) << last.body;
        if (Int(last.Json(), "refunds") == 1 && Int(last.Json(), "seatsSold") == 1) break;
        std::this_thread::sleep_for(100ms);
    }
    const auto body = last.Json();
    EXPECT_EQ(Int(body, "scheduleId"), schedule);
    EXPECT_EQ(Int(body, "seatsSold"), 1) << last.body;
    EXPECT_EQ(Int(body, "revenue"), 1000) << last.body;
    EXPECT_EQ(Int(body, "refunds"), 1) << last.body;
    EXPECT_TRUE(body.at("updatedAt").is_string());
}

TEST(HttpSales, EmbeddedDefaultProjectsPaymentsAndRefundsBehindTheEventLog) {
    ServerProcess server(FastRelay());
    Api api(server);
    const auto schedule = PayTwiceRefundOnce(api);
    ExpectProjected(api, schedule);

    const auto empty = api.CreateConcert(1, 1).schedules.at(0);
    auto none = api.Get("/v1/admin/schedules/" + std::to_string(empty) + "/sales", Bearer(kAdminKey));
    ASSERT_EQ(none.status, 200) << none.body;
    EXPECT_EQ(
        none.Json(),
        json::parse(
            R"({"scheduleId":)" + std::to_string(empty) + R"(,"seatsSold":0,"revenue":0,"refunds":0,"updatedAt":null})"
        )
    );
    EXPECT_ERROR(api.Get("/v1/admin/schedules/1/sales"), 401, "UNAUTHENTICATED");
    EXPECT_ERROR(api.Get("/v1/admin/schedules/1/sales", Bearer("wrong")), 401, "UNAUTHENTICATED");
    EXPECT_ERROR(api.Get("/v1/admin/schedules/abc/sales", Bearer(kAdminKey)), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api.Get("/v1/admin/schedules/0/sales", Bearer(kAdminKey)), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api.Get("/v1/admin/schedules/999999/sales", Bearer(kAdminKey)), 404, "NOT_FOUND");
}

TEST(HttpSales, WithKafkaThePaymentAndRefundComeBackThroughTheConsumer) {
    auto cluster = kafka::MockCluster::Start(1, "ticketing.events", 4);
    ASSERT_TRUE(cluster.has_value()) << cluster.error().message;
    ServerProcess server(FastRelay({"--kafka", (*cluster)->BootstrapServers()}));
    Api api(server);
    const auto schedule = PayTwiceRefundOnce(api);
    ExpectProjected(api, schedule);
    // Relayed to the topic, not to the event log.
    auto outbox = api.Get("/v1/admin/outbox", Bearer(kAdminKey));
    EXPECT_EQ(Int(outbox.Json(), "pending"), 0) << outbox.body;
    EXPECT_FALSE(
        std::filesystem::exists(server.DataDir() + "/events.log") &&
        std::filesystem::file_size(server.DataDir() + "/events.log") > 0
    );
}

TEST(HttpSales, EventsThatDieWhileKafkaIsDownAreListedAndRetriedByTheirIds) {
    auto cluster = kafka::MockCluster::Start(1, "ticketing.events", 4);
    ASSERT_TRUE(cluster.has_value()) << cluster.error().message;
    ServerProcess server(FastRelay(
        {"--outbox-max-attempts", "1", "--kafka-delivery-timeout", "500ms", "--kafka", (*cluster)->BootstrapServers()}
    ));
    Api api(server);
    (*cluster)->SetBrokersDown(true);
    const auto schedule = PayTwiceRefundOnce(api);
    // Three events, each dead after its one attempt.
    HttpResponse outbox;
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < until) {
        outbox = api.Get("/v1/admin/outbox", Bearer(kAdminKey));
        ASSERT_EQ(outbox.status, 200) << outbox.body;
        if (Int(outbox.Json(), "dead") == 3) break;
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_EQ(Int(outbox.Json(), "dead"), 3) << outbox.body;
    const json::array dead = outbox.Json().at("deadEvents").as_array();  // a copy: Json() parses anew
    ASSERT_EQ(dead.size(), 3U) << outbox.body;
    std::vector<std::string> types;
    for (const auto& event : dead) {
        EXPECT_EQ(Int(event, "attempts"), 1) << outbox.body;
        EXPECT_FALSE(event.at("lastError").as_string().empty()) << outbox.body;
        EXPECT_TRUE(event.at("aggregate").as_string().starts_with("payment:")) << outbox.body;
        types.emplace_back(event.at("type").as_string());
    }
    std::sort(types.begin(), types.end());
    EXPECT_EQ(types, (std::vector<std::string>{"payment.completed", "payment.completed", "payment.refunded"}));

    // Kafka is back: the ids from the list are all an operator needs. A retry that meets the producer
    // still reconnecting dies again (one attempt each here): retry what the list shows until it is empty.
    (*cluster)->SetBrokersDown(false);
    const auto projected = [&] {
        auto sales = api.Get("/v1/admin/schedules/" + std::to_string(schedule) + "/sales", Bearer(kAdminKey));
        return sales.status == 200 && Int(sales.Json(), "refunds") == 1 && Int(sales.Json(), "seatsSold") == 1;
    };
    json::array listed = dead;
    for (int round = 0; round < 30 && !projected(); ++round) {
        for (const auto& event : listed) {
            const std::string id(event.at("eventId").as_string());
            auto retried = api.Post("/v1/admin/outbox/" + id + "/retry", "", Bearer(kAdminKey));
            EXPECT_EQ(retried.status, 200) << retried.body;
        }
        std::this_thread::sleep_for(1s);
        listed = api.Get("/v1/admin/outbox", Bearer(kAdminKey)).Json().at("deadEvents").as_array();
    }
    ExpectProjected(api, schedule);
    outbox = api.Get("/v1/admin/outbox", Bearer(kAdminKey));
    EXPECT_EQ(Int(outbox.Json(), "dead"), 0) << outbox.body;
    EXPECT_TRUE(outbox.Json().at("deadEvents").as_array().empty()) << outbox.body;
}

}  // namespace
}  // namespace ticketing::http::testing
