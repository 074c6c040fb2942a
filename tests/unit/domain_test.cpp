#include <ticketing/domain/entities.hpp>
#include <ticketing/domain/queue.hpp>
#include <ticketing/domain/text.hpp>
#include <ticketing/error.hpp>

#include "unit.hpp"

namespace ticketing::testing {
namespace {

TEST(Errors, EveryCodeHasItsStatusAndName) {
    EXPECT_EQ(HttpStatus(Errc::kInvalidArgument), 400);
    EXPECT_EQ(HttpStatus(Errc::kUnauthenticated), 401);
    EXPECT_EQ(HttpStatus(Errc::kNotAdmitted), 403);
    EXPECT_EQ(HttpStatus(Errc::kForbidden), 403);
    EXPECT_EQ(HttpStatus(Errc::kNotFound), 404);
    EXPECT_EQ(HttpStatus(Errc::kSeatUnavailable), 409);
    EXPECT_EQ(HttpStatus(Errc::kAborted), 409);
    EXPECT_EQ(CodeName(Errc::kAborted), "CONFLICT");
    EXPECT_EQ(HttpStatus(Errc::kHoldExpired), 410);
    EXPECT_EQ(HttpStatus(Errc::kPayloadTooLarge), 413);
    EXPECT_EQ(HttpStatus(Errc::kIdempotencyKeyReused), 422);
    EXPECT_EQ(CodeName(Errc::kIdempotencyKeyReused), "IDEMPOTENCY_KEY_REUSED");
    EXPECT_EQ(HttpStatus(Errc::kRateLimited), 429);
    EXPECT_EQ(HttpStatus(Errc::kUnavailable), 503);
    EXPECT_EQ(HttpStatus(Errc::kInternal), 500);
    EXPECT_NE(ExitCode(Errc::kNotFound), ExitCode(Errc::kConflict));
    EXPECT_NE(ExitCode(Errc::kInvalidArgument), 0);
}

TEST(Seat, HoldReleaseSellAndRefundOnlyMoveTheOwnersSeat) {
    const ReservationId mine{1};
    const ReservationId other{2};
    Seat seat;
    seat.id = SeatId{7};

    seat.HoldFor(mine, kStart + 5min);
    EXPECT_EQ(seat.status, SeatStatus::kHeld);
    EXPECT_EQ(seat.held_by, mine);
    EXPECT_EQ(seat.held_until, kStart + 5min);
    EXPECT_EQ(seat.StatusAt(kStart + 5min), SeatStatus::kAvailable);  // a lapsed hold frees it at once

    const Seat held = seat;
    EXPECT_FALSE(seat.Release(other));
    EXPECT_FALSE(seat.SellTo(other));
    EXPECT_FALSE(seat.Refund(mine));  // not sold
    EXPECT_EQ(seat.status, held.status);
    EXPECT_EQ(seat.held_by, held.held_by);

    EXPECT_TRUE(seat.Release(mine));
    EXPECT_EQ(seat.status, SeatStatus::kAvailable);
    EXPECT_EQ(seat.held_by, ReservationId{});
    EXPECT_EQ(seat.held_until, Timestamp{});
    EXPECT_FALSE(seat.Release(mine));  // once

    seat.HoldFor(mine, kStart + 5min);
    EXPECT_TRUE(seat.SellTo(mine));
    EXPECT_EQ(seat.status, SeatStatus::kSold);
    EXPECT_EQ(seat.held_by, mine);     // the paid reservation
    EXPECT_FALSE(seat.Release(mine));  // a sold seat is not freed by ending a hold
    EXPECT_FALSE(seat.SellTo(mine));
    EXPECT_FALSE(seat.Refund(other));

    EXPECT_TRUE(seat.Refund(mine));
    EXPECT_EQ(seat.status, SeatStatus::kAvailable);
    EXPECT_EQ(seat.held_by, ReservationId{});
    EXPECT_EQ(seat.held_until, Timestamp{});
}

TEST(Text, Utf8IsWellFormedShortestAndWithinUnicode) {
    for (const char* good :
         {"",
          "kim",
          "\xEA\xB9\x80\xEB\xAF\xBC\xEC\xA7\x80",  // 김민지
          "caf\xC3\xA9",                           // é
          "\xE2\x82\xAC",                          // €
          "\xF0\x9F\x8E\xB5",                      // 🎵
          "\xED\x9F\xBF",                          // U+D7FF, just below the surrogates
          "\xEE\x80\x80",                          // U+E000, just above them
          "\xF4\x8F\xBF\xBF"}) {                   // U+10FFFF, the last code point
        EXPECT_TRUE(IsValidUtf8(good)) << ::testing::PrintToString(std::string(good));
    }
    for (const char* bad : {
             "\x80",                  // a continuation byte alone
             "\xC3",                  // cut short
             "\xE2\x82",              // cut short
             "\xC3\x28",              // not a continuation byte
             "\xC0\xAF",              // overlong '/'
             "\xE0\x80\xAF",          // overlong '/'
             "\xF0\x80\x80\xAF",      // overlong '/'
             "\xED\xA0\x80",          // U+D800, a surrogate
             "\xED\xBF\xBF",          // U+DFFF, a surrogate
             "\xF4\x90\x80\x80",      // U+110000
             "\xF8\x88\x80\x80\x80",  // a five-byte form
             "\xFF",
             "ok\xFE",
         }) {
        EXPECT_FALSE(IsValidUtf8(bad)) << ::testing::PrintToString(std::string(bad));
    }
}

TEST(Time, Rfc3339RoundTripsAndRejectsGarbage) {
    const auto t = ParseRfc3339("2024-08-23T10:00:00Z").value();
    EXPECT_EQ(FormatRfc3339(t), "2024-08-23T10:00:00.000Z");
    EXPECT_EQ(ParseRfc3339("2024-08-23T19:00:00.250+09:00").value(), t + 250ms);
    EXPECT_EQ(ParseRfc3339("2024-08-23T10:00:00.5Z").value(), t + 500ms);
    for (const char* bad :
         {"",
          "2024-08-23",
          "2024-08-23T10:00:00",
          "2024-02-30T10:00:00Z",
          "2024-08-23T25:00:00Z",
          "2024-08-23T10:00:00Zjunk",
          "2024-08-23 10:00:00Z",
          "2024-08-23T10:00:00.Z"}) {
        EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
    }
}

TEST(Queue, TokensAreBoundToTheirConcert) {
    const auto token = MakeQueueToken(ConcertId{42}, "0123456789abcdef0123456789abcdef");
    EXPECT_EQ(QueueTokenConcert(token), ConcertId{42});
    EXPECT_FALSE(QueueTokenConcert("42.short"));
    EXPECT_FALSE(QueueTokenConcert("x.0123456789abcdef0123456789abcdef"));
    EXPECT_FALSE(QueueTokenConcert("-1.0123456789abcdef0123456789abcdef"));
    EXPECT_FALSE(QueueTokenConcert("42.0123456789ABCDEF0123456789abcdef"));
}

TEST(Queue, EtaCountsWholeTicksFromTheNextOne) {
    QueueSettings s{.max_active = 300, .admit_per_tick = 50, .tick_interval = 60s, .paused = false};
    const auto now = kStart;
    EXPECT_EQ(EstimateWaitSeconds(1, s, now + 20s, now), 20);
    EXPECT_EQ(EstimateWaitSeconds(50, s, now + 20s, now), 20);
    EXPECT_EQ(EstimateWaitSeconds(51, s, now + 20s, now), 80);
    EXPECT_EQ(EstimateWaitSeconds(151, s, now - 5s, now), 180);
    EXPECT_EQ(EstimateWaitSeconds(0, s, now, now), 0);
}

TEST(Domain, ExpiredHoldsFreeSeatsAtReadTime) {
    Seat seat;
    seat.status = SeatStatus::kHeld;
    seat.held_until = kStart + 1min;
    EXPECT_EQ(seat.StatusAt(kStart), SeatStatus::kHeld);
    EXPECT_EQ(seat.StatusAt(kStart + 1min), SeatStatus::kAvailable);
    seat.status = SeatStatus::kSold;
    EXPECT_EQ(seat.StatusAt(kStart + 1h), SeatStatus::kSold);
    Reservation r;
    r.expires_at = kStart + 5min;
    EXPECT_EQ(r.StatusAt(kStart), ReservationStatus::kHeld);
    EXPECT_EQ(r.StatusAt(kStart + 5min), ReservationStatus::kExpired);
    r.status = ReservationStatus::kPaid;
    EXPECT_EQ(r.StatusAt(kStart + 1h), ReservationStatus::kPaid);
}

TEST(Settings, LockStrategyNamesParse) {
    EXPECT_EQ(ParseLockStrategyKind("optimistic").value(), LockStrategyKind::kOptimistic);
    EXPECT_EQ(ParseLockStrategyKind("pessimistic").value(), LockStrategyKind::kPessimistic);
    EXPECT_EQ(ParseLockStrategyKind("redis").value(), LockStrategyKind::kRedis);
    EXPECT_EQ(ParseLockStrategyKind("mutex").error().code, Errc::kInvalidArgument);
}

TEST(Random, TokensAreUniqueHexAndUuidsAreVersion4) {
    SystemRandom random;
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        auto token = random.Token();
        ASSERT_EQ(token.size(), 32U);
        EXPECT_TRUE(seen.insert(token).second);
    }
    const auto uuid = random.Uuid();
    ASSERT_EQ(uuid.size(), 36U);
    EXPECT_EQ(uuid[14], '4');
    EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos);
}

}  // namespace
}  // namespace ticketing::testing
