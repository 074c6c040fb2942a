// Outbox relay throughput: a backlog of N events in MariaDB relayed to librdkafka's mock cluster (in
// this process, real protocol on loopback) by 1 and by 2 relays at once, beside the reference measured
// in the same run on the same server: MariaDB's own bulk UPDATE of the same backlog in the same batch
// size (raw SOCI, one statement per batch, no library code). Each measure gets a fresh database and
// backlog; `runs` rounds, medians printed last.
//   ticketing_bench_relay [mysql://user:pass@host:port/server-db] [events=100000] [batch=1000] [runs=3]
// The URL defaults to $TICKETING_TEST_MYSQL.
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <ticketing/app/system.hpp>
#include <ticketing/kafka/kafka_event_sink.hpp>
#include <ticketing/kafka/mock_cluster.hpp>
#include <ticketing/memory/memory_queue_store.hpp>
#include <ticketing/sql/sql_database.hpp>
#include <ticketing/ticketing.hpp>

#include "../support/load.hpp"
#include "../support/soci_url.hpp"

namespace {

using namespace ticketing;

template <class T>
T OrDie(Result<T> result, const char* what) {
    if (!result) {
        std::fprintf(stderr, "%s: %s\n", what, result.error().message.c_str());
        std::exit(1);
    }
    return std::move(*result);
}

/// A fresh database holding `events` due outbox events (distinct aggregates, a payment-sized payload),
/// dropped at the end.
class Backlog {
public:
    Backlog(const std::string& server, std::int64_t events)
        : server_(server), name_("bench_relay_" + std::to_string(::getpid()) + "_" + std::to_string(++count_)) {
        OrDie(sql::CreateMysqlDatabase(server_, name_).map([] { return 0; }), "create database");
        url_ = sql::WithMysqlDatabase(server_, name_);
        db_ = OrDie(sql::SqlDatabase::Open({.url = url_, .pool_size = 4}), "open database");  // migrates
        soci::session raw(*soci::factory_mysql(), bench::SociConnect(url_));
        const auto now =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        // MariaDB's sequence engine: the whole backlog in one statement.
        raw << "INSERT INTO outbox (event_id, aggregate, type, payload, status, attempts, created_at, "
               "next_attempt_at, last_error, version) SELECT CONCAT('evt-', seq), CONCAT('payment:', seq), "
               "'payment.completed', CONCAT('{\"eventId\":\"evt-', seq, '\",\"type\":\"payment.completed\","
               "\"paymentId\":', seq, ',\"scheduleId\":1,\"amount\":110000,\"tickets\":[{\"ticketId\":', seq, "
               "',\"seatNumber\":1,\"price\":55000},{\"ticketId\":', seq, ',\"seatNumber\":2,\"price\":55000}]}'), "
               "0, 0, :now, :now2, '', 0 FROM seq_1_to_" +
                   std::to_string(events),
            soci::use(now), soci::use(now);
    }
    ~Backlog() {
        db_.reset();
        (void)sql::DropMysqlDatabase(server_, name_);
    }
    sql::SqlDatabase& Db() { return *db_; }
    const std::string& Url() const { return url_; }

