// The outbox relay on Kafka (librdkafka's mock cluster, in process) over MariaDB: per-aggregate order
// and headers, a broker outage, a relay lost between publishing and marking, two relays at once,
// dead events and the operator's retry (through the `ticketing` CLI too), failing events at the head
// of the table.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <ticketing/json_writer.hpp>
#include <ticketing/kafka/kafka_consumer.hpp>
#include <ticketing/kafka/mock_cluster.hpp>
#include <ticketing/runtime/runtime.hpp>

#include "sql_test_support.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTopic = "ticketing.events";

/// Forwards a batch to the real sink, then is lost before the relay can mark it.
class LostAfterPublishSink final : public ports::EventSink {
public:
    explicit LostAfterPublishSink(ports::EventSink& inner) : inner_(inner) {}
    std::vector<Result<void>> PublishBatch(std::span<const OutboxEvent> events) override {
        for (const auto& published : inner_.PublishBatch(events)) {
            EXPECT_TRUE(published.has_value()) << published.error().message;
        }
        return {};
    }

private:
    ports::EventSink& inner_;
};

class KafkaRelay : public ::testing::Test {
protected:
    void SetUp() override {
        TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
        cluster_ = OrThrow(kafka::MockCluster::Start(1, kTopic, 4));
        mysql_ = std::make_unique<TempMysql>();
        db_ = OrThrow(sql::SqlDatabase::Open({.url = mysql_->Url(), .pool_size = 4}));
    }

    /// A runtime on the test's database and cluster, jobs off: the test runs the relay itself.
    std::unique_ptr<runtime::Runtime> OpenRuntime(std::map<std::string, std::string> flags = {}) {
        flags.emplace("database", mysql_->Url());
        flags.emplace("kafka", cluster_->BootstrapServers());
        flags.emplace("jobs.enabled", "false");
        flags.emplace("data_dir", std::filesystem::temp_directory_path().string());
        auto config = OrThrow(runtime::LoadConfig({.file = {}, .env = {}, .flags = std::move(flags)}));
        return OrThrow(runtime::Runtime::Open(std::move(config)));
    }

    /// A payment event of `aggregate` as the core writes it, due now.
    std::string Insert(
        const std::string& aggregate, const std::string& type = "payment.completed", std::size_t padding = 0
    ) {
        const std::string id = "evt-" + std::to_string(++next_);
        OutboxEvent e;
        e.event_id = id;
        e.aggregate = aggregate;
        e.type = type;
        e.payload = JsonWriter{}
                        .Field("eventId", id)
                        .Field("scheduleId", 1)
                        .Field("amount", 1000)
                        .RawField("tickets", R"([{"seatNumber":1}])")
                        .Field("padding", std::string(padding, 'x'))
                        .Done();
        e.created_at = e.next_attempt_at = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
        auto uow = OrThrow(db_->Begin(ports::TxMode::kOptimistic));
        OrThrow(uow->InsertOutboxEvent(e));
        OrThrow(uow->Commit());
        return id;
    }

    ports::OutboxCounts Counts() {
        auto uow = OrThrow(db_->Begin(ports::TxMode::kRead));
        return OrThrow(uow->CountOutbox());
    }

    /// Every message on the topic from the start, in a fresh consumer group, until `count` came.
    std::vector<OutboxEvent> ConsumeAll(std::size_t count, const std::string& group = "") {
        auto consumer = OrThrow(kafka::KafkaConsumer::Open(
            {.brokers = cluster_->BootstrapServers(), .topic = kTopic, .client = {}, .delivery_timeout = 5s},
            group.empty() ? UniqueName("test-") : group
        ));
        std::vector<OutboxEvent> out;
        const auto until = std::chrono::steady_clock::now() + 30s;
        while (out.size() < count && std::chrono::steady_clock::now() < until) {
            auto polled = consumer->Poll(
                [&](const OutboxEvent& e) -> Result<void> {
                    out.push_back(e);
                    return {};
                },
                1000,
                200ms
            );
            EXPECT_TRUE(polled.has_value()) << polled.error().message;
        }
        return out;
    }

