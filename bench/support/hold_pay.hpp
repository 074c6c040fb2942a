#pragma once

// Hold + pay through the public API on a MariaDB database, and the statements the server ran for it
// (its own status counters). Shared by the SQL bench and the statement-count test, so both measure
// the same thing.

#include <soci/soci.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <ticketing/app/system.hpp>
#include <ticketing/memory/memory_catalog_cache.hpp>
#include <ticketing/memory/memory_lock.hpp>
#include <ticketing/memory/memory_queue_store.hpp>
#include <ticketing/sql/sql_database.hpp>
#include <ticketing/ticketing.hpp>
#include <vector>

namespace ticketing::bench {

/// Statements a MariaDB server ran, by kind: `SHOW GLOBAL STATUS` Questions and Com_*.
struct StatementCounts {
    double total{0};  ///< Questions: every statement a client sent
    double select{0};
    double insert{0};  ///< Com_insert + Com_insert_select
    double update{0};
    double del{0};
    double begin{0};
    double commit{0};
    double rollback{0};

    StatementCounts operator-(const StatementCounts& o) const {
        return {
            total - o.total,
            select - o.select,
            insert - o.insert,
            update - o.update,
            del - o.del,
            begin - o.begin,
            commit - o.commit,
            rollback - o.rollback};
    }
    StatementCounts operator+(const StatementCounts& o) const {
        return {
            total + o.total,
            select + o.select,
            insert + o.insert,
            update + o.update,
            del + o.del,
            begin + o.begin,
            commit + o.commit,
            rollback + o.rollback};
    }
    StatementCounts operator/(double n) const {
        return {total / n, select / n, insert / n, update / n, del / n, begin / n, commit / n, rollback / n};
    }
};

/// Reads the server's counters on its own session. They are global: nothing else may use the server
/// while a count runs. `Since` subtracts the counting query's own statements (measured, not assumed).
class StatementCounter {
public:
    explicit StatementCounter(soci::session& sql) : sql_(sql) {
        const auto first = Read();
        overhead_ = Read() - first;
    }

    StatementCounts Read() {
        StatementCounts out;
        soci::rowset<soci::row> rows = sql_.prepare << "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', "
                                                       "'Com_select', 'Com_insert', 'Com_insert_select', "
                                                       "'Com_update', 'Com_delete', 'Com_begin', 'Com_commit', "
                                                       "'Com_rollback')";
        for (const auto& row : rows) {
            const auto name = row.get<std::string>(0);
            const auto value = std::stod(row.get<std::string>(1));
            if (name == "Questions") out.total = value;
            if (name == "Com_select") out.select = value;
            if (name == "Com_insert" || name == "Com_insert_select") out.insert += value;
            if (name == "Com_update") out.update = value;
            if (name == "Com_delete") out.del = value;
            if (name == "Com_begin") out.begin = value;
            if (name == "Com_commit") out.commit = value;
            if (name == "Com_rollback") out.rollback = value;
        }
        return out;
    }

    /// What ran between `start` (a Read) and now, without the two counting queries.
    StatementCounts Since(const StatementCounts& start) { return Read() - start - overhead_; }

private:
    soci::session& sql_;
    StatementCounts overhead_;
};

/// A Ticketing instance on a SQL database under one lock strategy, wired as a server wires it
/// (catalog reads cached in process), with a concert of `schedules` × `seats` seats at 1000 and
/// `buyers` users charged kMaxCharge each.
class HoldPayRig {
public:
    static constexpr Money kPrice = 1000;

    HoldPayRig(
        const std::string& url,
        LockStrategyKind kind,
        ports::DistributedLock* remote_lock,
        int buyers,
        int schedules,
        std::int32_t seats
    )
        : db_(Opened(url, static_cast<std::size_t>(buyers) + 2)) {
        settings_.lock.kind = kind;
        app_ = std::make_unique<Ticketing>(
            Backends{*db_, queue_, clock_, random_, remote_lock != nullptr ? remote_lock : &local_lock_, &cache_},
            settings_
        );
        NewConcert request{"bench", clock_.Now() - std::chrono::hours(1), clock_.Now() + std::chrono::hours(24), {}};
        for (int i = 0; i < schedules; ++i)
            request.schedules.push_back({clock_.Now() + std::chrono::hours(48), kPrice, seats});
        concert_ = app_->Catalog().CreateConcert(request).value();
        auto uow = db_->Begin(ports::TxMode::kRead).value();
        for (const auto& s : concert_.schedules) {
            std::vector<SeatId> ids;
            const auto listed = uow->ListSeats(s.id).value();
            for (const auto& seat : listed) ids.push_back(seat.id);
            seats_.push_back(std::move(ids));
        }
        for (int i = 0; i < buyers; ++i) {
            users_.push_back(app_->Accounts().CreateUser("buyer").value().id);
            (void)app_->Accounts().Charge(users_.back(), kMaxCharge, std::nullopt);
        }
    }