    std::int64_t Pending() {
        soci::session raw(*soci::factory_mysql(), bench::SociConnect(url_));
        std::int64_t pending = 0;
        raw << "SELECT COUNT(*) FROM outbox WHERE status = 0", soci::into(pending);
        return pending;
    }

private:
    static inline int count_ = 0;
    std::string server_;
    std::string name_;
    std::string url_;
    std::unique_ptr<sql::SqlDatabase> db_;
};

/// MariaDB alone: marks the backlog published, `batch` ids per UPDATE, as the relay's mark does.
bench::Figures Reference(const std::string& server, std::int64_t events, std::int64_t batch) {
    Backlog backlog(server, events);
    soci::session raw(*soci::factory_mysql(), bench::SociConnect(backlog.Url()));
    const auto batches = (events + batch - 1) / batch;
    auto figures = bench::Run(1, batches, [&](int, std::int64_t i) {
        std::string ids;
        for (auto id = i * batch + 1; id <= std::min(events, (i + 1) * batch); ++id) {
            ids += (ids.empty() ? "" : ",") + std::to_string(id);
        }
        soci::statement st =
            (raw.prepare << "UPDATE outbox SET status = 1, claimed_by = '', claim_until = 0, "
                            "version = version + 1 WHERE id IN (" +
                                ids + ")");
        st.execute(true);
        return st.get_affected_rows() > 0;
    });
    figures.ops_per_sec *= static_cast<double>(events) / static_cast<double>(batches);
    return figures;
}

/// `relays` relays at once, each claiming `batch` events per run, until the backlog is published.
bench::Figures Relay(const std::string& server, std::int64_t events, std::int64_t batch, int relays) {
    Backlog backlog(server, events);
    auto cluster = OrDie(kafka::MockCluster::Start(1, "ticketing.events", 4), "mock cluster");
    SystemClock clock;
    SystemRandom random;
    memory::MemoryQueueStore queue;
    Settings settings;
    auto app = OrDie(Ticketing::Create({backlog.Db(), queue, clock, random}, settings), "ticketing");
    std::vector<std::unique_ptr<kafka::KafkaEventSink>> sinks;  // one producer per relay, as per instance
    for (int r = 0; r < relays; ++r) {
        kafka::KafkaOptions options;
        options.brokers = cluster->BootstrapServers();
        sinks.push_back(OrDie(kafka::KafkaEventSink::Open(options), "sink"));
    }
    std::atomic<std::int64_t> published{0};
    std::atomic<bool> failed{false};
    std::vector<std::vector<double>> batch_ms(static_cast<std::size_t>(relays));
    const auto start = bench::SteadyClock::now();
    std::vector<std::thread> threads;
    for (int r = 0; r < relays; ++r) {
        threads.emplace_back([&, r] {
            auto& sink = *sinks[static_cast<std::size_t>(r)];
            while (published < events && !failed) {
                const auto begin = bench::SteadyClock::now();
                auto relayed = app.Outbox().RelayOnce(sink, batch);
                if (!relayed || relayed->failed > 0) failed = true;
                if (!relayed || relayed->published == 0) continue;  // the other relay holds the rest
                published += relayed->published;
                batch_ms[static_cast<std::size_t>(r)].push_back(
                    std::chrono::duration<double, std::milli>(bench::SteadyClock::now() - begin).count()
                );
            }
        });
    }
    for (auto& t : threads) t.join();
    const double seconds = std::chrono::duration<double>(bench::SteadyClock::now() - start).count();
    const auto left = backlog.Pending();
    if (failed || left != 0 || published != events) {
        std::fprintf(stderr, "relay failed or left %lld pending\n", static_cast<long long>(left));
        std::exit(1);
    }
    std::vector<double> all;
    for (const auto& mine : batch_ms) all.insert(all.end(), mine.begin(), mine.end());
    std::sort(all.begin(), all.end());
    bench::Figures out;
    out.ops_per_sec = static_cast<double>(events) / seconds;
    out.p50_us = all[all.size() / 2] * 1000;
    out.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)] * 1000;
    out.ops = static_cast<std::int64_t>(all.size());
    return out;
}

double Median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const char* env = std::getenv("TICKETING_TEST_MYSQL");
    const std::string server = argc > 1 ? argv[1] : (env ? env : "");
    if (server.empty()) {
        std::fprintf(stderr, "usage: ticketing_bench_relay mysql://user:pass@host:port/db [events] [batch] [runs]\n");
        return 2;
    }
    const std::int64_t events = argc > 2 ? std::atoll(argv[2]) : 100'000;
    const std::int64_t batch = argc > 3 ? std::atoll(argv[3]) : 1000;
    const int runs = argc > 4 ? std::atoi(argv[4]) : 3;
    if (events < 1 || batch < 1 || runs < 1) {
        std::fprintf(stderr, "events, batch and runs must be positive\n");
        return 2;
    }
    const std::vector<std::string> names{
        "MariaDB bulk UPDATE (reference)", "relay x1 -> mock cluster", "relay x2 -> mock cluster"};
    std::map<std::string, std::vector<bench::Figures>> rows;
    for (int run = 1; run <= runs; ++run) {
        rows[names[0]].push_back(Reference(server, events, batch));
        rows[names[1]].push_back(Relay(server, events, batch, 1));
        rows[names[2]].push_back(Relay(server, events, batch, 2));
        std::printf(
            "run %d: reference %.0f rows/s, relay x1 %.0f events/s, relay x2 %.0f events/s\n",
            run,
            rows[names[0]].back().ops_per_sec,
            rows[names[1]].back().ops_per_sec,
            rows[names[2]].back().ops_per_sec
        );
        std::fflush(stdout);
    }
    std::printf(
        "\n%lld events, batch %lld, median of %d runs (p50/p99: one batch, ms)\n\n",
        static_cast<long long>(events),
        static_cast<long long>(batch),
        runs
    );
    std::printf("| measure | rows or events/s | p50 ms | p99 ms | vs reference |\n|---|--:|--:|--:|--:|\n");
    const double reference = [&] {
        std::vector<double> v;
        for (const auto& f : rows[names[0]]) v.push_back(f.ops_per_sec);
        return Median(v);
    }();
    for (const auto& name : names) {
        std::vector<double> rate, p50, p99;
        for (const auto& f : rows[name]) {
            rate.push_back(f.ops_per_sec);
            p50.push_back(f.p50_us / 1000);
            p99.push_back(f.p99_us / 1000);
        }
        std::printf(
            "| %s | %.0f | %.2f | %.2f | %.2f |\n",
            name.c_str(),
            Median(rate),
            Median(p50),
            Median(p99),
            Median(rate) / reference
        );
    }
    return 0;
}
