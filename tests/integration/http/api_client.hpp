#pragma once

#include <gtest/gtest.h>

#include <thread>
#include <ticketing/domain/time.hpp>

#include "http_test_support.hpp"

namespace ticketing::http::testing {

namespace json = boost::json;

inline constexpr const char* kAdminKey = "test-admin-key";

inline std::string At(std::chrono::milliseconds from_now) {
    return FormatRfc3339(std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()) + from_now);
}

inline std::int64_t Int(const json::value& v, std::string_view key) {
    return v.at(key).as_int64();
}

/// The API as the tests call it, with the steps most tests need (a user, a concert, an admitted token).
class Api {
public:
    explicit Api(const ServerProcess& server, std::string admin_key = kAdminKey)
        : port_(server.Port()), admin_key_(std::move(admin_key)) {}

    HttpResponse Get(const std::string& target, const Headers& headers = {}) const {
        return Send(port_, "GET", target, {}, headers);
    }
    HttpResponse Post(const std::string& target, const std::string& body, const Headers& headers = {}) const {
        return Send(port_, "POST", target, body, headers);
    }
    HttpResponse Put(const std::string& target, const std::string& body, const Headers& headers = {}) const {
        return Send(port_, "PUT", target, body, headers);
    }
    HttpResponse Delete(const std::string& target, const Headers& headers = {}) const {
        return Send(port_, "DELETE", target, {}, headers);
    }

    std::int64_t CreateUser(const std::string& name = "kim") const {
        auto r = Post("/v1/users", json::serialize(json::object{{"name", name}}));
        EXPECT_EQ(r.status, 201) << r.body;
        return Int(r.Json(), "id");
    }
    void Charge(std::int64_t user, std::int64_t amount) const {
        auto r = Post(
            "/v1/users/" + std::to_string(user) + "/balance/charge", "{\"amount\":" + std::to_string(amount) + "}"
        );
        EXPECT_EQ(r.status, 200) << r.body;
    }

    struct Concert {
        std::int64_t id{0};
        std::vector<std::int64_t> schedules;
    };
    /// A concert whose window is [now + opens, now + closes), with `schedules` schedules of `seats` seats.
    Concert CreateConcert(
        int schedules = 1,
        int seats = 5,
        std::chrono::milliseconds opens = -std::chrono::hours(1),
        std::chrono::milliseconds closes = std::chrono::hours(24)
    ) const {
        json::array list;
        for (int i = 0; i < schedules; ++i) {
            list.push_back(json::object{
                {"startsAt", At(std::chrono::hours(48 + i))}, {"price", 1000}, {"seatCount", seats}});
        }
        auto r = Post(
            "/v1/admin/concerts",
            json::serialize(json::object{
                {"title", "Test concert"},
                {"reservationOpensAt", At(opens)},
                {"reservationClosesAt", At(closes)},
                {"schedules", list},
            }),
            Bearer(admin_key_)
        );
        EXPECT_EQ(r.status, 201) << r.body;
        Concert out;
        auto body = r.Json();
        out.id = Int(body, "id");
        for (const auto& s : body.at("schedules").as_array()) out.schedules.push_back(Int(s, "id"));
        return out;
    }

    std::string Join(std::int64_t concert, std::int64_t user) const {
        auto r =
            Post("/v1/concerts/" + std::to_string(concert) + "/queue", "{\"userId\":" + std::to_string(user) + "}");
        EXPECT_TRUE(r.status == 201 || r.status == 200) << r.body;
        return std::string(r.Json().at("token").as_string());
    }

    /// Joins and polls until the admission job lets the user in.
    std::string ActiveToken(std::int64_t concert, std::int64_t user) const {
        const auto token = Join(concert, user);
        const auto until = std::chrono::steady_clock::now() + 15s;
        while (std::chrono::steady_clock::now() < until) {
            auto r = Get("/v1/queue/me", Bearer(token));
            if (r.status == 200 && r.Json().at("status") == "ACTIVE") return token;
            std::this_thread::sleep_for(100ms);
        }
        ADD_FAILURE() << "not admitted in time";
        return token;
    }

    std::vector<std::int64_t> SeatIds(const std::string& token, std::int64_t schedule) const {
        auto r = Get("/v1/schedules/" + std::to_string(schedule) + "/seats", Bearer(token));
        EXPECT_EQ(r.status, 200) << r.body;
        std::vector<std::int64_t> out;
        const auto body = r.Json();
        for (const auto& seat : body.at("seats").as_array()) out.push_back(Int(seat, "id"));
        return out;
    }

    HttpResponse Hold(const std::string& token, std::int64_t schedule, const std::vector<std::int64_t>& seats) const {
        json::array ids(seats.begin(), seats.end());
        return Post(
            "/v1/reservations", json::serialize(json::object{{"scheduleId", schedule}, {"seatIds", ids}}), Bearer(token)
        );
    }

    HttpResponse Pay(const std::string& token, std::int64_t reservation, const Headers& extra = {}) const {
        auto headers = Bearer(token);
        headers.insert(headers.end(), extra.begin(), extra.end());
        return Post("/v1/payments", "{\"reservationId\":" + std::to_string(reservation) + "}", headers);
    }

private:
    std::uint16_t port_;
    std::string admin_key_;
};

}  // namespace ticketing::http::testing
