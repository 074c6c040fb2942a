// ticketing::runtime over real backends: the embedded default from an empty directory, and two
// runtimes sharing one MariaDB and one Redis whose background jobs must do each piece of work once.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <ticketing/redis/redis_lock.hpp>
#include <ticketing/runtime/runtime.hpp>

#include "services.hpp"
#include "sql_test_support.hpp"

namespace ticketing::runtime {
namespace {

using namespace std::chrono_literals;
using testing::UniqueName;

/// A directory in the temp directory, removed afterwards.
class TempDir {
public:
    TempDir() : path_(std::filesystem::temp_directory_path() / UniqueName("tk-runtime-")) {}
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    std::string Path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

Config MustLoad(std::map<std::string, std::string> flags) {
    auto config = LoadConfig({.file = {}, .env = {}, .flags = std::move(flags)});
    EXPECT_TRUE(config.has_value()) << config.error().message;
    return config.value_or(Config{});
}

std::unique_ptr<Runtime> MustOpen(Config config) {
    auto runtime = Runtime::Open(std::move(config));
    EXPECT_TRUE(runtime.has_value()) << runtime.error().message;
    return runtime ? std::move(*runtime) : nullptr;
}

/// Polls `done` every 20 ms for at most `limit`.
template <class F>
bool Eventually(F done, std::chrono::milliseconds limit = 10s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return done();
}

std::vector<std::string> Lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

const JobStatus& Job(const std::vector<JobStatus>& jobs, std::string_view name) {
    for (const auto& job : jobs) {
        if (job.name == name) return job;
    }
    throw std::logic_error("no job " + std::string(name));
}

std::int64_t Items(const std::vector<Runtime*>& runtimes, std::string_view job) {
    std::int64_t total = 0;
    for (auto* runtime : runtimes) total += Job(runtime->Jobs(), job).items;
    return total;
}

std::string AdmittedToken(Runtime& runtime, ConcertId concert, UserId user) {
    auto joined = runtime.App().Queue().Join(concert, user);
    EXPECT_TRUE(joined.has_value()) << joined.error().message;
    if (!joined) return {};
    std::string token = joined->position.info.token;
    EXPECT_TRUE(Eventually([&] {
        auto status = runtime.App().Queue().Status(token);
        return status && status->info.status == TokenStatus::kActive;
    })) << "user "
        << user.value << " was never admitted";
    return token;
}

TEST(Runtime, EmbeddedDefaultServesTheWholeFlowFromAnEmptyDirectory) {
    TempDir dir;
    auto runtime = MustOpen(MustLoad({
        {"data_dir", dir.Path()},
        {"jobs.outbox_relay_interval", "50ms"},
        {"jobs.admission_interval", "50ms"},
        {"jobs.retention_interval", "50ms"},
        {"retention.published_outbox_age", "1ms"},
    }));
    ASSERT_NE(runtime, nullptr);
    EXPECT_TRUE(std::filesystem::exists(dir.Path() + "/ticketing.db"));
    auto probes = runtime->CheckReadiness();
    ASSERT_EQ(probes.size(), 1U);
    EXPECT_EQ(probes[0].backend, "database");
    EXPECT_TRUE(probes[0].ok) << probes[0].message;

    auto seeded = runtime->SeedDemo();
    ASSERT_TRUE(seeded.has_value()) << seeded.error().message;
    EXPECT_TRUE(*seeded);
    auto again = runtime->SeedDemo();
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(*again) << "demo data is seeded only on an empty database";

    auto& app = runtime->App();
    auto concerts = app.Catalog().ListConcerts(std::nullopt, {});
    ASSERT_TRUE(concerts.has_value());
    ASSERT_EQ(concerts->items.size(), 2U);
    auto schedules = app.Catalog().ListSchedules(concerts->items[0].id);
    ASSERT_TRUE(schedules.has_value());
    ASSERT_EQ(schedules->size(), 3U);
    EXPECT_EQ((*schedules)[0].available_seats, 50);

    runtime->StartJobs();
    const UserId kim{1};
    std::string token = AdmittedToken(*runtime, concerts->items[0].id, kim);
    auto map = app.Catalog().GetSeatMap(token, (*schedules)[0].schedule.id);
    ASSERT_TRUE(map.has_value()) << map.error().message;
    std::vector<SeatId> seats{map->seats[0].id, map->seats[1].id};
    auto hold = app.Reservations().Hold(token, (*schedules)[0].schedule.id, seats);
    ASSERT_TRUE(hold.has_value()) << hold.error().message;
    auto receipt = app.Payments().Pay(token, hold->id, std::nullopt);
    ASSERT_TRUE(receipt.has_value()) << receipt.error().message;
    EXPECT_EQ(receipt->tickets.size(), 2U);

    EXPECT_TRUE(Eventually([&] {
        auto lines = Lines(dir.Path() + "/events.log");
        return lines.size() == 1 && lines[0].find("\"type\":\"payment.completed\"") != std::string::npos;
    })) << "the relay job hands the payment event to the event log";
    auto outbox = app.Outbox().Stats();
    ASSERT_TRUE(outbox.has_value());
    EXPECT_EQ(outbox->pending, 0);
    EXPECT_TRUE(Eventually([&] { return Job(runtime->Jobs(), "retention").items >= 1; }))
        << "the retention job deletes the relayed event";
    runtime->StopJobs();
    EXPECT_EQ(Job(runtime->Jobs(), "outbox_relay").items, 1);
    for (const auto& job : runtime->Jobs()) EXPECT_EQ(job.failures, 0) << job.name << ": " << job.last_error;
}

TEST(Runtime, ReadinessNamesTheBackendThatIsDown) {
    TempDir dir;
    auto runtime = MustOpen(MustLoad({{"data_dir", dir.Path()}, {"redis", "redis://:hunter2@127.0.0.1:1/0"}}));
    ASSERT_NE(runtime, nullptr);
    auto probes = runtime->CheckReadiness();
    ASSERT_EQ(probes.size(), 2U);
    EXPECT_TRUE(probes[0].ok) << probes[0].message;
    EXPECT_EQ(probes[1].backend, "redis");
    EXPECT_FALSE(probes[1].ok);
    EXPECT_FALSE(probes[1].message.empty());
    EXPECT_EQ(probes[1].message.find("hunter2"), std::string::npos) << probes[1].message;
}

TEST(Runtime, UnreachableDatabaseIsUnavailableWithoutThePassword) {
    TempDir dir;
    auto runtime =
        Runtime::Open(MustLoad({{"data_dir", dir.Path()}, {"database", "mysql://app:hunter2@127.0.0.1:1/ticketing"}}));
    ASSERT_FALSE(runtime.has_value());
    EXPECT_EQ(runtime.error().code, Errc::kUnavailable);
    EXPECT_EQ(runtime.error().message.find("hunter2"), std::string::npos) << runtime.error().message;
}

/// Two runtimes on one MariaDB and one Redis, as two server instances would be.
class SharedRuntimes : public ::testing::Test {
protected:
    void SetUp() override {
        TK_REQUIRE_SERVICE("TICKETING_TEST_MYSQL");
        TK_REQUIRE_SERVICE("TICKETING_TEST_REDIS");
        mysql_ = std::make_unique<testing::TempMysql>();
        prefix_ = UniqueName("rt") + ":";
        for (auto* dir : {&dir_a_, &dir_b_}) {
            auto runtime = MustOpen(MustLoad({
                {"data_dir", dir->Path()},
                {"database", mysql_->Url()},
                {"redis", testing::ServiceUrl("TICKETING_TEST_REDIS")},
                {"redis_prefix", prefix_},
                {"reservation.hold_ttl", "2s"},
                {"jobs.admission_interval", "50ms"},
                {"jobs.hold_expiry_interval", "100ms"},
                {"jobs.outbox_relay_interval", "100ms"},
                {"jobs.lease_ttl", "1s"},
            }));
            ASSERT_NE(runtime, nullptr);
            runtimes_.push_back(std::move(runtime));
        }
    }

