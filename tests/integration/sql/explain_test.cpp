// Every hot query of the adapter is served by its index on MariaDB (adapters/sql/README.md lists
// them). The tables are seeded with a realistic skew — mostly past concerts, mostly published
// outbox rows, few live holds — and analyzed, then each query is EXPLAINed.
#include <gtest/gtest.h>

#include <sstream>

#include "sql_test_support.hpp"

namespace ticketing::testing {
namespace {

struct HotQuery {
    const char* name;
    std::string sql;
    const char* index;
};

std::vector<HotQuery> HotQueries() {
    return {
        {"concerts open at",
         "SELECT id, title FROM concert WHERE reservation_closes_at > 1500000000000 AND reservation_opens_at <= "
         "1500000000000 AND id > 0 ORDER BY id LIMIT 30",
         "concert_window"},
        {"schedules of a concert",
         "SELECT id FROM schedule WHERE concert_id = 7 ORDER BY starts_at, id",
         "schedule_concert"},
        {"seats of a schedule",
         "SELECT id, number, status FROM seat WHERE schedule_id = 7 ORDER BY number",
         "seat_schedule_number"},
        {"available seats",
         "SELECT seat.schedule_id, COUNT(*) FROM schedule JOIN seat ON seat.schedule_id = schedule.id WHERE "
         "schedule.concert_id = 7 AND (seat.status = 0 OR (seat.status = 1 AND seat.held_until <= 5)) GROUP BY "
         "seat.schedule_id",
         "schedule_concert,seat_schedule_number"},
        {"expired holds",
         "SELECT id FROM reservation WHERE status = 0 AND expires_at <= 2000 ORDER BY expires_at, id LIMIT 100",
         "reservation_expiry"},
        {"hold by live token",
         "SELECT id FROM reservation WHERE live_token = 't20' FOR UPDATE",
         "reservation_live_token"},
        {"live holds of a batch's tokens",
         "SELECT id FROM reservation WHERE live_token IN ('t20', 't40', 't60') FOR UPDATE",
         "reservation_live_token"},
        {"holds of a batch of cancels", "SELECT id FROM reservation WHERE id IN (7, 8, 9) FOR UPDATE", "PRIMARY"},
        {"users of a batch of charges",
         "SELECT id, name, balance, version FROM users WHERE id IN (7, 8, 9) ORDER BY id FOR UPDATE",
         "PRIMARY"},
        {"seats of a hold",
         "SELECT seat_id FROM reservation_seat WHERE reservation_id = 7 ORDER BY position",
         "PRIMARY"},
        {"due outbox events",
         "SELECT id, payload FROM outbox o WHERE status = 0 AND next_attempt_at <= 5000 AND claim_until <= 5000 AND "
         "id = (SELECT MIN(e.id) FROM outbox e WHERE e.aggregate = o.aggregate AND e.status = 0) "
         "ORDER BY next_attempt_at, id LIMIT 100 FOR UPDATE SKIP LOCKED",
         "outbox_due,outbox_aggregate"},
        {"oldest pending outbox event",
         "SELECT created_at FROM outbox WHERE status = 0 ORDER BY created_at LIMIT 1",
         "outbox_status_created"},
        {"outbox by event id", "SELECT id FROM outbox WHERE event_id = 'e77'", "outbox_event_id"},
        {"ledger of a user",
         "SELECT id, amount FROM ledger WHERE user_id = 7 AND id < 9223372036854775807 ORDER BY id DESC LIMIT 30",
         "ledger_user_id"},
        {"tickets of a user", "SELECT id FROM ticket WHERE user_id = 7 AND id > 0 ORDER BY id LIMIT 30", "ticket_user"},
        {"tickets of a payment", "SELECT id FROM ticket WHERE payment_id = 7 ORDER BY id", "ticket_payment"},
        {"idempotency key", "SELECT response FROM idempotency WHERE user_id = 7 AND idem_key = 'k'", "PRIMARY"},
        {"fence", "SELECT token FROM lock_fence WHERE resource = 'lock:seat:1'", "PRIMARY"},
    };
}

void Seed(soci::session& sql) {
    // seq_1_to_N comes from MariaDB's built-in SEQUENCE engine.
    sql << "INSERT INTO concert (title, reservation_opens_at, reservation_closes_at) "
           "SELECT CONCAT('past ', seq), seq * 1000, seq * 1000 + 100 FROM seq_1_to_3000";
    sql << "INSERT INTO concert (title, reservation_opens_at, reservation_closes_at) "
           "SELECT CONCAT('open ', seq), 1000000000000, 2000000000000 FROM seq_1_to_5";
    sql << "INSERT INTO schedule (concert_id, starts_at, price, total_seats) "
           "SELECT seq % 1000 + 1, seq, 1000, 50 FROM seq_1_to_3000";
    sql << "INSERT INTO seat (schedule_id, number, price) "
           "SELECT (seq - 1) DIV 50 + 1, (seq - 1) % 50 + 1, 1000 FROM seq_1_to_20000";
    sql << "INSERT INTO reservation (user_id, concert_id, schedule_id, amount, status, live_token, created_at, "
           "expires_at) SELECT seq % 1000, 1, 1, 1000, IF(seq % 20 = 0, 0, 1), IF(seq % 20 = 0, CONCAT('t', seq), "
           "NULL), seq, seq FROM seq_1_to_10000";
    sql << "INSERT INTO reservation_seat (reservation_id, position, seat_id, number, price) "
           "SELECT seq, 0, seq, 1, 1000 FROM seq_1_to_10000";
    sql << "INSERT INTO outbox (event_id, aggregate, type, payload, status, created_at, next_attempt_at, last_error) "
           "SELECT CONCAT('e', seq), CONCAT('payment:', seq DIV 2), 'payment.completed', '{}', IF(seq % 100 = 0, 0, "
           "1), seq, "
           "seq, '' "
           "FROM seq_1_to_10000";
    sql << "INSERT INTO ledger (user_id, type, amount, balance_after, created_at) "
           "SELECT seq % 1000, 0, 100, 100, seq FROM seq_1_to_10000";
    sql << "INSERT INTO ticket (payment_id, user_id, concert_id, schedule_id, seat_id, seat_number, price, status) "
           "SELECT seq DIV 2, seq % 1000, 1, 1, seq, 1, 1000, 0 FROM seq_1_to_10000";
    sql << "INSERT INTO idempotency (user_id, idem_key, request_hash, response, created_at) "
           "SELECT seq, 'k', 'h', 'r', seq FROM seq_1_to_1000";
    sql << "INSERT INTO lock_fence (resource, token) SELECT CONCAT('lock:seat:', seq), seq FROM seq_1_to_1000";
    for (const char* table :
         {"concert",
          "schedule",
          "seat",
          "reservation",
          "reservation_seat",
          "outbox",
          "ledger",
          "ticket",
          "idempotency",
          "lock_fence"}) {
        sql << std::string("ANALYZE TABLE ") + table;
    }
}

TEST(SqlExplain, EveryHotQueryUsesItsIndexOnMariadb) {
    TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
    TempMysql temp;
    OrThrow(sql::SqlDatabase::Open({.url = temp.Url()}));  // migrates
    auto raw = RawSession(temp.Url());
    Seed(*raw);
    for (const auto& query : HotQueries()) {
        // One index per table of the plan, in plan order ("a,b" for a join).
        std::vector<std::string> expected;
        std::stringstream indexes{std::string(query.index)};
        for (std::string index; std::getline(indexes, index, ',');) expected.push_back(index);
        soci::rowset<soci::row> plan = (raw->prepare << "EXPLAIN " + query.sql);
        std::vector<std::string> used;
        for (const auto& step : plan) {
            const bool has_key = step.get_indicator("key") == soci::i_ok;
            used.push_back(has_key ? step.get<std::string>("key") : std::string("(none: full scan)"));
        }
        EXPECT_EQ(used, expected) << query.name << ": " << query.sql;
    }
}

}  // namespace
}  // namespace ticketing::testing
