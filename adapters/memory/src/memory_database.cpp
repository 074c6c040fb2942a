#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <ticketing/memory/memory_database.hpp>
#include <tuple>

namespace ticketing::memory {
namespace {

constexpr Version kNewRow = -1;

template <class Row>
using Table = std::map<std::int64_t, Row>;
using Index = std::map<std::int64_t, std::set<std::int64_t>>;

// A unit of work's writes to one table: the rows as they will be, and the version each had when
// first written (kNewRow for inserts), checked again at commit.
template <class Row>
struct Staged {
    std::map<std::int64_t, Row> rows;
    std::map<std::int64_t, Version> base;
};

template <class Row>
bool StillCurrent(const Table<Row>& table, const Staged<Row>& staged) {
    for (const auto& [id, version] : staged.base) {
        if (version == kNewRow) continue;
        auto it = table.find(id);
        if (it == table.end() || it->second.version != version) return false;
    }
    return true;
}

// `values` sorted, each once: the order rows are locked in.
template <class T>
std::vector<T> SortedUnique(std::span<const T> values) {
    std::vector<T> out(values.begin(), values.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Result<void> Aborted(std::string message) {
    return MakeError(Errc::kAborted, std::move(message));
}

}  // namespace

struct MemoryDatabase::State {
    explicit State(MemoryDatabaseOptions o) : options(o) {}

    MemoryDatabaseOptions options;
    std::atomic<bool> available{true};

    std::shared_mutex mutex;  // guards the tables and indexes
    Table<User> users;
    Table<LedgerEntry> ledger;
    Table<Concert> concerts;
    Table<Schedule> schedules;
    Table<Seat> seats;
    Table<Reservation> reservations;
    Table<Payment> payments;
    Table<Ticket> tickets;
    Table<OutboxEvent> outbox;
    std::map<std::pair<std::int64_t, std::string>, IdempotencyRecord, std::less<>> idempotency;
    std::map<std::pair<std::string, std::string>, Timestamp, std::less<>> inbox;  // -> recorded at
    std::map<std::string, std::uint64_t, std::less<>> fences;
    std::map<std::int64_t, ScheduleSales> sales;

    Index ledger_by_user;
    Index schedules_by_concert;
    Index seats_by_schedule;
    Index tickets_by_payment;
    Index tickets_by_user;
    std::map<std::string, std::int64_t, std::less<>> live_tokens;
    std::map<std::int64_t, std::int64_t> issued_ticket_by_seat;
    std::map<std::int64_t, std::int64_t> payment_by_reservation;
    std::map<std::string, std::int64_t, std::less<>> outbox_by_event_id;
    std::set<std::int64_t> pending_outbox;
    std::set<std::int64_t> dead_outbox;

    struct {
        std::atomic<std::int64_t> user{1}, ledger{1}, concert{1}, schedule{1}, seat{1}, reservation{1}, payment{1},
            ticket{1}, outbox{1};
    } next_id;

    std::mutex row_lock_mutex;
    std::condition_variable row_lock_released;
    std::map<std::string, const void*, std::less<>> row_locks;  // key -> owning unit of work
};

namespace {

class MemoryUnitOfWork final : public ports::UnitOfWork {
public:
    using State = MemoryDatabase::State;

    MemoryUnitOfWork(std::shared_ptr<State> state, ports::TxMode mode) : state_(std::move(state)), mode_(mode) {}
    ~MemoryUnitOfWork() override { ReleaseRowLocks(); }

    // Users and the ledger.
    Result<UserId> InsertUser(const User& user) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        User row = user;
        row.id = UserId{state_->next_id.user++};
        row.version = 0;
        StageNew(users_, row);
        return row.id;
    }
    Result<std::optional<User>> FindUser(UserId id) override { return Read(state_->users, users_, id.value); }
    Result<std::optional<User>> FindUserForUpdate(UserId id) override {
        return ReadForUpdate(state_->users, users_, "user:", id.value);
    }
    Result<std::vector<UserId>> FindExistingUsers(std::span<const UserId> ids) override {
        std::vector<UserId> out;
        for (auto id : ids) {
            auto user = FindUser(id);
            if (!user) return Forward(user.error());
            if (*user) out.push_back(id);
        }
        return out;
    }
    Result<void> UpdateUser(const User& user) override { return Write(state_->users, users_, user, "user"); }
    Result<std::vector<User>> FindUsersForUpdate(std::span<const UserId> ids) override {
        return ReadEachForUpdate(state_->users, users_, "user:", ids);
    }
    Result<void> UpdateUsers(std::span<const User> users) override {
        return WriteAll(state_->users, users_, users, "user");
    }

    Result<LedgerEntryId> InsertLedgerEntry(const LedgerEntry& entry) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        LedgerEntry row = entry;
        row.id = LedgerEntryId{state_->next_id.ledger++};
        new_ledger_.push_back(row);
        return row.id;
    }
    Result<void> InsertLedgerEntries(std::span<const LedgerEntry> entries) override {
        auto ids = InsertEach(entries, [this](const LedgerEntry& e) { return InsertLedgerEntry(e); });
        if (!ids) return Forward(ids.error());
        return {};
    }
    Result<std::optional<LedgerEntry>> ApplyBalanceChange(const LedgerEntry& entry) override {
        auto user = ReadForUpdate(state_->users, users_, "user:", entry.user_id.value);
        if (!user) return Forward(user.error());
        if (!*user || (*user)->balance + entry.amount < 0) return std::optional<LedgerEntry>{};
        // Staged at the version read: a concurrent change of the user fails this unit at commit (a
        // lost race, retried), where the database's conditional UPDATE would wait and re-check.
        (*user)->balance += entry.amount;
        if (auto written = UpdateUser(**user); !written) return Forward(written.error());
        LedgerEntry out = entry;
        out.balance_after = (*user)->balance;
        auto id = InsertLedgerEntry(out);
        if (!id) return Forward(id.error());
        out.id = *id;
        return std::optional<LedgerEntry>{out};
    }
    Result<std::vector<LedgerEntry>> ListLedger(UserId user, ports::PageRequest page) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        std::shared_lock lock(state_->mutex);
        std::vector<LedgerEntry> out;
        auto index = state_->ledger_by_user.find(user.value);
        if (index == state_->ledger_by_user.end()) return out;
        for (auto it = index->second.rbegin(); it != index->second.rend(); ++it) {
            if (page.after > 0 && *it >= page.after) continue;
            out.push_back(state_->ledger.at(*it));
            if (static_cast<std::int64_t>(out.size()) == page.limit) break;
        }
        return out;
    }