    Runtime& A() { return *runtimes_[0]; }
    Runtime& B() { return *runtimes_[1]; }
    std::vector<Runtime*> Both() { return {runtimes_[0].get(), runtimes_[1].get()}; }

    std::string prefix_;
    TempDir dir_a_;
    TempDir dir_b_;
    std::unique_ptr<testing::TempMysql> mysql_;
    std::vector<std::unique_ptr<Runtime>> runtimes_;
};

TEST_F(SharedRuntimes, EveryJobDoesEachPieceOfWorkOnce) {
    auto& app = A().App();
    const Timestamp now = A().Clock().Now();
    auto concert = app.Catalog().CreateConcert({
        .title = "Shared",
        .reservation_opens_at = now - 1h,
        .reservation_closes_at = now + 24h,
        .schedules = {{.starts_at = now + 48h, .price = 10'000, .seat_count = 50}},
    });
    ASSERT_TRUE(concert.has_value()) << concert.error().message;
    const ConcertId concert_id = concert->concert.id;
    const ScheduleId schedule = concert->schedules[0].id;
    ASSERT_TRUE(app.Queue().UpdateSettings(
        concert_id, {.max_active = 8, .admit_per_tick = 4, .tick_interval = Seconds{1}, .paused = {}}
    ));
    std::vector<UserId> users;
    for (int i = 0; i < 30; ++i) {
        auto user = app.Accounts().CreateUser("user" + std::to_string(i));
        ASSERT_TRUE(user.has_value());
        ASSERT_TRUE(app.Accounts().Charge(user->id, 100'000, std::nullopt));
        users.push_back(user->id);
    }
    for (auto* runtime : Both()) runtime->StartJobs();

    // Admission: joins through either instance; ACTIVE never exceeds maxActive while both tick.
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < users.size(); ++i) {
        auto joined = (i % 2 == 0 ? A() : B()).App().Queue().Join(concert_id, users[i]);
        ASSERT_TRUE(joined.has_value()) << joined.error().message;
        tokens.push_back(joined->position.info.token);
    }
    std::int64_t most_active = 0;
    auto until = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < until) {
        auto stats = B().App().Queue().Stats(concert_id);
        ASSERT_TRUE(stats.has_value());
        most_active = std::max(most_active, stats->active);
        ASSERT_LE(stats->active, 8);
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(most_active, 8);
    EXPECT_EQ(Items(Both(), "admission"), 8);

    // Holds: three are paid, two lapse and are expired exactly once between the two instances.
    std::vector<std::string> active(tokens.begin(), tokens.begin() + 6);
    auto seats = app.Catalog().GetSeatMap(schedule);
    for (int i = 0; i < 5; ++i) {
        auto hold = app.Reservations().Hold(
            active[static_cast<std::size_t>(i)], schedule, {seats->seats[static_cast<std::size_t>(i)].id}
        );
        ASSERT_TRUE(hold.has_value()) << hold.error().message;
        if (i < 3) {
            ASSERT_TRUE(app.Payments().Pay(active[static_cast<std::size_t>(i)], hold->id, std::nullopt));
        }
    }
    EXPECT_TRUE(Eventually([&] { return Items(Both(), "hold_expiry") == 2 && Items(Both(), "outbox_relay") == 3; }));
    std::this_thread::sleep_for(500ms);  // a second expiry or relay would show by now
    EXPECT_EQ(Items(Both(), "hold_expiry"), 2);
    EXPECT_EQ(Items(Both(), "outbox_relay"), 3);

    // Takeover: the relaying instance stops; the other relays the next event within one lease TTL.
    Runtime& leader = Job(A().Jobs(), "outbox_relay").items > 0 ? A() : B();
    Runtime& follower = &leader == &A() ? B() : A();
    leader.StopJobs();
    auto hold = app.Reservations().Hold(active[5], schedule, {seats->seats[5].id});
    ASSERT_TRUE(hold.has_value()) << hold.error().message;
    ASSERT_TRUE(app.Payments().Pay(active[5], hold->id, std::nullopt));
    EXPECT_TRUE(Eventually([&] { return Job(follower.Jobs(), "outbox_relay").items >= 1; }, 3s));

    std::set<std::string> events;
    std::size_t lines = 0;
    for (const auto* dir : {&dir_a_, &dir_b_}) {
        for (const auto& line : Lines(dir->Path() + "/events.log")) {
            ++lines;
            events.insert(line.substr(0, line.find(",\"type\"")));
        }
    }
    EXPECT_EQ(lines, 4U) << "each payment event is relayed once";
    EXPECT_EQ(events.size(), 4U);

    // Counters are per process: A ran every payment and every unit of work of this test.
    auto counters = A().ReadCounters();
    EXPECT_EQ(counters.seats_sold, 4);
    const auto& optimistic = counters.locks[static_cast<std::size_t>(LockStrategyKind::kOptimistic)];
    EXPECT_GE(optimistic.attempts, 30 + 5 + 4);  // charges, holds, payments
    EXPECT_EQ(optimistic.conflicts, 0);
    auto gauges = B().ReadGauges();
    ASSERT_TRUE(gauges.has_value()) << gauges.error().message;
    EXPECT_EQ(gauges->holds_active, 0);
    EXPECT_EQ(gauges->outbox.pending, 0);
    ASSERT_EQ(gauges->queues.size(), 1U);
    EXPECT_EQ(gauges->queues[0].first, concert_id);
}

TEST_F(SharedRuntimes, AStoppedLeaderHandsTheAdmissionJobOver) {
    for (auto* runtime : Both()) runtime->StartJobs();
    ASSERT_TRUE(Eventually([&] { return Job(A().Jobs(), "admission").runs + Job(B().Jobs(), "admission").runs > 0; }));
    Runtime& leader = Job(A().Jobs(), "admission").runs > 0 ? A() : B();
    Runtime& follower = &leader == &A() ? B() : A();
    const auto before = Job(follower.Jobs(), "admission").runs;
    EXPECT_EQ(before, 0) << "only the lease holder runs the job";
    leader.StopJobs();
    EXPECT_TRUE(Eventually([&] { return Job(follower.Jobs(), "admission").runs > 0; }, 2s));
}

TEST_F(SharedRuntimes, ACrashedLeadersJobIsTakenOverWithinOneLeaseTtl) {
    // A leader that crashed holds the job's lease and never renews or releases it.
    auto options = redis::ParseRedisUrl(testing::ServiceUrl("TICKETING_TEST_REDIS"));
    ASSERT_TRUE(options.has_value());
    redis::RedisLock crashed(std::make_shared<redis::RedisClient>(*options), {.key_prefix = prefix_, .renew = false});
    auto lease = crashed.Acquire({"job:admission"}, 1s, 0ms);
    ASSERT_TRUE(lease.has_value()) << lease.error().message;
    const auto crashed_at = std::chrono::steady_clock::now();

    B().StartJobs();
    std::this_thread::sleep_for(400ms);
    EXPECT_EQ(Job(B().Jobs(), "admission").runs, 0) << "the lease is still the crashed leader's";
    EXPECT_GT(Job(B().Jobs(), "admission").skipped, 0);
    ASSERT_TRUE(Eventually([&] { return Job(B().Jobs(), "admission").runs > 0; }, 3s));
    // One lease TTL (1 s) plus one admission interval (50 ms), with generous slack for a loaded machine.
    EXPECT_LT(std::chrono::steady_clock::now() - crashed_at, 2500ms);
}

}  // namespace
}  // namespace ticketing::runtime
