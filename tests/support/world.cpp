#include "world.hpp"

#include <stdexcept>

namespace ticketing::testing {
namespace {

template <class T>
T Expect(Result<T> result, const char* what) {
    if (!result) throw std::runtime_error(std::string(what) + ": " + result.error().message);
    return std::move(*result);
}

}  // namespace

World::World(const BackendParam& param, Settings settings) : World(param.make, param.strategy, std::move(settings)) {}

World::World(const BackendFactory& factory, LockStrategyKind strategy, Settings settings)
    : backend_(factory(clock_, random_)) {
    settings.lock.kind = strategy;
    app_ = std::make_unique<Ticketing>(
        Backends{backend_->Db(), backend_->Queue(), clock_, random_, &backend_->Lock(), backend_->Cache(), &metrics_},
        std::move(settings)
    );
}

UserId World::NewUser(Money balance, const std::string& name) {
    auto user = Expect(app_->Accounts().CreateUser(name), "create user");
    while (balance > 0) {
        const auto amount = std::min(balance, kMaxCharge);
        Expect(app_->Accounts().Charge(user.id, amount, std::nullopt), "charge");
        balance -= amount;
    }
    return user.id;
}

CreatedConcert World::NewConcert(std::int32_t seats, Money price, int schedules) {
    ticketing::NewConcert request;
    request.title = "Concert";
    request.reservation_opens_at = clock_.Now() - std::chrono::hours(1);
    request.reservation_closes_at = clock_.Now() + std::chrono::hours(24);
    for (int i = 0; i < schedules; ++i) {
        request.schedules.push_back({clock_.Now() + std::chrono::hours(48 + 24 * i), price, seats});
    }
    return Expect(app_->Catalog().CreateConcert(request), "create concert");
}

std::string World::Admit(ConcertId concert, UserId user) {
    auto joined = Expect(app_->Queue().Join(concert, user), "join");
    for (int i = 0; i < 1000 && joined.position.info.status != TokenStatus::kActive; ++i) {
        clock_.Advance(app_->GetSettings().queue.tick_interval);
        Expect(app_->Queue().Tick(concert), "tick");
        joined.position = Expect(app_->Queue().Status(joined.position.info.token), "status");
    }
    if (joined.position.info.status != TokenStatus::kActive) throw std::runtime_error("never admitted");
    return joined.position.info.token;
}

World::Buyer World::NewBuyerWithHold(const CreatedConcert& concert, Money balance, const std::vector<int>& numbers) {
    Buyer out;
    out.user = NewUser(balance);
    out.token = Admit(concert.concert.id, out.user);
    const auto schedule = concert.schedules.at(0).id;
    out.hold = Expect(app_->Reservations().Hold(out.token, schedule, Seats(schedule, numbers)), "hold");
    return out;
}

std::vector<SeatId> World::Seats(ScheduleId schedule, const std::vector<int>& numbers) {
    auto uow = Expect(backend_->Db().Begin(ports::TxMode::kRead), "begin");
    auto seats = Expect(uow->ListSeats(schedule), "list seats");
    std::vector<SeatId> out;
    for (int n : numbers) out.push_back(seats.at(static_cast<std::size_t>(n - 1)).id);
    return out;
}

}  // namespace ticketing::testing