    // Catalog.
    Result<ConcertId> InsertConcert(const Concert& concert) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        Concert row = concert;
        row.id = ConcertId{state_->next_id.concert++};
        new_concerts_.push_back(row);
        return row.id;
    }
    Result<std::optional<Concert>> FindConcert(ConcertId id) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        for (const auto& c : new_concerts_) {
            if (c.id == id) return std::optional<Concert>{c};
        }
        std::shared_lock lock(state_->mutex);
        return Lookup(state_->concerts, id.value);
    }
    Result<std::vector<Concert>> ListConcertsOpenAt(Timestamp at, ports::PageRequest page) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        std::shared_lock lock(state_->mutex);
        std::vector<Concert> out;
        for (auto it = state_->concerts.upper_bound(page.after); it != state_->concerts.end(); ++it) {
            if (!it->second.IsOpenAt(at)) continue;
            out.push_back(it->second);
            if (static_cast<std::int64_t>(out.size()) == page.limit) break;
        }
        return out;
    }
    Result<ScheduleId> InsertSchedule(const Schedule& schedule) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        Schedule row = schedule;
        row.id = ScheduleId{state_->next_id.schedule++};
        new_schedules_.push_back(row);
        return row.id;
    }
    Result<std::optional<Schedule>> FindSchedule(ScheduleId id) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        for (const auto& s : new_schedules_) {
            if (s.id == id) return std::optional<Schedule>{s};
        }
        std::shared_lock lock(state_->mutex);
        return Lookup(state_->schedules, id.value);
    }
    Result<std::vector<Schedule>> ListSchedules(ConcertId concert) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        std::shared_lock lock(state_->mutex);
        std::vector<Schedule> out;
        if (auto index = state_->schedules_by_concert.find(concert.value);
            index != state_->schedules_by_concert.end()) {
            for (auto id : index->second) out.push_back(state_->schedules.at(id));
        }
        std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return a.starts_at < b.starts_at;
        });
        return out;
    }

    // Seats.
    Result<void> InsertSeats(ScheduleId schedule, std::int32_t count, Money price) override {
        if (auto ok = CheckWritable(); !ok) return ok;
        for (std::int32_t number = 1; number <= count; ++number) {
            Seat seat;
            seat.id = SeatId{state_->next_id.seat++};
            seat.schedule_id = schedule;
            seat.number = number;
            seat.price = price;
            StageNew(seats_, seat);
        }
        return {};
    }
    Result<std::vector<Seat>> ListSeats(ScheduleId schedule) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        std::vector<Seat> out;
        {
            std::shared_lock lock(state_->mutex);
            if (auto index = state_->seats_by_schedule.find(schedule.value); index != state_->seats_by_schedule.end()) {
                out.reserve(index->second.size());
                for (auto id : index->second) out.push_back(state_->seats.at(id));
            }
        }
        for (auto& seat : out) {
            if (auto it = seats_.rows.find(seat.id.value); it != seats_.rows.end()) seat = it->second;
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
        return out;
    }
    Result<std::map<ScheduleId, std::int64_t>> CountAvailableSeats(ConcertId concert, Timestamp now) override {
        auto schedules = ListSchedules(concert);
        if (!schedules) return Forward(schedules.error());
        std::map<ScheduleId, std::int64_t> out;
        for (const auto& schedule : *schedules) {
            auto seats = ListSeats(schedule.id);
            if (!seats) return Forward(seats.error());
            out[schedule.id] = std::count_if(seats->begin(), seats->end(), [now](const Seat& s) {
                return s.StatusAt(now) == SeatStatus::kAvailable;
            });
        }
        return out;
    }
    Result<std::vector<Seat>> FindSeatsForUpdate(std::span<const SeatId> ids) override {
        return ReadEachForUpdate(state_->seats, seats_, "seat:", ids);
    }
    Result<void> UpdateSeat(const Seat& seat) override { return Write(state_->seats, seats_, seat, "seat"); }
    Result<void> UpdateSeats(std::span<const Seat> seats) override {
        return WriteAll(state_->seats, seats_, seats, "seat");
    }
    Result<std::int64_t> TransitionSeats(std::span<const SeatId> ids, ports::SeatHolding from, ports::SeatHolding to)
        override {
        auto seats = FindSeatsForUpdate(ids);
        if (!seats) return Forward(seats.error());
        std::int64_t changed = 0;
        for (auto seat : *seats) {
            if (seat.status != from.status || seat.held_by != from.held_by) continue;
            seat.status = to.status;
            seat.held_by = to.held_by;
            seat.held_until = to.held_until;
            if (auto written = UpdateSeat(seat); !written) return Forward(written.error());
            ++changed;
        }
        return changed;
    }

    // Reservations.
    Result<ReservationId> InsertReservation(const Reservation& reservation) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        Reservation row = reservation;
        row.id = ReservationId{state_->next_id.reservation++};
        row.version = 0;
        StageNew(reservations_, row);
        return row.id;
    }
    Result<std::optional<Reservation>> FindReservation(ReservationId id) override {
        return Read(state_->reservations, reservations_, id.value);
    }
    Result<std::optional<Reservation>> FindReservationForUpdate(ReservationId id) override {
        return ReadForUpdate(state_->reservations, reservations_, "reservation:", id.value);
    }
    Result<std::optional<Reservation>> FindReservationByLiveTokenForUpdate(std::string_view token) override {
        if (auto locked = LockRow("live-token:" + std::string(token)); !locked) return Forward(locked.error());
        for (const auto& [id, row] : reservations_.rows) {
            if (row.live_token == token) return std::optional<Reservation>{row};
        }
        std::int64_t id = 0;
        {
            std::shared_lock lock(state_->mutex);
            auto it = state_->live_tokens.find(token);
            if (it == state_->live_tokens.end()) return std::optional<Reservation>{};
            id = it->second;
        }
        auto row = ReadForUpdate(state_->reservations, reservations_, "reservation:", id);
        if (row && *row && (*row)->live_token != token) return std::optional<Reservation>{};
        return row;
    }
    Result<void> UpdateReservation(const Reservation& reservation) override {
        return Write(state_->reservations, reservations_, reservation, "reservation");
    }
    Result<std::vector<ReservationId>> InsertReservations(std::span<const Reservation> reservations) override {
        return InsertEach(reservations, [this](const Reservation& r) { return InsertReservation(r); });
    }
    Result<std::vector<Reservation>> FindReservationsForUpdate(std::span<const ReservationId> ids) override {
        return ReadEachForUpdate(state_->reservations, reservations_, "reservation:", ids);
    }
    Result<std::vector<Reservation>> FindReservationsByLiveTokensForUpdate(std::span<const std::string> tokens
    ) override {
        std::vector<Reservation> out;
        for (const auto& token : SortedUnique(tokens)) {
            if (token.empty()) continue;
            auto row = FindReservationByLiveTokenForUpdate(token);
            if (!row) return Forward(row.error());
            if (*row) out.push_back(std::move(**row));
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
        return out;
    }
    Result<void> UpdateReservations(std::span<const Reservation> reservations) override {
        return WriteAll(state_->reservations, reservations_, reservations, "reservation");
    }
    Result<std::vector<ReservationId>> ListExpiredHolds(Timestamp now, std::int64_t limit) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        std::vector<std::pair<Timestamp, std::int64_t>> due;
        {
            std::shared_lock lock(state_->mutex);
            for (const auto& [token, id] : state_->live_tokens) {
                const auto& r = state_->reservations.at(id);
                if (r.status == ReservationStatus::kHeld && r.expires_at <= now) due.emplace_back(r.expires_at, id);
            }
        }
        std::sort(due.begin(), due.end());
        std::vector<ReservationId> out;
        for (const auto& [at, id] : due) {
            if (static_cast<std::int64_t>(out.size()) == limit) break;
            out.push_back(ReservationId{id});
        }
        return out;
    }
    Result<std::int64_t> CountLiveHolds(Timestamp now) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        std::shared_lock lock(state_->mutex);
        std::int64_t live = 0;
        for (const auto& [token, id] : state_->live_tokens) {
            const auto& r = state_->reservations.at(id);
            if (r.status == ReservationStatus::kHeld && r.expires_at > now) ++live;
        }
        return live;
    }

    // Payments and tickets.
    Result<PaymentId> InsertPayment(const Payment& payment) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        Payment row = payment;
        row.id = PaymentId{state_->next_id.payment++};
        row.version = 0;
        StageNew(payments_, row);
        return row.id;
    }
    Result<std::optional<Payment>> FindPayment(PaymentId id) override {
        return Read(state_->payments, payments_, id.value);
    }
    Result<std::optional<Payment>> FindPaymentForUpdate(PaymentId id) override {
        return ReadForUpdate(state_->payments, payments_, "payment:", id.value);
    }
    Result<void> UpdatePayment(const Payment& payment) override {
        return Write(state_->payments, payments_, payment, "payment");
    }
    Result<std::optional<Payment>> FindPaymentByReservation(ReservationId reservation) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        for (const auto& [id, row] : payments_.rows) {
            if (row.reservation_id == reservation) return std::optional<Payment>{row};
        }
        std::shared_lock lock(state_->mutex);
        auto it = state_->payment_by_reservation.find(reservation.value);
        if (it == state_->payment_by_reservation.end()) return std::optional<Payment>{};
        return std::optional<Payment>{state_->payments.at(it->second)};
    }
    Result<TicketId> InsertTicket(const Ticket& ticket) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        Ticket row = ticket;
        row.id = TicketId{state_->next_id.ticket++};
        row.version = 0;
        StageNew(tickets_, row);
        return row.id;
    }
    Result<std::vector<TicketId>> InsertTickets(std::span<const Ticket> tickets) override {
        return InsertEach(tickets, [this](const Ticket& t) { return InsertTicket(t); });
    }
    Result<std::vector<Ticket>> ListTicketsByPayment(PaymentId payment) override {
        return ListTickets(state_->tickets_by_payment, payment.value, {0, std::numeric_limits<std::int64_t>::max()});
    }
    Result<std::vector<Ticket>> ListTicketsByUser(UserId user, ports::PageRequest page) override {
        return ListTickets(state_->tickets_by_user, user.value, page);
    }
    Result<void> UpdateTicket(const Ticket& ticket) override {
        return Write(state_->tickets, tickets_, ticket, "ticket");
    }

    // Outbox and inbox.
    Result<OutboxEventId> InsertOutboxEvent(const OutboxEvent& event) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        OutboxEvent row = event;
        row.id = OutboxEventId{state_->next_id.outbox++};
        row.version = 0;
        StageNew(outbox_, row);
        return row.id;
    }
    Result<std::vector<OutboxEvent>> ClaimOutboxEvents(const ports::OutboxClaim& claim) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        std::vector<OutboxEvent> due;
        {
            std::shared_lock lock(state_->mutex);
            std::set<std::string_view> seen;  // aggregates with an earlier pending event
            for (auto id : state_->pending_outbox) {
                const auto& event = state_->outbox.at(id);
                if (!seen.insert(event.aggregate).second) continue;
                if (event.next_attempt_at <= claim.now && event.claim_until <= claim.now) due.push_back(event);
            }
        }
        std::sort(due.begin(), due.end(), [](const OutboxEvent& a, const OutboxEvent& b) {
            return std::tie(a.next_attempt_at, a.id.value) < std::tie(b.next_attempt_at, b.id.value);
        });
        if (static_cast<std::int64_t>(due.size()) > claim.limit) due.resize(static_cast<std::size_t>(claim.limit));
        // Versioned writes: of two claims on one event, the second to commit is ABORTED.
        for (auto& event : due) {
            auto claimed = event;
            claimed.claimed_by = claim.owner;
            claimed.claim_until = claim.until;
            if (auto written = Write(state_->outbox, outbox_, claimed, "outbox event"); !written) {
                return Forward(written.error());
            }
            event = outbox_.rows.at(event.id.value);
        }
        return due;
    }
    Result<std::int64_t> MarkOutboxEvents(std::string_view owner, std::span<const ports::OutboxMark> marks) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        std::int64_t marked = 0;
        for (const auto& mark : marks) {
            auto current = Read(state_->outbox, outbox_, mark.id.value);
            if (!current) return Forward(current.error());
            if (!*current || (*current)->claimed_by != owner || (*current)->status != OutboxStatus::kPending) continue;
            auto event = **current;
            event.status = mark.status;
            if (mark.status != OutboxStatus::kPublished) {
                event.attempts = mark.attempts;
                event.next_attempt_at = mark.next_attempt_at;
                event.last_error = mark.last_error;
            }
            event.claimed_by.clear();
            event.claim_until = Timestamp{};
            if (auto written = Write(state_->outbox, outbox_, event, "outbox event"); !written) {
                return Forward(written.error());
            }
            ++marked;
        }
        return marked;
    }
    Result<std::optional<OutboxEvent>> FindOutboxEvent(std::string_view event_id) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        for (const auto& [id, row] : outbox_.rows) {
            if (row.event_id == event_id) return std::optional<OutboxEvent>{row};
        }
        std::shared_lock lock(state_->mutex);
        auto it = state_->outbox_by_event_id.find(event_id);
        if (it == state_->outbox_by_event_id.end()) return std::optional<OutboxEvent>{};
        return std::optional<OutboxEvent>{state_->outbox.at(it->second)};
    }
    Result<void> UpdateOutboxEvent(const OutboxEvent& event) override {
        return Write(state_->outbox, outbox_, event, "outbox event");
    }
    Result<ports::OutboxCounts> CountOutbox() override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        std::shared_lock lock(state_->mutex);
        ports::OutboxCounts out;
        out.pending = static_cast<std::int64_t>(state_->pending_outbox.size());
        out.dead = static_cast<std::int64_t>(state_->dead_outbox.size());
        for (auto id : state_->pending_outbox) {
            const auto at = state_->outbox.at(id).created_at;
            if (!out.oldest_pending_at || at < *out.oldest_pending_at) out.oldest_pending_at = at;
        }
        return out;
    }
    Result<std::vector<OutboxEvent>> ListDeadOutboxEvents(std::int64_t limit) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        std::vector<OutboxEvent> out;
        {
            std::shared_lock lock(state_->mutex);
            for (auto id : state_->dead_outbox) out.push_back(state_->outbox.at(id));
        }
        std::sort(out.begin(), out.end(), [](const OutboxEvent& a, const OutboxEvent& b) {
            return std::tie(a.created_at, a.id.value) > std::tie(b.created_at, b.id.value);
        });
        const auto keep = static_cast<std::size_t>(std::max<std::int64_t>(limit, 0));
        if (out.size() > keep) out.resize(keep);
        return out;
    }
    Result<bool> RecordInbox(std::string_view consumer, std::string_view event_id, Timestamp now) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        std::pair<std::string, std::string> key{consumer, event_id};
        if (new_inbox_.contains(key)) return false;
        {
            std::shared_lock lock(state_->mutex);
            if (state_->inbox.contains(key) && !deleted_inbox_.contains(key)) return false;
        }
        new_inbox_.emplace(std::move(key), now);
        return true;
    }
    Result<std::int64_t> DeletePublishedOutboxBefore(Timestamp cutoff, std::int64_t limit) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        std::shared_lock lock(state_->mutex);
        return StageDeletes(state_->outbox, deleted_outbox_, limit, [&](const OutboxEvent& event) {
            return event.status == OutboxStatus::kPublished && event.created_at < cutoff;
        });
    }
    Result<std::int64_t> DeleteInboxBefore(Timestamp cutoff, std::int64_t limit) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        std::shared_lock lock(state_->mutex);
        return StageDeletes(state_->inbox, deleted_inbox_, limit, [&](Timestamp recorded) {
            return recorded < cutoff;
        });
    }

    // Projections.
    Result<std::optional<ScheduleSales>> FindScheduleSales(ScheduleId schedule) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        std::optional<ScheduleSales> out;
        {
            std::shared_lock lock(state_->mutex);
            if (auto it = state_->sales.find(schedule.value); it != state_->sales.end()) out = it->second;
        }
        if (auto it = new_sales_.find(schedule.value); it != new_sales_.end()) out = Added(out, schedule, it->second);
        return out;
    }
    Result<void> AddScheduleSales(ScheduleId schedule, const SalesDelta& delta, Timestamp at) override {
        if (auto ok = CheckWritable(); !ok) return ok;
        auto& staged = new_sales_[schedule.value];
        staged.first.seats_sold += delta.seats_sold;
        staged.first.revenue += delta.revenue;
        staged.first.refunds += delta.refunds;
        staged.second = at;
        return {};
    }

    // Idempotency.
    Result<std::optional<IdempotencyRecord>> FindIdempotency(UserId user, std::string_view key) override {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        std::pair<std::int64_t, std::string> id{user.value, key};
        if (auto it = new_idempotency_.find(id); it != new_idempotency_.end()) {
            return std::optional<IdempotencyRecord>{it->second};
        }
        if (deleted_idempotency_.contains(id)) return std::optional<IdempotencyRecord>{};
        std::shared_lock lock(state_->mutex);
        auto it = state_->idempotency.find(id);
        if (it == state_->idempotency.end()) return std::optional<IdempotencyRecord>{};
        return std::optional<IdempotencyRecord>{it->second};
    }
    Result<void> InsertIdempotency(const IdempotencyRecord& record) override {
        if (auto ok = CheckWritable(); !ok) return ok;
        std::pair<std::int64_t, std::string> id{record.user_id.value, record.key};
        auto existing = FindIdempotency(record.user_id, record.key);
        if (!existing) return Forward(existing.error());
        if (*existing) return Aborted("idempotency key exists");
        new_idempotency_[id] = record;
        return {};
    }
    Result<void> DeleteIdempotency(UserId user, std::string_view key) override {
        if (auto ok = CheckWritable(); !ok) return ok;
        std::pair<std::int64_t, std::string> id{user.value, key};
        new_idempotency_.erase(id);
        if (deleted_idempotency_.contains(id)) return {};
        std::optional<IdempotencyRecord> seen;
        {
            std::shared_lock lock(state_->mutex);
            if (auto it = state_->idempotency.find(id); it != state_->idempotency.end()) seen = it->second;
        }
        deleted_idempotency_.emplace(std::move(id), std::move(seen));
        return {};
    }
    Result<std::int64_t> DeleteIdempotencyBefore(Timestamp cutoff, std::int64_t limit) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        std::shared_lock lock(state_->mutex);
        std::int64_t deleted = 0;
        for (const auto& [key, record] : state_->idempotency) {
            if (deleted == limit) break;
            if (record.created_at >= cutoff || deleted_idempotency_.contains(key)) continue;
            deleted_idempotency_.emplace(key, record);  // Validate keeps a record stored again since
            ++deleted;
        }
        return deleted;
    }

    // Fences.
    Result<void> AdvanceFence(std::string_view resource, std::uint64_t token) override {
        const ports::Fence fence{std::string(resource), token};
        return AdvanceFences(std::span<const ports::Fence>(&fence, 1));
    }
    Result<void> AdvanceFences(std::span<const ports::Fence> fences) override {
        if (auto ok = CheckWritable(); !ok) return ok;
        {
            std::shared_lock lock(state_->mutex);
            for (const auto& [resource, token] : fences) {
                if (token > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                    return MakeError(Errc::kInvalidArgument, "fencing token out of range");
                }
                if (auto it = state_->fences.find(resource); it != state_->fences.end() && it->second > token) {
                    return Aborted("stale fencing token for " + resource);
                }
            }
        }
        for (const auto& [resource, token] : fences) new_fences_[resource] = token;
        return {};
    }
    Result<std::int64_t> DeleteFencesBelow(std::uint64_t token, std::int64_t limit) override {
        if (auto ok = CheckWritable(); !ok) return Forward(ok.error());
        std::shared_lock lock(state_->mutex);
        std::int64_t deleted = 0;
        for (const auto& [resource, stored] : state_->fences) {
            if (deleted == limit) break;
            if (stored >= token || deleted_fences_.contains(resource)) continue;
            deleted_fences_.emplace(resource, stored);
            ++deleted;
        }
        return deleted;
    }

    Result<void> Commit() override {
        if (auto ok = CheckOpen(); !ok) return ok;
        if (mode_ == ports::TxMode::kRead) return MakeError(Errc::kInternal, "a read unit of work cannot commit");
        {
            std::unique_lock lock(state_->mutex);
            if (auto valid = Validate(); !valid) return valid;
            Apply();
        }
        finished_ = true;
        ReleaseRowLocks();
        return {};
    }

