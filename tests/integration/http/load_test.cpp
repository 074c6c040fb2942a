// A thousand concurrent connections holding and paying on one ticketing-server (embedded default): every
// request is answered within its timeout with success, 409, 429 or 503 — no stall, no deadlock, no seat
// sold twice — and the server serves normally right after.

#include <gtest/gtest.h>

#include <cstdio>
#include <latch>
#include <map>
#include <mutex>
#include <set>

#include "api_client.hpp"

namespace ticketing::http::testing {
namespace {

TEST(HttpLoad, AThousandConnectionsHoldingAndPayingAreAllAnswered) {
    constexpr int kClients = 1000;
    constexpr int kSeats = 200;
    RaiseFileLimit();
    ServerProcess server(
        {"--admin-key",
         kAdminKey,
         "--queue-max-active",
         "1000",
         "--queue-admit-per-tick",
         "1000",
         "--queue-tick-interval",
         "1s"}
    );
    Api api(server);
    const auto concert = api.CreateConcert(1, kSeats);
    const auto schedule = concert.schedules[0];

    std::vector<std::string> tokens;
    {
        Connection setup(server.Port());
        for (int i = 0; i < kClients; ++i) {
            auto user = setup.Send("POST", "/v1/users", R"({"name":"load"})");
            ASSERT_EQ(user.status, 201) << user.body;
            const auto id = std::to_string(Int(user.Json(), "id"));
            ASSERT_EQ(setup.Send("POST", "/v1/users/" + id + "/balance/charge", R"({"amount":10000})").status, 200);
            auto join =
                setup.Send("POST", "/v1/concerts/" + std::to_string(concert.id) + "/queue", "{\"userId\":" + id + "}");
            ASSERT_EQ(join.status, 201) << join.body;
            tokens.emplace_back(join.Json().at("token").as_string());
        }
        const auto until = std::chrono::steady_clock::now() + 30s;
        std::int64_t active = 0;
        while (active < kClients && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(200ms);
            auto stats = setup.Send("GET", "/v1/admin/queues/" + std::to_string(concert.id), {}, Bearer(kAdminKey));
            active = Int(stats.Json(), "active");
        }
        ASSERT_EQ(active, kClients);
    }
    const auto seats = api.SeatIds(tokens[0], schedule);
    ASSERT_EQ(seats.size(), static_cast<std::size_t>(kSeats));

    std::mutex mutex;
    std::map<int, int> statuses;
    std::multiset<std::int64_t> paid_seats;
    std::latch start(kClients);
    std::vector<std::thread> clients;
    const auto began = std::chrono::steady_clock::now();
    for (int i = 0; i < kClients; ++i) {
        clients.emplace_back([&, i] {
            Connection connection(server.Port(), 60s);
            const bool connected = connection.Connect();
            start.arrive_and_wait();
            const auto seat = seats[static_cast<std::size_t>(i % kSeats)];
            auto hold = connected ? connection.Send(
                                        "POST",
                                        "/v1/reservations",
                                        "{\"scheduleId\":" + std::to_string(schedule) + ",\"seatIds\":[" +
                                            std::to_string(seat) + "]}",
                                        Bearer(tokens[static_cast<std::size_t>(i)])
                                    )
                                  : HttpResponse{};
            HttpResponse pay;
            if (hold.status == 201) {
                pay = connection.Send(
                    "POST",
                    "/v1/payments",
                    "{\"reservationId\":" + std::to_string(Int(hold.Json(), "id")) + "}",
                    Bearer(tokens[static_cast<std::size_t>(i)])
                );
            }
            std::lock_guard lock(mutex);
            ++statuses[hold.status];
            if (hold.status == 201) ++statuses[pay.status];
            if (pay.status == 201) paid_seats.insert(seat);
        });
    }
    for (auto& client : clients) client.join();
    const auto took = std::chrono::steady_clock::now() - began;

    std::string summary;
    for (const auto& [status, count] : statuses) summary += std::to_string(status) + "x" + std::to_string(count) + " ";
    std::printf(
        "statuses (hold and pay): %s in %.1f s\n", summary.c_str(), std::chrono::duration<double>(took).count()
    );
    for (const auto& [status, count] : statuses) {
        EXPECT_TRUE(status == 200 || status == 201 || status == 409 || status == 429 || status == 503)
            << "status " << status << " (0: no answer in time): " << summary;
    }
    EXPECT_LT(took, 60s) << summary;
    EXPECT_GT(paid_seats.size(), 0U) << summary;
    EXPECT_EQ(std::set<std::int64_t>(paid_seats.begin(), paid_seats.end()).size(), paid_seats.size())
        << "a seat was paid twice";

    // Serving normally right after: the seat map agrees with the payments.
    EXPECT_EQ(Send(server.Port(), "GET", "/healthz").status, 200);
    const auto user = api.CreateUser("after");
    const auto token = api.ActiveToken(concert.id, user);
    auto map = api.Get("/v1/schedules/" + std::to_string(schedule) + "/seats", Bearer(token));
    ASSERT_EQ(map.status, 200);
    std::size_t sold = 0;
    const auto body = map.Json();
    for (const auto& seat : body.at("seats").as_array()) sold += seat.at("status") == "SOLD" ? 1U : 0U;
    EXPECT_EQ(sold, paid_seats.size()) << summary;
}

}  // namespace
}  // namespace ticketing::http::testing