    /// Buyer `buyer` joins the queue and is admitted: its token, empty when that failed.
    std::string Admit(std::size_t buyer) {
        auto joined = app_->Queue().Join(concert_.concert.id, users_.at(buyer));
        if (!joined) return {};
        const QueueSettings admit_all{
            .max_active = 1'000'000,
            .admit_per_tick = 1'000'000,
            .tick_interval = std::chrono::seconds(0),
            .paused = false};
        (void)queue_.Tick(concert_.concert.id, clock_.Now(), std::chrono::minutes(5), admit_all);
        return joined->position.info.token;
    }

    /// The holder of `token` holds `seats` of schedule `schedule` and pays. False when the hold or
    /// the payment failed (a lost seat).
    bool HoldPay(const std::string& token, std::size_t schedule, const std::vector<SeatId>& seats) {
        auto hold = app_->Reservations().Hold(token, concert_.schedules.at(schedule).id, seats);
        if (!hold) {
            (void)app_->Queue().Leave(token);
            return false;
        }
        if (!app_->Payments().Pay(token, hold->id, std::nullopt)) return false;
        ++paid_;
        return true;
    }

    /// Admit, then HoldPay.
    bool JoinHoldPay(std::size_t buyer, std::size_t schedule, const std::vector<SeatId>& seats) {
        const auto token = Admit(buyer);
        return !token.empty() && HoldPay(token, schedule, seats);
    }

    sql::SqlDatabase& Db() { return *db_; }
    const CreatedConcert& Concert() const { return concert_; }
    /// Seat ids of each schedule, by number.
    const std::vector<std::vector<SeatId>>& Seats() const { return seats_; }
    const std::vector<UserId>& Users() const { return users_; }
    std::int64_t Paid() const { return paid_; }

private:
    static std::unique_ptr<sql::SqlDatabase> Opened(const std::string& url, std::size_t pool) {
        auto opened = sql::SqlDatabase::Open({.url = url, .pool_size = pool});
        if (!opened) throw std::runtime_error(opened.error().message);
        return std::move(*opened);
    }

    SystemClock clock_;
    SystemRandom random_;
    std::unique_ptr<sql::SqlDatabase> db_;
    memory::MemoryQueueStore queue_;
    memory::MemoryLock local_lock_{clock_, random_};
    memory::MemoryCatalogCache cache_{clock_};
    Settings settings_;
    std::unique_ptr<Ticketing> app_;
    CreatedConcert concert_;
    std::vector<std::vector<SeatId>> seats_;
    std::vector<UserId> users_;
    std::atomic<std::int64_t> paid_{0};
};

/// Statements per hold of 2 seats and its payment (the queue join before each is not counted):
/// `rounds` of them by buyer 0, one after another, on seats of `schedule` nobody else wants
/// (2 × (rounds + 1) of them).
inline StatementCounts CountHoldPay(HoldPayRig& rig, soci::session& status, int rounds, std::size_t schedule = 0) {
    StatementCounter counter(status);
    const auto& seats = rig.Seats().at(schedule);
    // One round first: connections opened, catalog cached, as in a running server.
    if (!rig.JoinHoldPay(0, schedule, {seats.at(0), seats.at(1)})) {
        throw std::runtime_error("the warm-up hold+pay failed");
    }
    StatementCounts sum;
    for (int i = 1; i <= rounds; ++i) {
        const auto token = rig.Admit(0);
        const auto at = static_cast<std::size_t>(2 * i);
        const auto start = counter.Read();
        if (token.empty() || !rig.HoldPay(token, schedule, {seats.at(at), seats.at(at + 1)})) {
            throw std::runtime_error("a hold+pay failed");
        }
        sum = sum + counter.Since(start);
    }
    return sum / rounds;
}

}  // namespace ticketing::bench
