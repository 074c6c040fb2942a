// The v1 API over real sockets against a ticketing-server process (embedded default: SQLite in a temp
// dir, in-process queue): every route's success path, every error row of product.md, the order of checks,
// idempotency, pagination, the OpenAPI document against the route table.

#include <gtest/gtest.h>

#include <set>
#include <ticketing/domain/time.hpp>
#include <ticketing/http/server.hpp>

#include "api_client.hpp"

namespace ticketing::http::testing {
namespace {

#define EXPECT_ERROR(response, status_code, code)        \
    do {                                                 \
        const auto& r_ = (response);                     \
        EXPECT_EQ(r_.status, status_code) << r_.body;    \
        EXPECT_EQ(r_.ErrorCode(), code) << r_.body;      \
        EXPECT_FALSE(r_.Header("x-request-id").empty()); \
    } while (false)

class HttpApiTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server_ = new ServerProcess({"--admin-key", kAdminKey, "--queue-tick-interval", "1s"});
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }

    Api api_{*server_};
    static ServerProcess* server_;
};

ServerProcess* HttpApiTest::server_ = nullptr;

TEST_F(HttpApiTest, ProbesAnswer) {
    auto health = api_.Get("/healthz");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.Json(), json::parse(R"({"status":"ok"})"));
    EXPECT_FALSE(health.Header("x-request-id").empty());

    auto ready = api_.Get("/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;

    // The metrics of product.md, the runtime's lock counters, and a request counted by route template.
    api_.Get("/v1/users/1/balance");
    auto metrics = api_.Get("/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_TRUE(metrics.Header("content-type").starts_with("text/plain"));
    for (const char* name :
         {"ticketing_http_requests_total{route=\"/v1/users/{userId}/balance\",method=\"GET\"",
          "ticketing_http_request_duration_seconds_bucket{route=",
          "# TYPE ticketing_queue_waiting gauge",
          "# TYPE ticketing_queue_active gauge",
          "# TYPE ticketing_queue_admitted_total counter",
          "ticketing_holds_active ",
          "ticketing_seats_sold_total ",
          "ticketing_outbox_pending ",
          "ticketing_outbox_dead ",
          "ticketing_outbox_oldest_pending_age_seconds ",
          "ticketing_lock_attempts_total{strategy=\"optimistic\"}",
          "ticketing_lock_conflicts_total{strategy=\"redis\"}"}) {
        EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
    }
}

TEST_F(HttpApiTest, RequestIdIsKeptOrMade) {
    auto kept = api_.Get("/healthz", {{"X-Request-Id", "abc-123"}});
    EXPECT_EQ(kept.Header("x-request-id"), "abc-123");
    auto made = api_.Get("/healthz", {{"X-Request-Id", std::string(500, 'x')}});
    EXPECT_FALSE(made.Header("x-request-id").empty());
    EXPECT_NE(made.Header("x-request-id"), std::string(500, 'x'));
}

TEST_F(HttpApiTest, OpenApiDocumentListsExactlyTheRoutes) {
    auto r = api_.Get("/openapi.json");
    ASSERT_EQ(r.status, 200);
    auto doc = r.Json();
    ASSERT_TRUE(doc.is_object()) << "not JSON";
    EXPECT_TRUE(std::string(doc.at("openapi").as_string()).starts_with("3."));
    std::set<std::pair<std::string, std::string>> documented;
    for (const auto& [path, item] : doc.at("paths").as_object()) {
        for (const auto& [method, operation] : item.as_object()) {
            std::string upper(method);
            for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            documented.emplace(upper, std::string(path));
        }
    }
    std::set<std::pair<std::string, std::string>> served;
    for (const auto& route : Routes()) served.emplace(route.method, route.path);
    for (const auto& route : served) {
        EXPECT_TRUE(documented.contains(route)) << "undocumented route " << route.first << " " << route.second;
    }
    for (const auto& route : documented) {
        EXPECT_TRUE(served.contains(route)) << "documented route not served " << route.first << " " << route.second;
    }
}

TEST_F(HttpApiTest, WholeFlowJoinHoldChargePayTicketsRefund) {
    const auto concert = api_.CreateConcert(1, 5);
    const auto user = api_.CreateUser("lee");

    auto balance = api_.Get("/v1/users/" + std::to_string(user) + "/balance");
    EXPECT_EQ(balance.status, 200);
    EXPECT_EQ(balance.Json(), json::parse(R"({"userId":)" + std::to_string(user) + R"(,"balance":0})"));

    auto schedules = api_.Get("/v1/concerts/" + std::to_string(concert.id) + "/schedules");
    EXPECT_EQ(schedules.status, 200);
    EXPECT_EQ(Int(schedules.Json().at("items").as_array().at(0), "availableSeats"), 5);

    auto listed = api_.Get("/v1/concerts?limit=100");
    EXPECT_EQ(listed.status, 200);
    EXPECT_NE(listed.body.find("\"id\":" + std::to_string(concert.id)), std::string::npos);

    auto join =
        api_.Post("/v1/concerts/" + std::to_string(concert.id) + "/queue", "{\"userId\":" + std::to_string(user) + "}");
    ASSERT_EQ(join.status, 201) << join.body;
    const std::string token(join.Json().at("token").as_string());
    for (const char* field : {"status", "position", "estimatedWaitSeconds", "activeUntil"}) {
        EXPECT_TRUE(join.Json().as_object().contains(field)) << field;
    }
    auto again =
        api_.Post("/v1/concerts/" + std::to_string(concert.id) + "/queue", "{\"userId\":" + std::to_string(user) + "}");
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(again.Json().at("token").as_string(), token);

    EXPECT_EQ(api_.ActiveToken(concert.id, user), token);
    auto status = api_.Get("/v1/queue/me", Bearer(token));
    EXPECT_EQ(status.status, 200);
    EXPECT_TRUE(status.Json().as_object().contains("activeUntil"));

    const auto seats = api_.SeatIds(token, concert.schedules[0]);
    ASSERT_EQ(seats.size(), 5U);
    auto held = api_.Hold(token, concert.schedules[0], {seats[0], seats[1]});
    ASSERT_EQ(held.status, 201) << held.body;
    EXPECT_EQ(held.Json().at("status"), "HELD");
    EXPECT_EQ(Int(held.Json(), "amount"), 2000);
    const auto reservation = Int(held.Json(), "id");

    auto read = api_.Get("/v1/reservations/" + std::to_string(reservation), Bearer(token));
    EXPECT_EQ(read.status, 200);
    EXPECT_EQ(read.Json().at("status"), "HELD");

    auto map = api_.Get("/v1/schedules/" + std::to_string(concert.schedules[0]) + "/seats", Bearer(token));
    EXPECT_EQ(map.Json().at("seats").as_array().at(0).at("status"), "HELD");
    EXPECT_EQ(map.Json().at("maxSeatsPerReservation"), 10);

    EXPECT_ERROR(api_.Pay(token, reservation), 409, "INSUFFICIENT_BALANCE");
    api_.Charge(user, 5000);

    auto paid = api_.Pay(token, reservation, {{"Idempotency-Key", "pay-1"}});
    ASSERT_EQ(paid.status, 201) << paid.body;
    EXPECT_EQ(Int(paid.Json(), "amount"), 2000);
    EXPECT_EQ(Int(paid.Json(), "balance"), 3000);
    EXPECT_EQ(paid.Json().at("tickets").as_array().size(), 2U);
    // A replay answers what the payment answered, though the payment revoked the token.
    auto replay = api_.Pay(token, reservation, {{"Idempotency-Key", "pay-1"}});
    EXPECT_EQ(replay.status, 201);
    EXPECT_EQ(replay.body, paid.body);
    EXPECT_ERROR(api_.Get("/v1/queue/me", Bearer(token)), 401, "UNAUTHENTICATED");

    auto tickets = api_.Get("/v1/users/" + std::to_string(user) + "/tickets");
    EXPECT_EQ(tickets.status, 200);
    EXPECT_EQ(tickets.Json().at("items").as_array().size(), 2U);
    EXPECT_EQ(tickets.Json().at("items").as_array().at(0).at("status"), "ISSUED");

    const auto payment = Int(paid.Json(), "id");
    EXPECT_ERROR(api_.Post("/v1/payments/" + std::to_string(payment) + "/refund", ""), 401, "UNAUTHENTICATED");
    auto refund = api_.Post("/v1/payments/" + std::to_string(payment) + "/refund", "", Bearer(kAdminKey));
    EXPECT_EQ(refund.status, 200) << refund.body;
    EXPECT_EQ(
        refund.Json(), json::parse(R"({"id":)" + std::to_string(payment) + R"(,"status":"REFUNDED","balance":5000})")
    );
    EXPECT_ERROR(
        api_.Post("/v1/payments/" + std::to_string(payment) + "/refund", "", Bearer(kAdminKey)), 409, "CONFLICT"
    );

    auto history = api_.Get("/v1/users/" + std::to_string(user) + "/balance/history");
    ASSERT_EQ(history.status, 200);
    const auto history_body = history.Json();
    const auto& items = history_body.at("items").as_array();
    ASSERT_EQ(items.size(), 3U);
    EXPECT_EQ(items.at(0).at("type"), "REFUND");
    EXPECT_EQ(Int(items.at(1), "amount"), -2000);
    EXPECT_EQ(Int(items.at(1), "balanceAfter"), 3000);
    EXPECT_TRUE(history.Json().at("nextCursor").is_null());
}

TEST_F(HttpApiTest, ListsArePaged) {
    const auto user = api_.CreateUser();
    for (int i = 1; i <= 5; ++i) api_.Charge(user, i);
    const auto base = "/v1/users/" + std::to_string(user) + "/balance/history";
    auto first = api_.Get(base + "?limit=2");
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(first.Json().at("items").as_array().size(), 2U);
    ASSERT_TRUE(first.Json().at("nextCursor").is_int64());
    std::vector<std::int64_t> amounts;
    auto page = first;
    for (;;) {
        const auto body = page.Json();
        for (const auto& item : body.at("items").as_array()) amounts.push_back(Int(item, "amount"));
        if (page.Json().at("nextCursor").is_null()) break;
        page = api_.Get(base + "?limit=2&cursor=" + std::to_string(Int(page.Json(), "nextCursor")));
        ASSERT_EQ(page.status, 200);
    }
    EXPECT_EQ(amounts, (std::vector<std::int64_t>{5, 4, 3, 2, 1}));
    EXPECT_ERROR(api_.Get(base + "?limit=0"), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api_.Get(base + "?limit=101"), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api_.Get(base + "?limit=abc"), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api_.Get(base + "?cursor=-1"), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api_.Get("/v1/concerts?openAt=yesterday"), 400, "INVALID_ARGUMENT");
    EXPECT_EQ(api_.Get("/v1/concerts?openAt=2020-01-01T00:00:00Z").Json().at("items").as_array().size(), 0U);
}

TEST_F(HttpApiTest, ChargeIdempotencyKey) {
    const auto user = api_.CreateUser();
    const auto path = "/v1/users/" + std::to_string(user) + "/balance/charge";
    const Headers key{{"Idempotency-Key", "charge-1"}};
    auto first = api_.Post(path, R"({"amount":700})", key);
    EXPECT_EQ(first.status, 200);
    auto replay = api_.Post(path, R"({"amount":700})", key);
    EXPECT_EQ(replay.status, 200);
    EXPECT_EQ(replay.body, first.body);
    EXPECT_ERROR(api_.Post(path, R"({"amount":701})", key), 422, "IDEMPOTENCY_KEY_REUSED");
    EXPECT_ERROR(
        api_.Post(path, R"({"amount":1})", {{"Idempotency-Key", std::string(256, 'k')}}), 400, "INVALID_ARGUMENT"
    );
    EXPECT_EQ(Int(api_.Get("/v1/users/" + std::to_string(user) + "/balance").Json(), "balance"), 700);
}

TEST_F(HttpApiTest, TokenRoutesCheck401Then403Then400ThenBusiness) {
    const auto concert = api_.CreateConcert();
    const auto paused = api_.CreateConcert();
    auto pause = api_.Put("/v1/admin/queues/" + std::to_string(paused.id), R"({"paused":true})", Bearer(kAdminKey));
    ASSERT_EQ(pause.status, 200) << pause.body;
    const auto user = api_.CreateUser();
    const auto waiting = api_.Join(paused.id, user);
    const auto active = api_.ActiveToken(concert.id, user);
    const std::string bad_body = R"({"scheduleId":"x"})";

    // 401: missing, empty, garbage, wrong scheme — whatever the body.
    EXPECT_ERROR(api_.Post("/v1/reservations", bad_body), 401, "UNAUTHENTICATED");
    EXPECT_ERROR(api_.Post("/v1/reservations", bad_body, {{"Authorization", "Bearer "}}), 401, "UNAUTHENTICATED");
    EXPECT_ERROR(api_.Post("/v1/reservations", bad_body, Bearer("garbage")), 401, "UNAUTHENTICATED");
    EXPECT_ERROR(
        api_.Post("/v1/reservations", bad_body, Bearer("1.0123456789abcdef0123456789abcdef")), 401, "UNAUTHENTICATED"
    );
    EXPECT_ERROR(
        api_.Post("/v1/reservations", bad_body, {{"Authorization", "Basic " + active}}), 401, "UNAUTHENTICATED"
    );
    // 403 for a WAITING token, before the body is looked at.
    auto status = api_.Get("/v1/queue/me", Bearer(waiting));
    EXPECT_EQ(status.Json().at("status"), "WAITING");
    EXPECT_TRUE(status.Json().as_object().contains("pollAfterSeconds"));
    EXPECT_EQ(status.Json().at("paused"), true);  // the queue `waiting` is in is paused
    EXPECT_ERROR(api_.Post("/v1/reservations", bad_body, Bearer(waiting)), 403, "NOT_ADMITTED");
    EXPECT_ERROR(api_.Get("/v1/schedules/abc/seats", Bearer(waiting)), 403, "NOT_ADMITTED");
    EXPECT_ERROR(api_.Post("/v1/payments", "[]", Bearer(waiting)), 403, "NOT_ADMITTED");
    EXPECT_ERROR(api_.Get("/v1/reservations/0", Bearer(waiting)), 403, "NOT_ADMITTED");
    // 400 for an admitted token with a bad request.
    EXPECT_ERROR(api_.Post("/v1/reservations", bad_body, Bearer(active)), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api_.Get("/v1/schedules/abc/seats", Bearer(active)), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api_.Delete("/v1/reservations/0", Bearer(active)), 400, "INVALID_ARGUMENT");
    // Then the business rules.
    EXPECT_ERROR(api_.Hold(active, 999'999, {1}), 404, "NOT_FOUND");
    EXPECT_ERROR(api_.Get("/v1/schedules/999999/seats", Bearer(active)), 404, "NOT_FOUND");
    EXPECT_ERROR(api_.Get("/v1/reservations/999999", Bearer(active)), 404, "NOT_FOUND");
    EXPECT_ERROR(api_.Pay(active, 999'999), 404, "NOT_FOUND");

    // Leaving ends the token.
    EXPECT_EQ(api_.Delete("/v1/queue/me", Bearer(waiting)).status, 204);
    EXPECT_ERROR(api_.Get("/v1/queue/me", Bearer(waiting)), 401, "UNAUTHENTICATED");
    EXPECT_ERROR(api_.Delete("/v1/queue/me"), 401, "UNAUTHENTICATED");
}

TEST_F(HttpApiTest, BusinessErrorRows) {
    const auto concert = api_.CreateConcert(1, 12);
    const auto other = api_.CreateConcert(1, 3);
    const auto closed = api_.CreateConcert(1, 3, std::chrono::hours(24), std::chrono::hours(48));
    const auto alice = api_.CreateUser("alice");
    const auto bob = api_.CreateUser("bob");
    const auto a = api_.ActiveToken(concert.id, alice);
    const auto b = api_.ActiveToken(concert.id, bob);
    const auto seats = api_.SeatIds(a, concert.schedules[0]);

    // FORBIDDEN: a token of another concert.
    EXPECT_ERROR(
        api_.Get("/v1/schedules/" + std::to_string(other.schedules[0]) + "/seats", Bearer(a)), 403, "FORBIDDEN"
    );
    EXPECT_ERROR(api_.Hold(a, other.schedules[0], {1}), 403, "FORBIDDEN");
    // 400: empty and duplicate seat ids; 422: over the seat limit; 404: a seat of another schedule.
    EXPECT_ERROR(api_.Hold(a, concert.schedules[0], {}), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api_.Hold(a, concert.schedules[0], {seats[0], seats[0]}), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(
        api_.Hold(a, concert.schedules[0], std::vector<std::int64_t>(seats.begin(), seats.begin() + 11)),
        422,
        "SEAT_LIMIT_EXCEEDED"
    );
    const auto other_token = api_.ActiveToken(other.id, alice);
    const auto other_seats = api_.SeatIds(other_token, other.schedules[0]);
    EXPECT_ERROR(api_.Hold(a, concert.schedules[0], {other_seats[0]}), 404, "NOT_FOUND");

    auto held = api_.Hold(a, concert.schedules[0], {seats[0]});
    ASSERT_EQ(held.status, 201) << held.body;
    const auto reservation = Int(held.Json(), "id");
    EXPECT_ERROR(api_.Hold(a, concert.schedules[0], {seats[1]}), 409, "HOLD_EXISTS");
    EXPECT_ERROR(api_.Hold(b, concert.schedules[0], {seats[0], seats[2]}), 409, "SEAT_UNAVAILABLE");
    // FORBIDDEN: not the reservation's owner.
    EXPECT_ERROR(api_.Get("/v1/reservations/" + std::to_string(reservation), Bearer(b)), 403, "FORBIDDEN");
    EXPECT_ERROR(api_.Pay(b, reservation), 403, "FORBIDDEN");
    // Cancelling frees the seats at once; a second cancel is a CONFLICT.
    EXPECT_EQ(api_.Delete("/v1/reservations/" + std::to_string(reservation), Bearer(a)).status, 204);
    EXPECT_ERROR(api_.Delete("/v1/reservations/" + std::to_string(reservation), Bearer(a)), 409, "CONFLICT");
    EXPECT_EQ(api_.Get("/v1/reservations/" + std::to_string(reservation), Bearer(a)).Json().at("status"), "CANCELLED");
    EXPECT_EQ(api_.Hold(b, concert.schedules[0], {seats[0]}).status, 201);

    // RESERVATION_CLOSED: the window has not opened.
    const auto early = api_.ActiveToken(closed.id, bob);
    EXPECT_ERROR(
        api_.Hold(early, closed.schedules[0], {api_.SeatIds(early, closed.schedules[0])[0]}), 422, "RESERVATION_CLOSED"
    );

    // NOT_FOUND: user, concert, payment.
    EXPECT_ERROR(api_.Get("/v1/users/999999/balance"), 404, "NOT_FOUND");
    EXPECT_ERROR(api_.Post("/v1/users/999999/balance/charge", R"({"amount":1})"), 404, "NOT_FOUND");
    EXPECT_ERROR(api_.Get("/v1/concerts/999999/schedules"), 404, "NOT_FOUND");
    EXPECT_ERROR(api_.Post("/v1/concerts/999999/queue", R"({"userId":1})"), 404, "NOT_FOUND");
    EXPECT_ERROR(api_.Post("/v1/concerts/1/queue", R"({"userId":999999})"), 404, "NOT_FOUND");
    EXPECT_ERROR(api_.Post("/v1/payments/999999/refund", "", Bearer(kAdminKey)), 404, "NOT_FOUND");
}

TEST_F(HttpApiTest, AdminRoutes) {
    const auto concert = api_.CreateConcert();
    const auto path = "/v1/admin/queues/" + std::to_string(concert.id);
    for (const auto& headers : {Headers{}, Bearer("wrong"), Headers{{"Authorization", kAdminKey}}}) {
        EXPECT_ERROR(api_.Get(path, headers), 401, "UNAUTHENTICATED");
        EXPECT_ERROR(api_.Get("/v1/admin/outbox", headers), 401, "UNAUTHENTICATED");
    }
    auto queue = api_.Get(path, Bearer(kAdminKey));
    ASSERT_EQ(queue.status, 200) << queue.body;
    for (const char* field :
         {"waiting", "active", "admittedTotal", "paused", "maxActive", "admitPerTick", "tickIntervalSeconds"}) {
        EXPECT_TRUE(queue.Json().as_object().contains(field)) << field;
    }
    auto changed =
        api_.Put(path, R"({"maxActive":7,"admitPerTick":3,"tickIntervalSeconds":2,"paused":false})", Bearer(kAdminKey));
    EXPECT_EQ(changed.status, 200) << changed.body;
    EXPECT_EQ(
        changed.Json(), json::parse(R"({"maxActive":7,"admitPerTick":3,"tickIntervalSeconds":2,"paused":false})")
    );
    EXPECT_ERROR(api_.Put(path, R"({})", Bearer(kAdminKey)), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api_.Put(path, R"({"maxActive":-1})", Bearer(kAdminKey)), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api_.Put(path, R"({"tickIntervalSeconds":0})", Bearer(kAdminKey)), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api_.Put(path, R"({"paused":"yes"})", Bearer(kAdminKey)), 400, "INVALID_ARGUMENT");
    EXPECT_ERROR(api_.Get("/v1/admin/queues/999999", Bearer(kAdminKey)), 404, "NOT_FOUND");
    EXPECT_ERROR(api_.Put("/v1/admin/queues/999999", R"({"paused":true})", Bearer(kAdminKey)), 404, "NOT_FOUND");

    auto outbox = api_.Get("/v1/admin/outbox", Bearer(kAdminKey));
    EXPECT_EQ(outbox.status, 200);
    for (const char* field : {"pending", "dead", "oldestPendingAgeSeconds"}) {
        EXPECT_TRUE(outbox.Json().as_object().contains(field)) << field;
    }
    // No event failed here: the list is there, and empty.
    ASSERT_TRUE(outbox.Json().as_object().contains("deadEvents"));
    EXPECT_TRUE(outbox.Json().at("deadEvents").as_array().empty());
    EXPECT_ERROR(
        api_.Post("/v1/admin/outbox/00000000-0000-0000-0000-000000000000/retry", "", Bearer(kAdminKey)),
        404,
        "NOT_FOUND"
    );
    EXPECT_ERROR(api_.Post("/v1/admin/outbox/not%20a%20uuid/retry", "", Bearer(kAdminKey)), 400, "INVALID_ARGUMENT");

    const std::string concert_body =
        R"({"title":"t","reservationOpensAt":"2030-01-01T00:00:00Z","reservationClosesAt":"2030-01-02T00:00:00Z","schedules":[]})";
    EXPECT_EQ(api_.Post("/v1/admin/concerts", concert_body, Bearer(kAdminKey)).status, 201);
    EXPECT_ERROR(api_.Post("/v1/admin/concerts", concert_body, Bearer("wrong")), 401, "UNAUTHENTICATED");
    for (const std::string bad :
         {R"({"title":"t","reservationOpensAt":"soon","reservationClosesAt":"2030-01-02T00:00:00Z","schedules":[]})",
          R"({"title":"t","reservationOpensAt":"2030-01-03T00:00:00Z","reservationClosesAt":"2030-01-02T00:00:00Z","schedules":[]})",
          R"({"title":"","reservationOpensAt":"2030-01-01T00:00:00Z","reservationClosesAt":"2030-01-02T00:00:00Z","schedules":[]})",
          R"({"title":"t","reservationOpensAt":"2030-01-01T00:00:00Z","reservationClosesAt":"2030-01-02T00:00:00Z","schedules":[{"startsAt":"2030-02-01T00:00:00Z","price":1,"seatCount":0}]})",
          R"({"title":"t","reservationOpensAt":"2030-01-01T00:00:00Z","reservationClosesAt":"2030-01-02T00:00:00Z","schedules":[{"startsAt":"2030-02-01T00:00:00Z","price":-1}]})",
          R"({"title":"t","reservationOpensAt":"2030-01-01T00:00:00Z","reservationClosesAt":"2030-01-02T00:00:00Z","schedules":[{"startsAt":"2030-02-01T00:00:00Z","price":1,"extra":1}]})",
          R"({"title":"t","reservationOpensAt":"2030-01-01T00:00:00Z","reservationClosesAt":"2030-01-02T00:00:00Z"})"}) {
        SCOPED_TRACE(bad);
        EXPECT_ERROR(api_.Post("/v1/admin/concerts", bad, Bearer(kAdminKey)), 400, "INVALID_ARGUMENT");
    }
}

TEST(HttpAdminOff, EveryAdminRouteIs401WithoutAConfiguredKey) {
    ServerProcess server({});
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/v1/admin/outbox"}, {"GET", "/v1/admin/queues/1"}, {"POST", "/v1/payments/1/refund"}}) {
        auto r = Send(server.Port(), method, path, {}, Bearer(""));
        EXPECT_ERROR(r, 401, "UNAUTHENTICATED");
    }
}

TEST(HttpHoldExpiry, AnExpiredHoldReadsExpiredAndCannotBePaidOrCancelled) {
    ServerProcess server({"--reservation-hold-ttl", "1s", "--admin-key", kAdminKey, "--queue-tick-interval", "1s"});
    Api api(server);
    const auto concert = api.CreateConcert();
    const auto user = api.CreateUser();
    api.Charge(user, 10'000);
    const auto token = api.ActiveToken(concert.id, user);
    auto held = api.Hold(token, concert.schedules[0], {api.SeatIds(token, concert.schedules[0])[0]});
    ASSERT_EQ(held.status, 201);
    const auto id = Int(held.Json(), "id");
    std::this_thread::sleep_for(1500ms);
    auto read = api.Get("/v1/reservations/" + std::to_string(id), Bearer(token));
    EXPECT_EQ(read.status, 200);
    EXPECT_EQ(read.Json().at("status"), "EXPIRED");
    EXPECT_ERROR(api.Pay(token, id), 410, "HOLD_EXPIRED");
    EXPECT_ERROR(api.Delete("/v1/reservations/" + std::to_string(id), Bearer(token)), 410, "HOLD_EXPIRED");
    EXPECT_EQ(Int(api.Get("/v1/users/" + std::to_string(user) + "/balance").Json(), "balance"), 10'000);
}

TEST(HttpRateLimit, OverTheBucketIs429WithRetryAfter) {
    ServerProcess server({"--rate-limit", "1"});
    int limited = 0;
    for (int i = 0; i < 5; ++i) {
        auto r = Send(server.Port(), "GET", "/healthz");
        if (r.status == 429) {
            ++limited;
            EXPECT_EQ(r.ErrorCode(), "RATE_LIMITED");
            EXPECT_GE(std::stoi(r.Header("retry-after")), 1);
            EXPECT_FALSE(r.Header("x-request-id").empty());
        } else {
            EXPECT_EQ(r.status, 200);
        }
    }
    EXPECT_GE(limited, 2);  // a burst of 2, then one a second
}

TEST(HttpRateLimit, ZeroTurnsItOff) {
    ServerProcess server({"--rate-limit", "0"});
    for (int i = 0; i < 50; ++i) ASSERT_EQ(Send(server.Port(), "GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace ticketing::http::testing
