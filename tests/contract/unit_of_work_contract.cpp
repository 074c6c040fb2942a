// The UnitOfWork contract: every database adapter passes these unchanged.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <ticketing/ticketing.hpp>

#include "contract.hpp"

namespace ticketing::testing {
namespace {

using namespace std::chrono_literals;

ScheduleId SeedSchedule(
    ports::UnitOfWork& uow, Timestamp now, std::int32_t seats = 5, ConcertId* concert_out = nullptr
) {
    auto concert = TK_OK(uow.InsertConcert({{}, "Title", now - 1h, now + 1h}));
    if (concert_out) *concert_out = concert;
    auto schedule = TK_OK(uow.InsertSchedule({{}, concert, now + 48h, 1000, seats}));
    EXPECT_TRUE(uow.InsertSeats(schedule, seats, 1000).has_value());
    return schedule;
}

TEST_P(UnitOfWorkContract, InsertedUserIsFoundAfterCommit) {
    UserId id;
    {
        auto uow = Begin();
        id = TK_OK(uow->InsertUser({{}, "kim", 0, 0}));
        EXPECT_GT(id.value, 0);
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin(ports::TxMode::kRead);
    auto user = TK_OK(uow->FindUser(id));
    ASSERT_TRUE(user.has_value());
    EXPECT_EQ(user->name, "kim");
    EXPECT_EQ(user->balance, 0);
    EXPECT_FALSE(TK_OK(uow->FindUser(UserId{id.value + 1000})).has_value());
}

TEST_P(UnitOfWorkContract, FindExistingUsersAnswersManyIdsInOneCall) {
    std::vector<UserId> created;
    {
        auto uow = Begin();
        for (int i = 0; i < 3; ++i) created.push_back(TK_OK(uow->InsertUser({{}, "kim", 0, 0})));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin(ports::TxMode::kRead);
    const std::vector<UserId> asked{created[2], UserId{created[2].value + 1000}, created[0], created[0]};
    auto found = TK_OK(uow->FindExistingUsers(asked));
    std::sort(found.begin(), found.end(), [](UserId a, UserId b) { return a.value < b.value; });
    found.erase(std::unique(found.begin(), found.end()), found.end());
    EXPECT_EQ(found, (std::vector<UserId>{created[0], created[2]}));
    EXPECT_TRUE(TK_OK(uow->FindExistingUsers({})).empty());
}

TEST_P(UnitOfWorkContract, DroppedUnitOfWorkRollsBack) {
    UserId id;
    {
        auto uow = Begin();
        id = TK_OK(uow->InsertUser({{}, "kim", 0, 0}));
    }
    auto uow = Begin(ports::TxMode::kRead);
    EXPECT_FALSE(TK_OK(uow->FindUser(id)).has_value());
}

TEST_P(UnitOfWorkContract, VersionedUpdateBumpsVersionAndRefusesStaleWrites) {
    UserId id;
    {
        auto uow = Begin();
        id = TK_OK(uow->InsertUser({{}, "kim", 0, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin();
        auto user = TK_OK(uow->FindUserForUpdate(id)).value();
        user.balance = 500;
        ASSERT_TRUE(uow->UpdateUser(user).has_value());
        auto again = TK_OK(uow->FindUser(id)).value();  // reads its own write
        EXPECT_EQ(again.balance, 500);
        EXPECT_EQ(again.version, user.version + 1);
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin();
    auto stale = User{id, "kim", 900, 0};
    TK_EXPECT_ERROR(uow->UpdateUser(stale), Errc::kAborted);
}

TEST_P(UnitOfWorkContract, ConcurrentOptimisticWritersOneWins) {
    UserId id;
    {
        auto uow = Begin();
        id = TK_OK(uow->InsertUser({{}, "kim", 0, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto a = Begin();
    auto b = Begin();
    auto ua = TK_OK(a->FindUserForUpdate(id)).value();
    auto ub = TK_OK(b->FindUserForUpdate(id)).value();
    ua.balance = 1;
    ub.balance = 2;
    ASSERT_TRUE(a->UpdateUser(ua).has_value());
    ASSERT_TRUE(a->Commit().has_value());
    auto b_result = b->UpdateUser(ub);
    if (b_result) b_result = b->Commit();
    ASSERT_FALSE(b_result.has_value());
    EXPECT_EQ(b_result.error().code, Errc::kAborted);
    auto check = Begin(ports::TxMode::kRead);
    EXPECT_EQ(TK_OK(check->FindUser(id))->balance, 1);
}

TEST_P(UnitOfWorkContract, PessimisticReaderWaitsForTheLockHolder) {
    UserId id;
    {
        auto uow = Begin();
        id = TK_OK(uow->InsertUser({{}, "kim", 0, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto holder = Begin(ports::TxMode::kPessimistic);
    auto user = TK_OK(holder->FindUserForUpdate(id)).value();
    Money seen = -1;
    std::thread other([&] {
        auto uow = backend_->Db().Begin(ports::TxMode::kPessimistic);
        ASSERT_TRUE(uow.has_value()) << uow.error().message;
        auto found = (*uow)->FindUserForUpdate(id);
        ASSERT_TRUE(found.has_value()) << found.error().message;
        seen = (*found)->balance;
    });
    std::this_thread::sleep_for(100ms);
    user.balance = 700;
    ASSERT_TRUE(holder->UpdateUser(user).has_value());
    ASSERT_TRUE(holder->Commit().has_value());
    other.join();
    EXPECT_EQ(seen, 700);
}

TEST_P(UnitOfWorkContract, LedgerListsNewestFirstWithCursor) {
    auto uow = Begin();
    auto user = TK_OK(uow->InsertUser({{}, "kim", 0, 0}));
    std::vector<LedgerEntryId> ids;
    for (int i = 1; i <= 5; ++i) {
        ids.push_back(TK_OK(uow->InsertLedgerEntry({{}, user, LedgerType::kCharge, i * 100, i * 100, clock_.Now()})));
    }
    ASSERT_TRUE(uow->Commit().has_value());
    auto read = Begin(ports::TxMode::kRead);
    auto first = TK_OK(read->ListLedger(user, {0, 2}));
    ASSERT_EQ(first.size(), 2U);
    EXPECT_EQ(first[0].id, ids[4]);
    EXPECT_EQ(first[0].amount, 500);
    EXPECT_EQ(first[0].type, LedgerType::kCharge);
    EXPECT_EQ(first[0].created_at, clock_.Now());
    EXPECT_EQ(first[1].id, ids[3]);
    auto rest = TK_OK(read->ListLedger(user, {first[1].id.value, 10}));
    ASSERT_EQ(rest.size(), 3U);
    EXPECT_EQ(rest[0].id, ids[2]);
    EXPECT_EQ(rest[2].id, ids[0]);
}

TEST_P(UnitOfWorkContract, CatalogQueries) {
    const auto now = clock_.Now();
    ConcertId open_a, open_b, closed;
    {
        auto uow = Begin();
        open_a = TK_OK(uow->InsertConcert({{}, "A", now - 1h, now + 1h}));
        closed = TK_OK(uow->InsertConcert({{}, "Later", now + 1h, now + 2h}));
        open_b = TK_OK(uow->InsertConcert({{}, "B", now - 2h, now + 1min}));
        TK_OK(uow->InsertSchedule({{}, open_a, now + 72h, 2000, 3}));
        TK_OK(uow->InsertSchedule({{}, open_a, now + 48h, 1000, 2}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin(ports::TxMode::kRead);
    auto listed = TK_OK(uow->ListConcertsOpenAt(now, {0, 10}));
    ASSERT_EQ(listed.size(), 2U);
    EXPECT_EQ(listed[0].id, open_a);
    EXPECT_EQ(listed[0].title, "A");
    EXPECT_EQ(listed[0].reservation_opens_at, now - 1h);
    EXPECT_EQ(listed[1].id, open_b);
    auto page2 = TK_OK(uow->ListConcertsOpenAt(now, {open_a.value, 10}));
    ASSERT_EQ(page2.size(), 1U);
    EXPECT_EQ(page2[0].id, open_b);
    EXPECT_TRUE(TK_OK(uow->ListConcertsOpenAt(now + 1h, {0, 10})).size() == 1U);  // window is [opens, closes)
    EXPECT_EQ(TK_OK(uow->ListConcertsOpenAt(now + 1h, {0, 10}))[0].id, closed);
    auto schedules = TK_OK(uow->ListSchedules(open_a));
    ASSERT_EQ(schedules.size(), 2U);
    EXPECT_EQ(schedules[0].starts_at, now + 48h);
    EXPECT_EQ(schedules[0].price, 1000);
    EXPECT_EQ(schedules[0].total_seats, 2);
    EXPECT_EQ(TK_OK(uow->FindSchedule(schedules[1].id))->concert_id, open_a);
    EXPECT_FALSE(TK_OK(uow->FindConcert(ConcertId{closed.value + 100})).has_value());
}

TEST_P(UnitOfWorkContract, SeatsAreNumberedAndLockedByIdWithExpiredHoldsFree) {
    const auto now = clock_.Now();
    ConcertId concert;
    ScheduleId schedule;
    ScheduleId second;
    {
        auto uow = Begin();
        schedule = SeedSchedule(*uow, now, 5, &concert);
        second = TK_OK(uow->InsertSchedule({{}, concert, now + 72h, 1000, 3}));
        ASSERT_TRUE(uow->InsertSeats(second, 3, 1000).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    std::vector<Seat> seats;
    {
        auto uow = Begin(ports::TxMode::kRead);
        seats = TK_OK(uow->ListSeats(schedule));
        ASSERT_EQ(seats.size(), 5U);
        for (int i = 0; i < 5; ++i) {
            EXPECT_EQ(seats[static_cast<std::size_t>(i)].number, i + 1);
            EXPECT_EQ(seats[static_cast<std::size_t>(i)].status, SeatStatus::kAvailable);
            EXPECT_EQ(seats[static_cast<std::size_t>(i)].price, 1000);
        }
    }
    {
        auto uow = Begin();
        std::vector<SeatId> ids{seats[3].id, SeatId{999999}, seats[0].id};
        auto found = TK_OK(uow->FindSeatsForUpdate(ids));
        ASSERT_EQ(found.size(), 2U);
        EXPECT_EQ(found[0].id, seats[0].id);
        EXPECT_EQ(found[1].id, seats[3].id);
        found[0].status = SeatStatus::kHeld;  // expires in a minute
        found[0].held_by = ReservationId{1};
        found[0].held_until = now + 1min;
        found[1].status = SeatStatus::kHeld;  // already lapsed
        found[1].held_by = ReservationId{2};
        found[1].held_until = now - 1s;
        ASSERT_TRUE(uow->UpdateSeat(found[0]).has_value());
        ASSERT_TRUE(uow->UpdateSeat(found[1]).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin(ports::TxMode::kRead);
    EXPECT_EQ(TK_OK(uow->CountAvailableSeats(concert, now))[schedule], 4);
    EXPECT_EQ(TK_OK(uow->CountAvailableSeats(concert, now + 2min))[schedule], 5);
    EXPECT_EQ(TK_OK(uow->CountAvailableSeats(concert, now))[second], 3);
    EXPECT_EQ(TK_OK(uow->CountAvailableSeats(ConcertId{concert.value + 100}, now)).size(), 0U);
    auto after = TK_OK(uow->ListSeats(schedule));
    EXPECT_EQ(after[0].status, SeatStatus::kHeld);
    EXPECT_EQ(after[0].held_by, ReservationId{1});
    EXPECT_EQ(after[0].held_until, now + 1min);
}

Reservation MakeHold(
    UserId user, ConcertId concert, ScheduleId schedule, const Seat& seat, std::string token, Timestamp now
) {
    Reservation r;
    r.user_id = user;
    r.concert_id = concert;
    r.schedule_id = schedule;
    r.seats = {{seat.id, seat.number, seat.price}};
    r.amount = seat.price;
    r.live_token = std::move(token);
    r.created_at = now;
    r.expires_at = now + 5min;
    return r;
}

TEST_P(UnitOfWorkContract, ReservationsRoundTripAndOneLiveHoldPerToken) {
    const auto now = clock_.Now();
    ConcertId concert;
    ScheduleId schedule;
    UserId user;
    std::vector<Seat> seats;
    {
        auto uow = Begin();
        schedule = SeedSchedule(*uow, now, 3, &concert);
        user = TK_OK(uow->InsertUser({{}, "kim", 0, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
        seats = TK_OK(Begin(ports::TxMode::kRead)->ListSeats(schedule));
    }
    ReservationId id;
    {
        auto uow = Begin();
        auto hold = MakeHold(user, concert, schedule, seats[0], "1.aaaa", now);
        hold.seats.push_back({seats[1].id, seats[1].number, seats[1].price});
        hold.amount = 2000;
        id = TK_OK(uow->InsertReservation(hold));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin();
        auto found = TK_OK(uow->FindReservationByLiveTokenForUpdate("1.aaaa"));
        ASSERT_TRUE(found.has_value());
        EXPECT_EQ(found->id, id);
        EXPECT_EQ(found->seats.size(), 2U);
        EXPECT_EQ(found->seats[1].number, seats[1].number);
        EXPECT_EQ(found->amount, 2000);
        EXPECT_EQ(found->expires_at, now + 5min);
        EXPECT_EQ(found->status, ReservationStatus::kHeld);
        EXPECT_FALSE(TK_OK(uow->FindReservationByLiveTokenForUpdate("1.bbbb")).has_value());
        // A second live hold for the same token breaks the constraint.
        auto second = uow->InsertReservation(MakeHold(user, concert, schedule, seats[2], "1.aaaa", now));
        if (second) {
            auto committed = uow->Commit();
            ASSERT_FALSE(committed.has_value());
            EXPECT_EQ(committed.error().code, Errc::kAborted);
        } else {
            EXPECT_EQ(second.error().code, Errc::kAborted);
        }
    }
    {
        auto uow = Begin();
        auto hold = TK_OK(uow->FindReservationForUpdate(id)).value();
        hold.status = ReservationStatus::kExpired;
        hold.live_token.clear();
        ASSERT_TRUE(uow->UpdateReservation(hold).has_value());
        TK_OK(uow->InsertReservation(MakeHold(user, concert, schedule, seats[2], "1.aaaa", now)));
        auto committed = uow->Commit();
        ASSERT_TRUE(committed.has_value()) << committed.error().message;
    }
    auto uow = Begin(ports::TxMode::kRead);
    EXPECT_EQ(TK_OK(uow->FindReservation(id))->status, ReservationStatus::kExpired);
    EXPECT_TRUE(TK_OK(uow->ListExpiredHolds(now, 10)).empty());
    auto due = TK_OK(uow->ListExpiredHolds(now + 5min, 10));
    ASSERT_EQ(due.size(), 1U);
    EXPECT_NE(due[0], id);
}

TEST_P(UnitOfWorkContract, ReservationsAreInsertedFoundAndUpdatedAsASet) {
    const auto now = clock_.Now();
    ConcertId concert;
    ScheduleId schedule;
    UserId user;
    std::vector<Seat> seats;
    {
        auto uow = Begin();
        schedule = SeedSchedule(*uow, now, 5, &concert);
        user = TK_OK(uow->InsertUser({{}, "kim", 0, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
        seats = TK_OK(Begin(ports::TxMode::kRead)->ListSeats(schedule));
    }
    std::vector<Reservation> holds{
        MakeHold(user, concert, schedule, seats[3], "1.dddd", now),
        MakeHold(user, concert, schedule, seats[0], "1.aaaa", now),
        MakeHold(user, concert, schedule, seats[1], "1.bbbb", now),
    };
    holds[1].seats.push_back({seats[2].id, seats[2].number, seats[2].price});
    holds[2].live_token.clear();  // not live: stored without a token
    std::vector<ReservationId> ids;
    {
        auto uow = Begin();
        ids = TK_OK(uow->InsertReservations(holds));
        ASSERT_EQ(ids.size(), 3U);
        EXPECT_LT(ids[0], ids[1]);  // in the order given
        EXPECT_LT(ids[1], ids[2]);
        EXPECT_TRUE(TK_OK(uow->InsertReservations({})).empty());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    std::vector<Reservation> found;
    {
        auto uow = Begin();
        // Unknown ids and tokens are left out; each comes once, by id, with its own seats.
        found = TK_OK(uow->FindReservationsForUpdate(std::vector<ReservationId>{
            ids[2], ids[0], ReservationId{999999}, ids[1], ids[0]}));
        ASSERT_EQ(found.size(), 3U);
        EXPECT_EQ(found[0].id, ids[0]);
        EXPECT_EQ(found[1].seats.size(), 2U);
        EXPECT_EQ(found[1].seats[1].seat_id, seats[2].id);
        EXPECT_EQ(found[2].live_token, "");
        const std::vector<std::string> tokens{"1.aaaa", "", "1.zzzz", "1.dddd"};
        auto live = TK_OK(uow->FindReservationsByLiveTokensForUpdate(tokens));
        ASSERT_EQ(live.size(), 2U);
        EXPECT_EQ(live[0].id, ids[0]);
        EXPECT_EQ(live[0].live_token, "1.dddd");
        EXPECT_EQ(live[1].seats.size(), 2U);
        EXPECT_TRUE(TK_OK(uow->FindReservationsByLiveTokensForUpdate({})).empty());
    }
    {
        // Two of three written in one go, each with its own values.
        auto uow = Begin();
        auto changed = std::vector<Reservation>{found[0], found[1]};
        changed[0].status = ReservationStatus::kCancelled;
        changed[0].live_token.clear();
        changed[1].status = ReservationStatus::kPaid;
        changed[1].amount = 7;
        ASSERT_TRUE(uow->UpdateReservations(changed).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin(ports::TxMode::kRead);
        auto first = TK_OK(uow->FindReservation(ids[0])).value();
        EXPECT_EQ(first.status, ReservationStatus::kCancelled);
        EXPECT_EQ(first.live_token, "");
        EXPECT_EQ(first.version, 1);
        auto second = TK_OK(uow->FindReservation(ids[1])).value();
        EXPECT_EQ(second.status, ReservationStatus::kPaid);
        EXPECT_EQ(second.amount, 7);
        EXPECT_EQ(second.live_token, "1.aaaa");
        EXPECT_EQ(second.seats.size(), 2U);
        EXPECT_EQ(TK_OK(uow->FindReservation(ids[2]))->version, 0);
    }
    {
        // One stale version (found[1] was written since) among two: ABORTED, and neither written.
        auto uow = Begin();
        auto stale = std::vector<Reservation>{found[2], found[1]};
        stale[0].status = ReservationStatus::kExpired;
        auto updated = uow->UpdateReservations(stale);
        auto done = updated ? uow->Commit() : updated;
        ASSERT_FALSE(done.has_value());
        EXPECT_EQ(done.error().code, Errc::kAborted);
    }
    EXPECT_EQ(TK_OK(Begin(ports::TxMode::kRead)->FindReservation(ids[2]))->status, ReservationStatus::kHeld);
    {
        // A token already live breaks the constraint for the whole set: none inserted.
        auto uow = Begin();
        std::vector<Reservation> again{
            MakeHold(user, concert, schedule, seats[4], "1.eeee", now),
            MakeHold(user, concert, schedule, seats[4], "1.aaaa", now),
        };
        auto inserted = uow->InsertReservations(again);
        auto done = inserted ? uow->Commit() : Result<void>(Forward(inserted.error()));
        ASSERT_FALSE(done.has_value());
        EXPECT_EQ(done.error().code, Errc::kAborted);
    }
    {
        // Two new holds of one token in one set break it too.
        auto uow = Begin();
        std::vector<Reservation> twice{
            MakeHold(user, concert, schedule, seats[4], "1.ffff", now),
            MakeHold(user, concert, schedule, seats[4], "1.ffff", now),
        };
        auto inserted = uow->InsertReservations(twice);
        auto done = inserted ? uow->Commit() : Result<void>(Forward(inserted.error()));
        ASSERT_FALSE(done.has_value());
        EXPECT_EQ(done.error().code, Errc::kAborted);
    }
    const std::vector<std::string> gone{"1.eeee", "1.ffff"};
    EXPECT_TRUE(TK_OK(Begin()->FindReservationsByLiveTokensForUpdate(gone)).empty());
}

TEST_P(UnitOfWorkContract, ASeatHasOneIssuedTicketAtMost) {
    const auto now = clock_.Now();
    ConcertId concert;
    ScheduleId schedule;
    UserId user;
    PaymentId payment;
    Seat seat;
    {
        auto uow = Begin();
        schedule = SeedSchedule(*uow, now, 1, &concert);
        user = TK_OK(uow->InsertUser({{}, "kim", 0, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
        seat = TK_OK(Begin(ports::TxMode::kRead)->ListSeats(schedule))[0];
    }
    TicketId first;
    {
        auto uow = Begin();
        payment = TK_OK(uow->InsertPayment({{}, ReservationId{1}, user, 1000, PaymentStatus::kCompleted, now, 0}));
        first =
            TK_OK(uow->InsertTicket({{}, payment, user, concert, schedule, seat.id, 1, 1000, TicketStatus::kIssued, 0})
            );
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin();
        auto second =
            uow->InsertTicket({{}, payment, user, concert, schedule, seat.id, 1, 1000, TicketStatus::kIssued, 0});
        auto done = second ? uow->Commit() : Result<void>(Forward(second.error()));
        ASSERT_FALSE(done.has_value());
        EXPECT_EQ(done.error().code, Errc::kAborted);
    }
    {
        auto uow = Begin();
        auto tickets = TK_OK(uow->ListTicketsByPayment(payment));
        ASSERT_EQ(tickets.size(), 1U);
        tickets[0].status = TicketStatus::kRefunded;
        ASSERT_TRUE(uow->UpdateTicket(tickets[0]).has_value());
        auto p = TK_OK(uow->FindPaymentForUpdate(payment)).value();
        p.status = PaymentStatus::kRefunded;
        ASSERT_TRUE(uow->UpdatePayment(p).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin();
        TK_OK(uow->InsertTicket({{}, payment, user, concert, schedule, seat.id, 1, 1000, TicketStatus::kIssued, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin(ports::TxMode::kRead);
    auto mine = TK_OK(uow->ListTicketsByUser(user, {0, 10}));
    ASSERT_EQ(mine.size(), 2U);
    EXPECT_EQ(mine[0].id, first);
    EXPECT_EQ(mine[0].status, TicketStatus::kRefunded);
    EXPECT_EQ(mine[1].status, TicketStatus::kIssued);
    EXPECT_EQ(TK_OK(uow->ListTicketsByUser(user, {first.value, 10})).size(), 1U);
    EXPECT_EQ(TK_OK(uow->FindPayment(payment))->status, PaymentStatus::kRefunded);
}

TEST_P(UnitOfWorkContract, OutboxAndInbox) {
    const auto now = clock_.Now();
    {
        auto uow = Begin();
        for (int i = 0; i < 3; ++i) {
            OutboxEvent e;
            e.event_id = "evt-" + std::to_string(i);
            e.aggregate = "payment:" + std::to_string(i % 2);
            e.type = "payment.completed";
            e.payload = std::string(5000, 'x');  // larger than any VARCHAR(255)
            e.created_at = now + std::chrono::seconds(i);
            e.next_attempt_at = now;
            TK_OK(uow->InsertOutboxEvent(e));
        }
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin();
        std::vector<OutboxEvent> pending;
        for (const auto* id : {"evt-0", "evt-1", "evt-2"}) pending.push_back(TK_OK(uow->FindOutboxEvent(id)).value());
        EXPECT_EQ(pending[0].payload.size(), 5000U);
        EXPECT_EQ(TK_OK(uow->CountOutbox()).oldest_pending_at, now);
        pending[0].status = OutboxStatus::kPublished;
        pending[1].status = OutboxStatus::kDead;
        pending[1].attempts = 10;
        pending[1].last_error = "broker down";
        ASSERT_TRUE(uow->UpdateOutboxEvent(pending[0]).has_value());
        ASSERT_TRUE(uow->UpdateOutboxEvent(pending[1]).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin();
        auto counts = TK_OK(uow->CountOutbox());
        EXPECT_EQ(counts.pending, 1);
        EXPECT_EQ(counts.dead, 1);
        EXPECT_EQ(counts.oldest_pending_at, now + std::chrono::seconds(2));
        auto dead = TK_OK(uow->FindOutboxEvent("evt-1")).value();
        EXPECT_EQ(dead.status, OutboxStatus::kDead);
        EXPECT_EQ(dead.last_error, "broker down");
        EXPECT_FALSE(TK_OK(uow->FindOutboxEvent("nope")).has_value());
        EXPECT_TRUE(TK_OK(uow->RecordInbox("history", "evt-0", now)));
        EXPECT_FALSE(TK_OK(uow->RecordInbox("history", "evt-0", now)));
        EXPECT_TRUE(TK_OK(uow->RecordInbox("mailer", "evt-0", now)));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin();
    EXPECT_FALSE(TK_OK(uow->RecordInbox("history", "evt-0", now)));
}

OutboxEvent NewEvent(std::string id, std::string aggregate, Timestamp created, Timestamp due) {
    OutboxEvent e;
    e.event_id = std::move(id);
    e.aggregate = std::move(aggregate);
    e.type = "payment.completed";
    e.payload = "{}";
    e.created_at = created;
    e.next_attempt_at = due;
    return e;
}

std::vector<std::string> EventIds(const std::vector<OutboxEvent>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.event_id);
    return out;
}

TEST_P(UnitOfWorkContract, ListDeadOutboxEventsNewestFirstAndBounded) {
    const auto now = clock_.Now();
    {
        auto uow = Begin();
        // "same" is created with "newer": the id breaks the tie. "live" stays pending.
        for (const auto& [id, created] : std::vector<std::pair<std::string, Timestamp>>{
                 {"old", now}, {"newer", now + 2s}, {"same", now + 2s}, {"live", now + 5s}, {"mid", now + 1s}}) {
            TK_OK(uow->InsertOutboxEvent(NewEvent(id, "agg:" + id, created, now)));
        }
        EXPECT_TRUE(TK_OK(uow->ListDeadOutboxEvents(10)).empty());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin();
        for (const auto* id : {"old", "newer", "same", "mid"}) {
            auto event = TK_OK(uow->FindOutboxEvent(id)).value();
            event.status = OutboxStatus::kDead;
            event.attempts = 10;
            event.last_error = std::string("broker refused ") + id;
            ASSERT_TRUE(uow->UpdateOutboxEvent(event).has_value());
        }
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin();
    const auto all = TK_OK(uow->ListDeadOutboxEvents(10));
    EXPECT_EQ(EventIds(all), (std::vector<std::string>{"same", "newer", "mid", "old"}));
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all[0].status, OutboxStatus::kDead);
    EXPECT_EQ(all[0].attempts, 10);
    EXPECT_EQ(all[0].last_error, "broker refused same");
    EXPECT_EQ(all[0].type, "payment.completed");
    EXPECT_EQ(all[0].aggregate, "agg:same");
    EXPECT_EQ(all[0].created_at, now + 2s);
    EXPECT_EQ(EventIds(TK_OK(uow->ListDeadOutboxEvents(2))), (std::vector<std::string>{"same", "newer"}));
    EXPECT_TRUE(TK_OK(uow->ListDeadOutboxEvents(0)).empty());
}

TEST_P(UnitOfWorkContract, ClaimTakesDueEventsByDueTimeAndTheFirstOfEachAggregate) {
    const auto now = clock_.Now();
    {
        auto uow = Begin();
        TK_OK(uow->InsertOutboxEvent(NewEvent("a1", "payment:1", now, now + 1min)));  // backing off
        TK_OK(uow->InsertOutboxEvent(NewEvent("a2", "payment:1", now, now)));         // behind a1
        TK_OK(uow->InsertOutboxEvent(NewEvent("b1", "payment:2", now, now - 1s)));
        TK_OK(uow->InsertOutboxEvent(NewEvent("c1", "payment:3", now, now - 2s)));
        TK_OK(uow->InsertOutboxEvent(NewEvent("d1", "payment:4", now, now)));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    std::vector<OutboxEvent> claimed;
    {
        auto uow = Begin(ports::TxMode::kPessimistic);
        claimed = TK_OK(uow->ClaimOutboxEvents({"relay-1", now, now + 30s, 2}));
        EXPECT_EQ(EventIds(claimed), (std::vector<std::string>{"c1", "b1"}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin(ports::TxMode::kPessimistic);
        EXPECT_EQ(
            EventIds(TK_OK(uow->ClaimOutboxEvents({"relay-2", now, now + 30s, 10}))), std::vector<std::string>{"d1"}
        );
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin(ports::TxMode::kRead);
        auto stored = TK_OK(uow->FindOutboxEvent("c1")).value();
        EXPECT_EQ(stored.claimed_by, "relay-1");
        EXPECT_EQ(stored.claim_until, now + 30s);
    }
    const std::vector<ports::OutboxMark> marks{
        {claimed[0].id, OutboxStatus::kPublished, 0, claimed[0].next_attempt_at, ""},
        {claimed[1].id, OutboxStatus::kPending, 1, now + 5s, "broker said 'no': :e1"},
    };
    {
        auto uow = Begin();
        EXPECT_EQ(TK_OK(uow->MarkOutboxEvents("relay-2", marks)), 0);  // not its claim
        EXPECT_EQ(TK_OK(uow->MarkOutboxEvents("relay-1", marks)), 2);
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin(ports::TxMode::kRead);
        auto c1 = TK_OK(uow->FindOutboxEvent("c1")).value();
        EXPECT_EQ(c1.status, OutboxStatus::kPublished);
        EXPECT_TRUE(c1.claimed_by.empty());
        auto b1 = TK_OK(uow->FindOutboxEvent("b1")).value();
        EXPECT_EQ(b1.status, OutboxStatus::kPending);
        EXPECT_EQ(b1.attempts, 1);
        EXPECT_EQ(b1.next_attempt_at, now + 5s);
        EXPECT_EQ(b1.last_error, "broker said 'no': :e1");
        EXPECT_EQ(b1.claim_until, Timestamp{});
    }
    {
        auto uow = Begin();
        EXPECT_EQ(TK_OK(uow->MarkOutboxEvents("relay-1", marks)), 0);  // marked once
    }
    // d1's claim lapses: claimed again. a1 becomes due: a2 still waits behind it.
    auto uow = Begin(ports::TxMode::kPessimistic);
    EXPECT_EQ(
        EventIds(TK_OK(uow->ClaimOutboxEvents({"relay-3", now + 1min, now + 2min, 10}))),
        (std::vector<std::string>{"d1", "b1", "a1"})
    );
}

TEST_P(UnitOfWorkContract, ConcurrentRelaysNeverHoldTheSameEvent) {
    constexpr int kEvents = 300;
    const auto now = clock_.Now();
    {
        auto uow = Begin();
        for (int i = 0; i < kEvents; ++i) {
            // Some aggregates with two events: the second is claimable only after the first is marked.
            TK_OK(
                uow->InsertOutboxEvent(NewEvent("evt-" + std::to_string(i), "agg:" + std::to_string(i % 200), now, now))
            );
        }
        ASSERT_TRUE(uow->Commit().has_value());
    }
    std::mutex mutex;
    std::map<std::string, int> claims;
    std::set<std::string> held;  // claimed and not yet marked, across relays
    bool overlap = false;
    std::atomic<int> errors{0};
    std::atomic<int> marked{0};
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    auto relay = [&](int n) {
        const std::string owner = "relay-" + std::to_string(n);
        while (marked < kEvents && std::chrono::steady_clock::now() < deadline) {
            std::vector<OutboxEvent> batch;
            {
                auto uow = backend_->Db().Begin(ports::TxMode::kPessimistic);
                if (!uow) {
                    ++errors;
                    return;
                }
                // A lost race (memory, SQLite) or an empty claim: try again.
                auto claimed = (*uow)->ClaimOutboxEvents({owner, now, now + 1h, 16});
                if (!claimed || claimed->empty() || !(*uow)->Commit()) {
                    std::this_thread::sleep_for(1ms);
                    continue;
                }
                batch = std::move(*claimed);
            }
            std::vector<ports::OutboxMark> marks;
            {
                std::lock_guard lock(mutex);
                for (const auto& e : batch) {
                    ++claims[e.event_id];
                    overlap = overlap || !held.insert(e.event_id).second;
                    marks.push_back({e.id, OutboxStatus::kPublished, 0, now, ""});
                }
            }
            // A mark that timed out waiting for the database lock is tried again (a relay would
            // leave the claim to lapse and publish again).
            for (int attempt = 0;; ++attempt) {
                auto uow = backend_->Db().Begin(ports::TxMode::kPessimistic);
                auto done = uow ? (*uow)->MarkOutboxEvents(owner, marks) : tl::unexpected(uow.error());
                auto committed = done ? (*uow)->Commit() : tl::unexpected(done.error());
                if (committed && *done == static_cast<std::int64_t>(marks.size())) break;
                if (attempt == 10 || (committed && *done != static_cast<std::int64_t>(marks.size()))) {
                    ADD_FAILURE() << (committed ? "marked too few" : committed.error().message);
                    ++errors;
                    break;
                }
            }
            std::lock_guard lock(mutex);
            for (const auto& e : batch) held.erase(e.event_id);
            marked += static_cast<int>(batch.size());
        }
    };
    std::thread first(relay, 1);
    std::thread second(relay, 2);
    first.join();
    second.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_FALSE(overlap);
    EXPECT_EQ(claims.size(), static_cast<std::size_t>(kEvents));
    for (const auto& [id, count] : claims) EXPECT_EQ(count, 1) << id;
    auto uow = Begin(ports::TxMode::kRead);
    EXPECT_EQ(TK_OK(uow->CountOutbox()).pending, 0);
}

TEST_P(UnitOfWorkContract, ScheduleSalesAddUpAcrossUnitsOfWork) {
    const auto now = clock_.Now();
    {
        auto uow = Begin();
        EXPECT_FALSE(TK_OK(uow->FindScheduleSales(ScheduleId{7})).has_value());
        ASSERT_TRUE(uow->AddScheduleSales(ScheduleId{7}, {2, 20'000, 0}, now).has_value());
        ASSERT_TRUE(uow->AddScheduleSales(ScheduleId{7}, {1, 10'000, 0}, now + 1s).has_value());
        EXPECT_EQ(TK_OK(uow->FindScheduleSales(ScheduleId{7}))->seats_sold, 3);  // reads its own additions
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto dropped = Begin();
        ASSERT_TRUE(dropped->AddScheduleSales(ScheduleId{7}, {100, 1, 1}, now).has_value());
    }
    {
        auto uow = Begin();
        ASSERT_TRUE(uow->AddScheduleSales(ScheduleId{7}, {-1, -10'000, 1}, now + 2s).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin(ports::TxMode::kRead);
    auto sales = TK_OK(uow->FindScheduleSales(ScheduleId{7})).value();
    EXPECT_EQ(sales.schedule_id, ScheduleId{7});
    EXPECT_EQ(sales.seats_sold, 2);
    EXPECT_EQ(sales.revenue, 20'000);
    EXPECT_EQ(sales.refunds, 1);
    EXPECT_EQ(sales.updated_at, now + 2s);
    EXPECT_FALSE(TK_OK(uow->FindScheduleSales(ScheduleId{8})).has_value());
}

TEST_P(UnitOfWorkContract, IdempotencyKeysAreUniquePerUser) {
    const auto now = clock_.Now();
    {
        auto uow = Begin();
        ASSERT_TRUE(uow->InsertIdempotency({UserId{1}, "k1", "charge|amount=5", "balance=5", now}).has_value());
        ASSERT_TRUE(uow->InsertIdempotency({UserId{2}, "k1", "charge|amount=6", "balance=6", now}).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin();
        auto found = TK_OK(uow->FindIdempotency(UserId{1}, "k1")).value();
        EXPECT_EQ(found.request_hash, "charge|amount=5");
        EXPECT_EQ(found.response, "balance=5");
        EXPECT_EQ(found.created_at, now);
        auto dup = uow->InsertIdempotency({UserId{1}, "k1", "x", "y", now});
        auto done = dup ? uow->Commit() : dup;
        ASSERT_FALSE(done.has_value());
        EXPECT_EQ(done.error().code, Errc::kAborted);
    }
    {
        auto uow = Begin();
        ASSERT_TRUE(uow->DeleteIdempotency(UserId{1}, "k1").has_value());
        ASSERT_TRUE(uow->InsertIdempotency({UserId{1}, "k1", "new", "balance=9", now}).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin(ports::TxMode::kRead);
    EXPECT_EQ(TK_OK(uow->FindIdempotency(UserId{1}, "k1"))->request_hash, "new");
}

TEST_P(UnitOfWorkContract, StaleFencingTokenIsRefused) {
    {
        auto uow = Begin();
        ASSERT_TRUE(uow->AdvanceFence("lock:seat:1", 5).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin();
        ASSERT_TRUE(uow->AdvanceFence("lock:seat:1", 6).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin();
    auto stale = uow->AdvanceFence("lock:seat:1", 5);
    auto done = stale ? uow->Commit() : stale;
    ASSERT_FALSE(done.has_value());
    EXPECT_EQ(done.error().code, Errc::kAborted);
}

TEST_P(UnitOfWorkContract, FencesOfALeaseAdvanceTogetherOrNotAtAll) {
    {
        auto uow = Begin();
        ASSERT_TRUE(uow->AdvanceFence("lock:seat:2", 7).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        // Two new, one equal to what is stored: all advance.
        auto uow = Begin();
        const std::vector<ports::Fence> fences{{"lock:seat:1", 5}, {"lock:seat:2", 7}, {"lock:user:1", 3}};
        ASSERT_TRUE(uow->AdvanceFences(fences).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        // One of three stale: refused, and the others are not advanced either.
        auto uow = Begin();
        const std::vector<ports::Fence> fences{{"lock:seat:1", 9}, {"lock:seat:2", 6}, {"lock:user:1", 9}};
        auto stale = uow->AdvanceFences(fences);
        auto done = stale ? uow->Commit() : stale;
        ASSERT_FALSE(done.has_value());
        EXPECT_EQ(done.error().code, Errc::kAborted);
    }
    auto uow = Begin();
    EXPECT_EQ(uow->AdvanceFence("lock:seat:1", 8).has_value(), true) << "seat:1 stayed at 5";
    EXPECT_EQ(uow->AdvanceFence("lock:user:1", 4).has_value(), true) << "user:1 stayed at 3";
    EXPECT_TRUE(uow->AdvanceFences({}).has_value());
    const std::vector<ports::Fence> beyond{{"lock:seat:3", 1ULL << 63U}};
    EXPECT_EQ(uow->AdvanceFences(beyond).error().code, Errc::kInvalidArgument);
}

TEST_P(UnitOfWorkContract, SeatsAreWrittenAsASetAllOrNothing) {
    const auto now = clock_.Now();
    ScheduleId schedule;
    {
        auto uow = Begin();
        schedule = SeedSchedule(*uow, now, 4);
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto seats = TK_OK(Begin(ports::TxMode::kRead)->ListSeats(schedule));
    ASSERT_EQ(seats.size(), 4U);
    const ReservationId hold{41};
    {
        // Seats 1 and 2 to one hold, seat 3 released with other values: one batch.
        auto uow = Begin();
        auto locked =
            TK_OK(uow->FindSeatsForUpdate(std::vector<SeatId>{seats[2].id, seats[0].id, seats[1].id, seats[0].id}));
        ASSERT_EQ(locked.size(), 3U);
        EXPECT_EQ(locked[0].id, seats[0].id);  // by id
        locked[0].HoldFor(hold, now + 5min);
        locked[1].HoldFor(hold, now + 5min);
        locked[2].HoldFor(ReservationId{42}, now + 1min);
        ASSERT_TRUE(uow->UpdateSeats(locked).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    seats = TK_OK(Begin(ports::TxMode::kRead)->ListSeats(schedule));
    EXPECT_EQ(seats[0].status, SeatStatus::kHeld);
    EXPECT_EQ(seats[1].held_by, hold);
    EXPECT_EQ(seats[1].held_until, now + 5min);
    EXPECT_EQ(seats[2].held_by, ReservationId{42});
    EXPECT_EQ(seats[0].version, 1);
    EXPECT_EQ(seats[3].status, SeatStatus::kAvailable);
    {
        // One stale version among three: ABORTED, and none of them written.
        auto uow = Begin();
        auto stale = seats;
        stale.resize(3);
        for (auto& seat : stale) seat.status = SeatStatus::kAvailable;
        stale[1].version = 0;
        auto updated = uow->UpdateSeats(stale);
        auto done = updated ? uow->Commit() : updated;
        ASSERT_FALSE(done.has_value());
        EXPECT_EQ(done.error().code, Errc::kAborted);
    }
    auto after = TK_OK(Begin(ports::TxMode::kRead)->ListSeats(schedule));
    EXPECT_EQ(after[0].status, SeatStatus::kHeld);
    EXPECT_EQ(after[2].status, SeatStatus::kHeld);
    {
        // HELD by the hold -> SOLD to it: only the two seats it holds change.
        auto uow = Begin();
        const std::vector<SeatId> ids{seats[0].id, seats[1].id, seats[2].id, seats[3].id};
        const ports::SeatHolding held{SeatStatus::kHeld, hold, {}};
        const ports::SeatHolding sold{SeatStatus::kSold, hold, now + 5min};
        EXPECT_EQ(TK_OK(uow->TransitionSeats(ids, held, sold)), 2);
        EXPECT_EQ(TK_OK(uow->TransitionSeats(ids, held, sold)), 0);  // sees its own write
        EXPECT_EQ(TK_OK(uow->TransitionSeats({}, held, sold)), 0);
        ASSERT_TRUE(uow->Commit().has_value());
    }
    after = TK_OK(Begin(ports::TxMode::kRead)->ListSeats(schedule));
    EXPECT_EQ(after[0].status, SeatStatus::kSold);
    EXPECT_EQ(after[1].status, SeatStatus::kSold);
    EXPECT_EQ(after[1].held_by, hold);
    EXPECT_EQ(after[1].version, 2);
    EXPECT_EQ(after[2].status, SeatStatus::kHeld);
    EXPECT_EQ(after[3].status, SeatStatus::kAvailable);
    EXPECT_EQ(after[3].version, 0);
}

TEST_P(UnitOfWorkContract, ABalanceChangeIsConditionalAndWritesItsLedgerRow) {
    const auto now = clock_.Now();
    UserId id;
    {
        auto uow = Begin();
        id = TK_OK(uow->InsertUser({{}, "kim", 3000, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin();
        auto entry = TK_OK(uow->ApplyBalanceChange({{}, id, LedgerType::kPayment, -2000, 0, now}));
        ASSERT_TRUE(entry.has_value());
        EXPECT_GT(entry->id.value, 0);
        EXPECT_EQ(entry->balance_after, 1000);
        EXPECT_EQ(TK_OK(uow->FindUser(id))->balance, 1000);  // reads its own write
        // Below zero, or no such user: nothing written.
        EXPECT_FALSE(TK_OK(uow->ApplyBalanceChange({{}, id, LedgerType::kPayment, -1001, 0, now})).has_value());
        EXPECT_FALSE(
            TK_OK(uow->ApplyBalanceChange({{}, UserId{id.value + 1000}, LedgerType::kPayment, -1, 0, now})).has_value()
        );
        auto last = TK_OK(uow->ApplyBalanceChange({{}, id, LedgerType::kPayment, -1000, 0, now}));
        ASSERT_TRUE(last.has_value());
        EXPECT_EQ(last->balance_after, 0);
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin(ports::TxMode::kRead);
    auto user = TK_OK(uow->FindUser(id)).value();
    EXPECT_EQ(user.balance, 0);
    EXPECT_EQ(user.version, 2);
    auto ledger = TK_OK(uow->ListLedger(id, {0, 10}));
    ASSERT_EQ(ledger.size(), 2U);
    EXPECT_EQ(ledger[0].amount, -1000);
    EXPECT_EQ(ledger[0].balance_after, 0);
    EXPECT_EQ(ledger[1].balance_after, 1000);
    EXPECT_EQ(ledger[1].type, LedgerType::kPayment);
}

TEST_P(UnitOfWorkContract, UsersAreFoundAndUpdatedAsASetWithTheirLedgerRows) {
    const auto now = clock_.Now();
    std::vector<UserId> ids;
    {
        auto uow = Begin();
        for (const auto* name : {"kim", "lee", "park"}) ids.push_back(TK_OK(uow->InsertUser({{}, name, 100, 0})));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    std::vector<User> found;
    {
        // Unknown ids are left out; each comes once, by id.
        auto uow = Begin();
        found = TK_OK(uow->FindUsersForUpdate(std::vector<UserId>{ids[2], ids[0], UserId{999999}, ids[2]}));
        ASSERT_EQ(found.size(), 2U);
        EXPECT_EQ(found[0].id, ids[0]);
        EXPECT_EQ(found[1].id, ids[2]);
        EXPECT_EQ(found[1].name, "park");
        EXPECT_TRUE(TK_OK(uow->FindUsersForUpdate({})).empty());
    }
    {
        // Both written in one go, each with its own values, and their ledger rows in the order given.
        auto uow = Begin();
        auto changed = found;
        changed[0].balance = 150;
        changed[1].balance = 7;
        changed[1].name = "park's";
        ASSERT_TRUE(uow->UpdateUsers(changed).has_value());
        ASSERT_TRUE(uow->UpdateUsers({}).has_value());
        const std::vector<LedgerEntry> entries{
            {{}, ids[0], LedgerType::kCharge, 20, 120, now},
            {{}, ids[2], LedgerType::kRefund, -93, 7, now},
            {{}, ids[0], LedgerType::kCharge, 30, 150, now},
        };
        ASSERT_TRUE(uow->InsertLedgerEntries(entries).has_value());
        ASSERT_TRUE(uow->InsertLedgerEntries({}).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin(ports::TxMode::kRead);
        auto first = TK_OK(uow->FindUser(ids[0])).value();
        EXPECT_EQ(first.balance, 150);
        EXPECT_EQ(first.version, 1);
        auto third = TK_OK(uow->FindUser(ids[2])).value();
        EXPECT_EQ(third.balance, 7);
        EXPECT_EQ(third.name, "park's");
        EXPECT_EQ(TK_OK(uow->FindUser(ids[1]))->version, 0);
        auto ledger = TK_OK(uow->ListLedger(ids[0], {0, 10}));
        ASSERT_EQ(ledger.size(), 2U);
        EXPECT_EQ(ledger[0].amount, 30);  // newest first
        EXPECT_EQ(ledger[0].balance_after, 150);
        EXPECT_EQ(ledger[1].amount, 20);
        auto refund = TK_OK(uow->ListLedger(ids[2], {0, 10}));
        ASSERT_EQ(refund.size(), 1U);
        EXPECT_EQ(refund[0].type, LedgerType::kRefund);
        EXPECT_EQ(refund[0].amount, -93);
        EXPECT_EQ(refund[0].created_at, now);
    }
    {
        // One stale version (found[1] was written since) among two: ABORTED, and neither written.
        auto uow = Begin();
        auto stale = std::vector<User>{TK_OK(uow->FindUser(ids[1])).value(), found[1]};
        stale[0].balance = 1;
        stale[1].balance = 2;
        auto updated = uow->UpdateUsers(stale);
        auto done = updated ? uow->Commit() : updated;
        ASSERT_FALSE(done.has_value());
        EXPECT_EQ(done.error().code, Errc::kAborted);
    }
    EXPECT_EQ(TK_OK(Begin(ports::TxMode::kRead)->FindUser(ids[1]))->balance, 100);
}

TEST_P(UnitOfWorkContract, TicketsAreInsertedAsASet) {
    const auto now = clock_.Now();
    ConcertId concert;
    ScheduleId schedule;
    UserId user;
    PaymentId payment;
    {
        auto uow = Begin();
        schedule = SeedSchedule(*uow, now, 3, &concert);
        user = TK_OK(uow->InsertUser({{}, "kim", 0, 0}));
        payment = TK_OK(uow->InsertPayment({{}, ReservationId{1}, user, 3000, PaymentStatus::kCompleted, now, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    const auto seats = TK_OK(Begin(ports::TxMode::kRead)->ListSeats(schedule));
    std::vector<Ticket> tickets;
    for (const auto& seat : seats) {
        tickets.push_back({{}, payment, user, concert, schedule, seat.id, seat.number, 1000, TicketStatus::kIssued, 0});
    }
    std::vector<TicketId> ids;
    {
        auto uow = Begin();
        ids = TK_OK(uow->InsertTickets(tickets));
        EXPECT_TRUE(TK_OK(uow->InsertTickets({})).empty());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    ASSERT_EQ(ids.size(), 3U);
    auto listed = TK_OK(Begin(ports::TxMode::kRead)->ListTicketsByPayment(payment));
    ASSERT_EQ(listed.size(), 3U);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(listed[i].id, ids[i]);
        EXPECT_EQ(listed[i].seat_id, seats[i].id);
        EXPECT_EQ(listed[i].seat_number, seats[i].number);
    }
    {
        // A seat that already has an issued ticket: the whole set is refused.
        auto uow = Begin();
        std::vector<Ticket> again{tickets[2]};
        again[0].seat_id = seats[2].id;
        auto inserted = uow->InsertTickets(again);
        auto done = inserted ? uow->Commit() : Result<void>(Forward(inserted.error()));
        ASSERT_FALSE(done.has_value());
        EXPECT_EQ(done.error().code, Errc::kAborted);
    }
    EXPECT_EQ(TK_OK(Begin(ports::TxMode::kRead)->ListTicketsByPayment(payment)).size(), 3U);
}

TEST_P(UnitOfWorkContract, KeysCompareByExactBytes) {
    const auto now = clock_.Now();
    auto uow = Begin();
    EXPECT_TRUE(TK_OK(uow->RecordInbox("history", "e1", now)));
    EXPECT_TRUE(TK_OK(uow->RecordInbox("history", "e1 ", now)));  // a trailing space is another id
    EXPECT_TRUE(TK_OK(uow->RecordInbox("history", "E1", now)));
    ASSERT_TRUE(uow->InsertIdempotency({UserId{1}, "k", "h1", "r1", now}).has_value());
    ASSERT_TRUE(uow->InsertIdempotency({UserId{1}, "k ", "h2", "r2", now}).has_value());
    ASSERT_TRUE(uow->Commit().has_value());
    auto read = Begin(ports::TxMode::kRead);
    EXPECT_EQ(TK_OK(read->FindIdempotency(UserId{1}, "k"))->request_hash, "h1");
    EXPECT_EQ(TK_OK(read->FindIdempotency(UserId{1}, "k "))->request_hash, "h2");
    EXPECT_FALSE(TK_OK(read->FindIdempotency(UserId{1}, "K")).has_value());
}

TEST_P(UnitOfWorkContract, FencingTokensBeyondInt64AreRefused) {
    auto uow = Begin();
    TK_EXPECT_ERROR(uow->AdvanceFence("lock:seat:1", ~std::uint64_t{0}), Errc::kInvalidArgument);
}

TEST_P(UnitOfWorkContract, CountLiveHoldsCountsHeldHoldsNotYetExpired) {
    const auto now = clock_.Now();
    ConcertId concert;
    ScheduleId schedule;
    UserId user;
    {
        auto uow = Begin();
        schedule = SeedSchedule(*uow, now, 3, &concert);
        user = TK_OK(uow->InsertUser({{}, "kim", 0, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    const auto seats = TK_OK(Begin(ports::TxMode::kRead)->ListSeats(schedule));
    {
        auto uow = Begin();
        TK_OK(uow->InsertReservation(MakeHold(user, concert, schedule, seats[0], "1.a", now)));
        TK_OK(uow->InsertReservation(MakeHold(user, concert, schedule, seats[1], "1.b", now + 1min)));
        auto paid = MakeHold(user, concert, schedule, seats[2], "", now);
        paid.status = ReservationStatus::kPaid;
        TK_OK(uow->InsertReservation(paid));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin(ports::TxMode::kRead);
    EXPECT_EQ(TK_OK(uow->CountLiveHolds(now)), 2);
    EXPECT_EQ(TK_OK(uow->CountLiveHolds(now + 5min)), 1);  // the first expires at now + 5min exactly
    EXPECT_EQ(TK_OK(uow->CountLiveHolds(now + 6min)), 0);
}

TEST_P(UnitOfWorkContract, PaymentIsFoundByItsReservation) {
    const auto now = clock_.Now();
    PaymentId paid;
    {
        auto uow = Begin();
        paid = TK_OK(uow->InsertPayment({{}, ReservationId{7}, UserId{1}, 1000, PaymentStatus::kCompleted, now, 0}));
        TK_OK(uow->InsertPayment({{}, ReservationId{8}, UserId{1}, 2000, PaymentStatus::kCompleted, now, 0}));
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin(ports::TxMode::kRead);
    auto found = TK_OK(uow->FindPaymentByReservation(ReservationId{7}));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id, paid);
    EXPECT_EQ(found->amount, 1000);
    EXPECT_FALSE(TK_OK(uow->FindPaymentByReservation(ReservationId{9})).has_value());
}

// Every retention delete: only rows past the cutoff, at most `limit` per call, committed or not at all.
TEST_P(UnitOfWorkContract, RetentionDeletesOldRowsInBoundedBatches) {
    const auto now = clock_.Now();
    const auto old = now - 8 * 24h;
    {
        auto uow = Begin();
        for (int i = 0; i < 3; ++i) {
            const auto key = "k" + std::to_string(i);
            ASSERT_TRUE(uow->InsertIdempotency({UserId{1}, key, "h", "r", old}).has_value());
            ASSERT_TRUE(TK_OK(uow->RecordInbox("history", "old-" + std::to_string(i), old)));
            OutboxEvent e;
            e.event_id = "old-" + std::to_string(i);
            e.aggregate = "payment:1";
            e.type = "payment.completed";
            e.status = i == 2 ? OutboxStatus::kDead : OutboxStatus::kPublished;  // a dead event stays
            e.created_at = old;
            TK_OK(uow->InsertOutboxEvent(e));
            ASSERT_TRUE(uow->AdvanceFence("lock:seat:" + std::to_string(i), 1000 + static_cast<unsigned>(i)).has_value()
            );
        }
        ASSERT_TRUE(uow->InsertIdempotency({UserId{1}, "fresh", "h", "r", now}).has_value());
        ASSERT_TRUE(TK_OK(uow->RecordInbox("history", "fresh", now)));
        OutboxEvent fresh;
        fresh.event_id = "fresh";
        fresh.aggregate = "payment:1";
        fresh.type = "payment.completed";
        fresh.status = OutboxStatus::kPublished;
        fresh.created_at = now;
        TK_OK(uow->InsertOutboxEvent(fresh));
        ASSERT_TRUE(uow->AdvanceFence("lock:seat:new", 5000).has_value());
        ASSERT_TRUE(uow->Commit().has_value());
    }
    const auto cutoff = now - 7 * 24h;
    {
        auto uow = Begin();  // dropped: a batch not committed deletes nothing
        EXPECT_EQ(TK_OK(uow->DeleteIdempotencyBefore(cutoff, 10)), 3);
    }
    {
        auto uow = Begin();
        EXPECT_EQ(TK_OK(uow->DeleteIdempotencyBefore(cutoff, 2)), 2);
        EXPECT_EQ(TK_OK(uow->DeleteInboxBefore(cutoff, 2)), 2);
        EXPECT_EQ(TK_OK(uow->DeletePublishedOutboxBefore(cutoff, 1)), 1);
        EXPECT_EQ(TK_OK(uow->DeleteFencesBelow(1002, 10)), 2);
        ASSERT_TRUE(uow->Commit().has_value());
    }
    {
        auto uow = Begin();
        EXPECT_EQ(TK_OK(uow->DeleteIdempotencyBefore(cutoff, 2)), 1);
        EXPECT_EQ(TK_OK(uow->DeleteInboxBefore(cutoff, 2)), 1);
        EXPECT_EQ(TK_OK(uow->DeletePublishedOutboxBefore(cutoff, 5)), 1);
        EXPECT_EQ(TK_OK(uow->DeleteFencesBelow(1002, 10)), 0);
        ASSERT_TRUE(uow->Commit().has_value());
    }
    auto uow = Begin();
    EXPECT_EQ(TK_OK(uow->DeleteIdempotencyBefore(cutoff, 10)), 0);
    EXPECT_TRUE(TK_OK(uow->FindIdempotency(UserId{1}, "fresh")).has_value());
    EXPECT_FALSE(TK_OK(uow->FindIdempotency(UserId{1}, "k0")).has_value());
    EXPECT_FALSE(TK_OK(uow->RecordInbox("history", "fresh", now)));  // still recorded
    EXPECT_TRUE(TK_OK(uow->RecordInbox("history", "old-0", now)));   // forgotten
    EXPECT_FALSE(TK_OK(uow->FindOutboxEvent("old-0")).has_value());
    EXPECT_TRUE(TK_OK(uow->FindOutboxEvent("old-2")).has_value());
    EXPECT_TRUE(TK_OK(uow->FindOutboxEvent("fresh")).has_value());
    // The fence below the cutoff was forgotten; the newer ones still refuse older tokens.
    EXPECT_TRUE(uow->AdvanceFence("lock:seat:0", 1).has_value());
    TK_EXPECT_ERROR(uow->AdvanceFence("lock:seat:new", 4999), Errc::kAborted);
}

// The use case over the same backend: each table shrinks, batch by batch, to what is still young.
TEST_P(UnitOfWorkContract, RetentionServiceTrimsEveryTableWithinItsBatchBudget) {
    Settings settings;
    Ticketing app({backend_->Db(), backend_->Queue(), clock_, random_, &backend_->Lock()}, settings);
    const auto now = clock_.Now();
    {
        auto uow = Begin();
        for (int i = 0; i < 5; ++i) {
            const auto id = std::to_string(i);
            ASSERT_TRUE(uow->InsertIdempotency({UserId{1}, "k" + id, "h", "r", now - 25h}).has_value());
            ASSERT_TRUE(TK_OK(uow->RecordInbox("history", id, now - 8 * 24h)));
            OutboxEvent e;
            e.event_id = id;
            e.aggregate = "payment:1";
            e.type = "payment.completed";
            e.status = OutboxStatus::kPublished;
            e.created_at = now - 8 * 24h;
            TK_OK(uow->InsertOutboxEvent(e));
            // A token from two days ago (the clock in µs), as every lock issues them.
            const auto two_days_ago_us = static_cast<std::uint64_t>((now - 48h).time_since_epoch().count()) * 1000;
            ASSERT_TRUE(uow->AdvanceFence("lock:seat:" + id, two_days_ago_us).has_value());
        }
        ASSERT_TRUE(
            uow->AdvanceFence("lock:seat:now", static_cast<std::uint64_t>(now.time_since_epoch().count()) * 1000)
                .has_value()
        );
        ASSERT_TRUE(uow->Commit().has_value());
    }
    RetentionSettings retention = settings.retention;
    retention.batch_size = 2;
    retention.max_batches = 5;
    auto first = TK_OK(app.Retention().RunOnce(retention));
    EXPECT_FALSE(first.complete);
    EXPECT_EQ(first.batches, 5);
    EXPECT_EQ(first.idempotency, 5);  // 2 + 2 + 1: trimmed
    EXPECT_EQ(first.inbox, 4);        // 2 + 2, budget spent
    retention.max_batches = 10;
    auto second = TK_OK(app.Retention().RunOnce(retention));
    EXPECT_TRUE(second.complete);
    EXPECT_EQ(second.idempotency, 0);
    EXPECT_EQ(second.inbox, 1);
    EXPECT_EQ(second.published_outbox, 5);
    EXPECT_EQ(second.fences, 5);
    auto uow = Begin();
    TK_EXPECT_ERROR(uow->AdvanceFence("lock:seat:now", 1), Errc::kAborted);  // the young fence stays
}

}  // namespace
}  // namespace ticketing::testing