    /// Relays until nothing is pending (sleeping through backoffs), at most `limit`.
    void Drain(runtime::Runtime& rt, std::chrono::seconds limit = 30s) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (Counts().pending > 0 && std::chrono::steady_clock::now() < until) {
            auto relayed = rt.App().Outbox().RelayOnce(rt.Sink(), 100);
            ASSERT_TRUE(relayed.has_value()) << relayed.error().message;
            if (relayed->published == 0) std::this_thread::sleep_for(20ms);
        }
        ASSERT_EQ(Counts().pending, 0);
    }

    std::unique_ptr<kafka::MockCluster> cluster_;
    std::unique_ptr<TempMysql> mysql_;
    std::unique_ptr<sql::SqlDatabase> db_;
    int next_{0};
};

TEST_F(KafkaRelay, EventsOfOneAggregateArriveInCommitOrderWithIdAndTypeHeaders) {
    std::map<std::string, std::vector<std::string>> committed;  // aggregate -> event ids
    for (int i = 0; i < 4; ++i) {
        for (const std::string aggregate : {"payment:1", "payment:2", "payment:3"}) {
            committed[aggregate].push_back(Insert(aggregate, i % 2 == 0 ? "payment.completed" : "payment.refunded"));
        }
    }
    auto rt = OpenRuntime();
    Drain(*rt);
    auto consumed = ConsumeAll(12);
    ASSERT_EQ(consumed.size(), 12U);
    std::map<std::string, std::vector<std::string>> arrived;
    for (const auto& e : consumed) {
        arrived[e.aggregate].push_back(e.event_id);
        EXPECT_NE(e.payload.find("\"eventId\":\"" + e.event_id + "\""), std::string::npos);
        const auto position = std::stoi(e.event_id.substr(4));
        EXPECT_EQ(e.type, ((position - 1) / 3) % 2 == 0 ? "payment.completed" : "payment.refunded") << e.event_id;
    }
    EXPECT_EQ(arrived, committed);
}

TEST_F(KafkaRelay, BrokerDownKeepsEventsPendingAndRetriedUntilEveryOneIsDelivered) {
    std::set<std::string> ids;
    for (int i = 0; i < 20; ++i) ids.insert(Insert("payment:" + std::to_string(i)));
    auto rt = OpenRuntime({
        {"kafka_delivery_timeout", "500ms"},
        {"outbox.backoff_base", "50ms"},
        {"outbox.backoff_max", "200ms"},
    });
    cluster_->SetBrokersDown(true);
    for (int run = 0; run < 3; ++run) {
        auto relayed = rt->App().Outbox().RelayOnce(rt->Sink(), 100);
        ASSERT_TRUE(relayed.has_value()) << relayed.error().message;
        EXPECT_EQ(relayed->published, 0);
        std::this_thread::sleep_for(250ms);
    }
    auto down = Counts();
    EXPECT_EQ(down.pending, 20);
    EXPECT_EQ(down.dead, 0);
    {
        auto uow = OrThrow(db_->Begin(ports::TxMode::kRead));
        auto event = OrThrow(uow->FindOutboxEvent(*ids.begin())).value();
        EXPECT_EQ(event.attempts, 3);
        EXPECT_NE(event.last_error.find("kafka"), std::string::npos) << event.last_error;
    }
    cluster_->SetBrokersDown(false);
    Drain(*rt);
    auto consumed = ConsumeAll(20);
    std::set<std::string> arrived;
    for (const auto& e : consumed) arrived.insert(e.event_id);
    EXPECT_EQ(arrived, ids);  // none lost (a retried event may come twice: the consumer's inbox copes)
}