private:
    Result<void> CheckOpen() const {
        if (!state_->available) return MakeError(Errc::kUnavailable, "the database is unavailable");
        if (finished_) return MakeError(Errc::kInternal, "the unit of work has already committed");
        return {};
    }
    Result<void> CheckWritable() const {
        if (auto ok = CheckOpen(); !ok) return ok;
        if (mode_ == ports::TxMode::kRead) return MakeError(Errc::kInternal, "a read unit of work cannot write");
        return {};
    }

    Result<void> LockRow(std::string key) {
        if (auto ok = CheckOpen(); !ok) return ok;
        if (mode_ != ports::TxMode::kPessimistic || held_locks_.contains(key)) return {};
        std::unique_lock lock(state_->row_lock_mutex);
        const bool got = state_->row_lock_released.wait_for(lock, state_->options.lock_wait_timeout, [&] {
            return !state_->row_locks.contains(key);
        });
        if (!got) return MakeError(Errc::kConflict, "lock wait timeout on " + key);
        state_->row_locks.emplace(key, this);
        held_locks_.insert(std::move(key));
        return {};
    }
    void ReleaseRowLocks() {
        if (held_locks_.empty()) return;
        {
            std::lock_guard lock(state_->row_lock_mutex);
            for (const auto& key : held_locks_) state_->row_locks.erase(key);
        }
        held_locks_.clear();
        state_->row_lock_released.notify_all();
    }

    template <class Row>
    static std::optional<Row> Lookup(const Table<Row>& table, std::int64_t id) {
        auto it = table.find(id);
        if (it == table.end()) return std::nullopt;
        return it->second;
    }
    template <class Row>
    Result<std::optional<Row>> Read(const Table<Row>& table, const Staged<Row>& staged, std::int64_t id) {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        if (auto it = staged.rows.find(id); it != staged.rows.end()) return std::optional<Row>{it->second};
        std::shared_lock lock(state_->mutex);
        return Lookup(table, id);
    }
    template <class Row>
    Result<std::optional<Row>> ReadForUpdate(
        const Table<Row>& table, const Staged<Row>& staged, std::string_view kind, std::int64_t id
    ) {
        if (auto locked = LockRow(std::string(kind) + std::to_string(id)); !locked) return Forward(locked.error());
        return Read(table, staged, id);
    }
    // The existing rows among `ids`, each once, locked in id order.
    template <class Row, class Id>
    Result<std::vector<Row>> ReadEachForUpdate(
        const Table<Row>& table, const Staged<Row>& staged, std::string_view kind, std::span<const Id> ids
    ) {
        std::vector<Row> out;
        for (auto id : SortedUnique(ids)) {
            auto row = ReadForUpdate(table, staged, kind, id.value);
            if (!row) return Forward(row.error());
            if (*row) out.push_back(std::move(**row));
        }
        return out;
    }
    template <class Row>
    Result<void> Write(const Table<Row>& table, Staged<Row>& staged, const Row& row, std::string_view what) {
        if (auto ok = CheckWritable(); !ok) return ok;
        auto current = Read(table, staged, row.id.value);
        if (!current) return Forward(current.error());
        if (!*current || (*current)->version != row.version) {
            return Aborted(std::string(what) + " " + std::to_string(row.id.value) + " changed since it was read");
        }
        staged.base.try_emplace(row.id.value, row.version);
        Row next = row;
        next.version = row.version + 1;
        staged.rows[row.id.value] = std::move(next);
        return {};
    }
    // `insert` for each row, their ids in the same order (the unit of work rolls back all on an error).
    template <class Row, class Insert>
    static auto InsertEach(std::span<const Row> rows, Insert insert)
        -> Result<std::vector<typename decltype(insert(rows.front()))::value_type>> {
        std::vector<typename decltype(insert(rows.front()))::value_type> ids;
        for (const auto& row : rows) {
            auto id = insert(row);
            if (!id) return Forward(id.error());
            ids.push_back(*id);
        }
        return ids;
    }
    // `Write` for each row, all or nothing: every version is checked before any is staged.
    template <class Row>
    Result<void> WriteAll(
        const Table<Row>& table, Staged<Row>& staged, std::span<const Row> rows, std::string_view what
    ) {
        for (const auto& row : rows) {
            auto current = Read(table, staged, row.id.value);
            if (!current) return Forward(current.error());
            if (!*current || (*current)->version != row.version) {
                return Aborted(std::string(what) + " " + std::to_string(row.id.value) + " changed since it was read");
            }
        }
        for (const auto& row : rows) {
            if (auto written = Write(table, staged, row, what); !written) return written;
        }
        return {};
    }
    // Stages the deletion of up to `limit` rows of `table` that `due` accepts and are not staged yet;
    // Apply erases them. The caller holds the shared table lock.
    template <class Map, class Due>
    static std::int64_t StageDeletes(
        const Map& table, std::set<typename Map::key_type, std::less<>>& staged, std::int64_t limit, Due due
    ) {
        std::int64_t deleted = 0;
        for (const auto& [key, value] : table) {
            if (deleted == limit) break;
            if (!due(value) || staged.contains(key)) continue;
            staged.insert(key);
            ++deleted;
        }
        return deleted;
    }

    template <class Row>
    static void StageNew(Staged<Row>& staged, const Row& row) {
        staged.rows[row.id.value] = row;
        staged.base[row.id.value] = kNewRow;
    }

    Result<std::vector<Ticket>> ListTickets(const Index& index, std::int64_t key, ports::PageRequest page) {
        if (auto ok = CheckOpen(); !ok) return Forward(ok.error());
        std::vector<Ticket> out;
        {
            std::shared_lock lock(state_->mutex);
            auto it = index.find(key);
            if (it == index.end()) return out;
            for (auto id = it->second.upper_bound(page.after); id != it->second.end(); ++id) {
                out.push_back(state_->tickets.at(*id));
                if (static_cast<std::int64_t>(out.size()) == page.limit) break;
            }
        }
        for (auto& ticket : out) {
            if (auto it = tickets_.rows.find(ticket.id.value); it != tickets_.rows.end()) ticket = it->second;
        }
        return out;
    }

    // Under the exclusive table lock: every staged write still applies and breaks no constraint.
    Result<void> Validate() const {
        const auto& s = *state_;
        if (!StillCurrent(s.users, users_) || !StillCurrent(s.seats, seats_) ||
            !StillCurrent(s.reservations, reservations_) || !StillCurrent(s.payments, payments_) ||
            !StillCurrent(s.tickets, tickets_) || !StillCurrent(s.outbox, outbox_)) {
            return Aborted("a row changed since it was read");
        }
        std::set<std::string_view> staged_tokens;
        for (const auto& [id, row] : reservations_.rows) {
            if (!row.live_token.empty() && !staged_tokens.insert(row.live_token).second) {
                return Aborted("the token already has a live hold");
            }
        }
        for (const auto& [id, row] : reservations_.rows) {
            if (reservations_.base.at(id) != kNewRow || row.live_token.empty()) continue;
            if (auto it = s.live_tokens.find(row.live_token); it != s.live_tokens.end()) {
                auto staged = reservations_.rows.find(it->second);
                if (staged == reservations_.rows.end() || staged->second.live_token == row.live_token) {
                    return Aborted("the token already has a live hold");
                }
            }
        }
        for (const auto& [id, row] : tickets_.rows) {
            if (tickets_.base.at(id) != kNewRow || row.status != TicketStatus::kIssued) continue;
            if (auto it = s.issued_ticket_by_seat.find(row.seat_id.value); it != s.issued_ticket_by_seat.end()) {
                auto staged = tickets_.rows.find(it->second);
                if (staged == tickets_.rows.end() || staged->second.status == TicketStatus::kIssued) {
                    return Aborted("seat " + std::to_string(row.seat_id.value) + " already has a ticket");
                }
            }
        }
        for (const auto& [key, record] : new_idempotency_) {
            if (s.idempotency.contains(key) && !deleted_idempotency_.contains(key)) {
                return Aborted("idempotency key exists");
            }
        }
        // A delete removes the record it saw; one stored since (by another request) is not ours to drop.
        for (const auto& [key, seen] : deleted_idempotency_) {
            auto it = s.idempotency.find(key);
            const bool same = it == s.idempotency.end() ? !seen.has_value()
                                                        : seen && seen->created_at == it->second.created_at &&
                                                              seen->request_hash == it->second.request_hash;
            if (!same && it != s.idempotency.end()) return Aborted("idempotency key changed since it was read");
        }
        for (const auto& [key, at] : new_inbox_) {
            if (s.inbox.contains(key) && !deleted_inbox_.contains(key)) return Aborted("event already in the inbox");
        }
        for (const auto& [id, row] : outbox_.rows) {
            if (outbox_.base.at(id) == kNewRow && s.outbox_by_event_id.contains(row.event_id)) {
                return Aborted("duplicate event id");
            }
        }
        for (const auto& [resource, token] : new_fences_) {
            if (auto it = s.fences.find(resource); it != s.fences.end() && it->second > token) {
                return Aborted("stale fencing token for " + resource);
            }
        }
        return {};
    }

    void Apply() {
        auto& s = *state_;
        for (const auto& [id, row] : users_.rows) s.users[id] = row;
        for (const auto& row : new_ledger_) {
            s.ledger[row.id.value] = row;
            s.ledger_by_user[row.user_id.value].insert(row.id.value);
        }
        for (const auto& row : new_concerts_) s.concerts[row.id.value] = row;
        for (const auto& row : new_schedules_) {
            s.schedules[row.id.value] = row;
            s.schedules_by_concert[row.concert_id.value].insert(row.id.value);
        }
        for (const auto& [id, row] : seats_.rows) {
            s.seats[id] = row;
            s.seats_by_schedule[row.schedule_id.value].insert(id);
        }
        for (const auto& [id, row] : reservations_.rows) {
            if (auto old = s.reservations.find(id); old != s.reservations.end() && !old->second.live_token.empty()) {
                s.live_tokens.erase(old->second.live_token);
            }
            if (!row.live_token.empty()) s.live_tokens[row.live_token] = id;
            s.reservations[id] = row;
        }
        for (const auto& [id, row] : payments_.rows) {
            s.payments[id] = row;
            s.payment_by_reservation[row.reservation_id.value] = id;
        }
        for (const auto& [id, row] : tickets_.rows) {
            s.tickets[id] = row;
            s.tickets_by_payment[row.payment_id.value].insert(id);
            s.tickets_by_user[row.user_id.value].insert(id);
            auto issued = s.issued_ticket_by_seat.find(row.seat_id.value);
            if (row.status == TicketStatus::kIssued) {
                s.issued_ticket_by_seat[row.seat_id.value] = id;
            } else if (issued != s.issued_ticket_by_seat.end() && issued->second == id) {
                s.issued_ticket_by_seat.erase(issued);
            }
        }
        for (const auto& [id, row] : outbox_.rows) {
            s.outbox[id] = row;
            s.outbox_by_event_id[row.event_id] = id;
            s.pending_outbox.erase(id);
            s.dead_outbox.erase(id);
            if (row.status == OutboxStatus::kPending) s.pending_outbox.insert(id);
            if (row.status == OutboxStatus::kDead) s.dead_outbox.insert(id);
        }
        for (const auto& [key, seen] : deleted_idempotency_) s.idempotency.erase(key);
        for (const auto& [key, record] : new_idempotency_) s.idempotency[key] = record;
        for (auto id : deleted_outbox_) {
            if (auto it = s.outbox.find(id); it != s.outbox.end()) {
                s.outbox_by_event_id.erase(it->second.event_id);
                s.outbox.erase(it);
            }
        }
        for (const auto& key : deleted_inbox_) s.inbox.erase(key);
        for (const auto& [key, at] : new_inbox_) s.inbox[key] = at;
        for (const auto& [resource, seen] : deleted_fences_) {
            // Only the token seen: a fence advanced since (by another unit) keeps its row.
            if (auto it = s.fences.find(resource); it != s.fences.end() && it->second == seen) s.fences.erase(it);
        }
        for (const auto& [resource, token] : new_fences_) s.fences[resource] = token;
        for (const auto& [schedule, added] : new_sales_) {
            auto it = s.sales.find(schedule);
            s.sales[schedule] =
                Added(it == s.sales.end() ? std::nullopt : std::optional{it->second}, ScheduleId{schedule}, added);
        }
    }

    static ScheduleSales Added(
        const std::optional<ScheduleSales>& base, ScheduleId schedule, const std::pair<SalesDelta, Timestamp>& added
    ) {
        ScheduleSales out;
        out.schedule_id = schedule;
        if (base) out = *base;
        out.seats_sold += added.first.seats_sold;
        out.revenue += added.first.revenue;
        out.refunds += added.first.refunds;
        out.updated_at = added.second;
        return out;
    }

    std::shared_ptr<State> state_;
    ports::TxMode mode_;
    bool finished_{false};
    std::set<std::string, std::less<>> held_locks_;

    Staged<User> users_;
    Staged<Seat> seats_;
    Staged<Reservation> reservations_;
    Staged<Payment> payments_;
    Staged<Ticket> tickets_;
    Staged<OutboxEvent> outbox_;
    std::vector<LedgerEntry> new_ledger_;
    std::vector<Concert> new_concerts_;
    std::vector<Schedule> new_schedules_;
    std::map<std::pair<std::int64_t, std::string>, IdempotencyRecord, std::less<>> new_idempotency_;
    std::map<std::pair<std::int64_t, std::string>, std::optional<IdempotencyRecord>, std::less<>> deleted_idempotency_;
    std::map<std::pair<std::string, std::string>, Timestamp, std::less<>> new_inbox_;
    std::set<std::pair<std::string, std::string>, std::less<>> deleted_inbox_;
    std::set<std::int64_t, std::less<>> deleted_outbox_;
    std::map<std::string, std::uint64_t, std::less<>> new_fences_;
    std::map<std::string, std::uint64_t, std::less<>> deleted_fences_;    // -> the token seen
    std::map<std::int64_t, std::pair<SalesDelta, Timestamp>> new_sales_;  // -> additions, last stamp
};

}  // namespace

MemoryDatabase::MemoryDatabase(MemoryDatabaseOptions options) : state_(std::make_shared<State>(options)) {}

MemoryDatabase::~MemoryDatabase() = default;

Result<std::unique_ptr<ports::UnitOfWork>> MemoryDatabase::Begin(ports::TxMode mode) {
    if (!state_->available) return MakeError(Errc::kUnavailable, "the database is unavailable");
    return std::make_unique<MemoryUnitOfWork>(state_, mode);
}

void MemoryDatabase::SetAvailable(bool available) {
    state_->available = available;
}

}  // namespace ticketing::memory