TEST_F(KafkaRelay, ARelayLostBetweenPublishAndMarkIsRepublishedAndTheProjectionCountsItOnce) {
    Insert("payment:1");
    Insert("payment:2", "payment.completed");
    auto rt = OpenRuntime({{"outbox.claim_ttl", "3s"}, {"kafka_delivery_timeout", "2s"}});
    LostAfterPublishSink lost(rt->Sink());
    EXPECT_FALSE(rt->App().Outbox().RelayOnce(lost, 100).has_value());
    EXPECT_EQ(Counts().pending, 2);
    std::this_thread::sleep_for(3100ms);  // the claim lapses
    Drain(*rt);

    auto consumed = ConsumeAll(4);
    ASSERT_EQ(consumed.size(), 4U);  // each event twice on the topic
    for (const auto& e : consumed) EXPECT_TRUE(rt->App().Sales().Apply(e).has_value());
    // No schedule 1 in this database (the events are made up): the projection's row itself.
    auto uow = OrThrow(db_->Begin(ports::TxMode::kRead));
    auto sales = OrThrow(uow->FindScheduleSales(ScheduleId{1})).value();
    EXPECT_EQ(sales.seats_sold, 2);
    EXPECT_EQ(sales.revenue, 2000);
}

TEST_F(KafkaRelay, TwoRelaysAtOnceDeliverEveryEventExactlyOnce) {
    constexpr int kEvents = 600;
    std::set<std::string> ids;
    for (int i = 0; i < kEvents; ++i) ids.insert(Insert("payment:" + std::to_string(i % 400)));
    auto first = OpenRuntime();
    auto second = OpenRuntime();
    std::atomic<bool> failed{false};
    auto relay = [&](runtime::Runtime& rt) {
        const auto until = std::chrono::steady_clock::now() + 60s;
        while (Counts().pending > 0 && std::chrono::steady_clock::now() < until) {
            auto relayed = rt.App().Outbox().RelayOnce(rt.Sink(), 50);
            if (!relayed || relayed->failed > 0 || relayed->unmarked > 0) failed = true;
        }
    };
    std::thread a(relay, std::ref(*first));
    std::thread b(relay, std::ref(*second));
    a.join();
    b.join();
    EXPECT_FALSE(failed);
    EXPECT_EQ(Counts().pending, 0);
    auto consumed = ConsumeAll(kEvents);
    std::map<std::string, int> copies;
    for (const auto& e : consumed) ++copies[e.event_id];
    EXPECT_EQ(copies.size(), ids.size());
    for (const auto& [id, n] : copies) EXPECT_EQ(n, 1) << id << " was published by both relays";
}

TEST_F(KafkaRelay, DeadAfterMaxAttemptsThenTheOperatorsRetryDeliversIt) {
    const auto id = Insert("payment:9");
    auto rt = OpenRuntime({
        {"kafka_delivery_timeout", "300ms"},
        {"outbox.max_attempts", "2"},
        {"outbox.backoff_base", "10ms"},
        {"outbox.backoff_max", "20ms"},
    });
    cluster_->SetBrokersDown(true);
    std::int64_t dead = 0;
    for (int run = 0; run < 2; ++run) {
        dead += OrThrow(rt->App().Outbox().RelayOnce(rt->Sink(), 10)).dead;
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(dead, 1);
    EXPECT_EQ(Counts().dead, 1);
    cluster_->SetBrokersDown(false);
    EXPECT_EQ(OrThrow(rt->App().Outbox().RelayOnce(rt->Sink(), 10)).published, 0);  // dead stays dead
    ASSERT_TRUE(rt->App().Outbox().Retry(id).has_value());
    Drain(*rt);
    auto consumed = ConsumeAll(1);
    ASSERT_EQ(consumed.size(), 1U);
    EXPECT_EQ(consumed[0].event_id, id);
}

TEST_F(KafkaRelay, FailingEventsAtTheHeadDoNotDelayDueEventsBehindThem) {
    // Larger than the producer takes: refused at once, every time.
    for (int i = 0; i < 10; ++i) Insert("payment:big" + std::to_string(i), "payment.completed", 20'000);
    std::set<std::string> due;
    for (int i = 0; i < 5; ++i) due.insert(Insert("payment:" + std::to_string(i)));
    auto rt = OpenRuntime({{"kafka_client", "message.max.bytes=10000"}, {"outbox.backoff_base", "1m"}});
    auto first = OrThrow(rt->App().Outbox().RelayOnce(rt->Sink(), 10));
    EXPECT_EQ(first.failed, 10);
    auto second = OrThrow(rt->App().Outbox().RelayOnce(rt->Sink(), 10));
    EXPECT_EQ(second.published, 5);
    std::set<std::string> arrived;
    for (const auto& e : ConsumeAll(5)) arrived.insert(e.event_id);
    EXPECT_EQ(arrived, due);
    EXPECT_EQ(Counts().pending, 10);
}

/// `ticketing <args>`; its exit code and stdout.
std::pair<int, std::string> Cli(const std::string& args) {
    const auto out = std::filesystem::temp_directory_path() / UniqueName("tk-kafka-cli-");
    const int status = std::system((std::string(TK_CLI) + " " + args + " >" + out.string() + " 2>&1").c_str());
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    std::filesystem::remove(out);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

TEST(KafkaCli, AnEventDeadAfterMaxAttemptsIsRetriedByTheOperatorAndDelivered) {
    auto cluster = OrThrow(kafka::MockCluster::Start(1, kTopic, 4));
    TempSqlite file;
    {
        auto db = OrThrow(sql::SqlDatabase::Open({.url = file.Url(), .pool_size = 1}));
        OutboxEvent e;
        e.event_id = "evt-cli";
        e.aggregate = "payment:1";
        e.type = "payment.completed";
        e.payload = "{}";
        e.created_at = e.next_attempt_at = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
        auto uow = OrThrow(db->Begin(ports::TxMode::kOptimistic));
        OrThrow(uow->InsertOutboxEvent(e));
        OrThrow(uow->Commit());
    }
    const std::string global = "--json --database " + file.Url() + " --kafka " + cluster->BootstrapServers() +
                               " --data-dir " + std::filesystem::temp_directory_path().string() +
                               " --outbox-max-attempts 1 ";
    // Short while the broker is down; long enough once it is up for a fresh producer's first batch.
    const std::string down = global + "--kafka-delivery-timeout 300ms ";
    const std::string up = global + "--kafka-delivery-timeout 10s ";
    cluster->SetBrokersDown(true);
    auto relayed = Cli(down + "outbox relay");
    EXPECT_EQ(relayed.first, 0) << relayed.second;
    EXPECT_NE(relayed.second.find(R"("dead":1)"), std::string::npos) << relayed.second;
    auto stats = Cli(down + "outbox stats");
    EXPECT_NE(stats.second.find(R"("dead":1)"), std::string::npos) << stats.second;

    cluster->SetBrokersDown(false);
    EXPECT_NE(Cli(up + "outbox relay").second.find(R"("published":0)"), std::string::npos);  // dead stays
    auto retried = Cli(up + "outbox retry evt-cli");
    EXPECT_EQ(retried.first, 0) << retried.second;
    auto again = Cli(up + "outbox relay");
    EXPECT_NE(again.second.find(R"("published":1)"), std::string::npos) << again.second;

    auto consumer = OrThrow(kafka::KafkaConsumer::Open(
        {.brokers = cluster->BootstrapServers(), .topic = kTopic, .client = {}, .delivery_timeout = 5s},
        UniqueName("test-")
    ));
    std::vector<std::string> ids;
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (ids.empty() && std::chrono::steady_clock::now() < until) {
        auto polled = consumer->Poll(
            [&](const OutboxEvent& e) -> Result<void> {
                ids.push_back(e.event_id);
                return {};
            },
            10,
            200ms
        );
        ASSERT_TRUE(polled.has_value()) << polled.error().message;
    }
    EXPECT_EQ(ids, std::vector<std::string>{"evt-cli"});
}

}  // namespace
}  // namespace ticketing::testing
