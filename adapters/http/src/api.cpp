// The v1 routes: request validation, JSON in and out, and the calls into the use cases. The only
// translation unit that includes Boost.JSON.
#include "api.hpp"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <exception>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <ticketing/http/server.hpp>
#include <type_traits>

#include "embedded.hpp"
#include "web.hpp"

namespace ticketing::http {

namespace json = boost::json;

namespace {

constexpr int kUnavailableRetryAfterSeconds = 2;

tl::unexpected<Error> Invalid(std::string message) {
    return MakeError(Errc::kInvalidArgument, std::move(message));
}

Response Json(int status, const json::value& value) {
    return Response{status, json::serialize(value)};
}

Response NoContent() {
    return Response{204, {}, {}};
}

json::value Time(Timestamp t) {
    return json::string(FormatRfc3339(t));
}

template <class T>
json::value Cursor(const Page<T>& page) {
    return page.next_cursor ? json::value(*page.next_cursor) : json::value(nullptr);
}

// --- Reading requests --------------------------------------------------------------------------------

/// A positive 64-bit id in its canonical decimal form; anything else is 400.
Result<std::int64_t> ParseId(std::string_view text, std::string_view name) {
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || text.front() == '-' || ec != std::errc{} || ptr != end || value <= 0) {
        return Invalid(std::string(name) + " must be a positive 64-bit integer");
    }
    return value;
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// The decoded value of `name` in a query string; nullopt when absent. '+' stays '+' (RFC 3339 offsets).
Result<std::optional<std::string>> QueryParam(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) != name) continue;
        const auto raw = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        std::string out;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '%') {
                out += raw[i];
                continue;
            }
            const int hi = i + 2 < raw.size() ? HexValue(raw[i + 1]) : -1;
            const int lo = hi >= 0 ? HexValue(raw[i + 2]) : -1;
            if (lo < 0) return Invalid("bad percent-encoding in ?" + std::string(name));
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        return std::optional<std::string>(std::move(out));
    }
    return std::optional<std::string>{};
}

Result<std::optional<std::int64_t>> QueryInt(std::string_view query, std::string_view name) {
    auto raw = QueryParam(query, name);
    if (!raw) return Forward(raw.error());
    if (!*raw) return std::optional<std::int64_t>{};
    std::int64_t value = 0;
    const auto& text = **raw;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) {
        return Invalid("?" + std::string(name) + " must be an integer");
    }
    return std::optional<std::int64_t>(value);
}

Result<PageQuery> QueryPage(std::string_view query) {
    auto limit = QueryInt(query, "limit");
    if (!limit) return Forward(limit.error());
    auto cursor = QueryInt(query, "cursor");
    if (!cursor) return Forward(cursor.error());
    PageQuery page{*limit, *cursor};
    // Validated here, before the use case, so that a bad page never reaches the backends.
    if (auto checked = ToPageRequest(page); !checked) return Forward(checked.error());
    return page;
}

/// A strict JSON object reader: every field typed, required unless read with Optional*, unknown fields 400.
class Body {
public:
    static Result<Body> Parse(std::string_view text, std::initializer_list<std::string_view> allowed) {
        json::error_code ec;
        json::parse_options options;
        options.max_depth = 16;
        auto value = json::parse(text, ec, {}, options);
        if (ec) return Invalid("malformed JSON: " + ec.message());
        if (!value.is_object()) return Invalid("the body must be a JSON object");
        Body body(std::move(value.as_object()));
        for (const auto& field : body.object_) {
            if (std::find(allowed.begin(), allowed.end(), field.key()) == allowed.end()) {
                return Invalid("unknown field \"" + std::string(field.key()) + "\"");
            }
        }
        return body;
    }

    explicit Body(json::object object) : object_(std::move(object)) {}

    bool Has(std::string_view name) const { return object_.contains(name); }

    Result<std::int64_t> Int(std::string_view name) const { return Int(Get(name), name); }
    Result<std::int64_t> Id(std::string_view name) const {
        auto value = Int(name);
        if (value && *value <= 0) return Invalid(std::string(name) + " must be a positive integer");
        return value;
    }
    Result<std::string> String(std::string_view name) const {
        const auto* value = Get(name);
        if (value == nullptr) return Missing(name);
        if (!value->is_string()) return Invalid(std::string(name) + " must be a string");
        return std::string(value->get_string());
    }
    Result<Timestamp> Time(std::string_view name) const {
        auto text = String(name);
        if (!text) return Forward(text.error());
        auto parsed = ParseRfc3339(*text);
        if (!parsed) return Invalid(std::string(name) + " must be an RFC 3339 time");
        return *parsed;
    }
    Result<bool> Bool(std::string_view name) const {
        const auto* value = Get(name);
        if (value == nullptr) return Missing(name);
        if (!value->is_bool()) return Invalid(std::string(name) + " must be true or false");
        return value->get_bool();
    }
    Result<std::vector<Body>> Objects(std::string_view name, std::initializer_list<std::string_view> allowed) const {
        const auto* value = Get(name);
        if (value == nullptr) return Missing(name);
        if (!value->is_array()) return Invalid(std::string(name) + " must be an array");
        std::vector<Body> out;
        for (const auto& item : value->get_array()) {
            if (!item.is_object()) return Invalid(std::string(name) + " must hold objects");
            for (const auto& field : item.get_object()) {
                if (std::find(allowed.begin(), allowed.end(), field.key()) == allowed.end()) {
                    return Invalid("unknown field \"" + std::string(field.key()) + "\" in " + std::string(name));
                }
            }
            out.emplace_back(item.get_object());
        }
        return out;
    }
    Result<std::vector<std::int64_t>> Ids(std::string_view name) const {
        const auto* value = Get(name);
        if (value == nullptr) return Missing(name);
        if (!value->is_array()) return Invalid(std::string(name) + " must be an array of ids");
        std::vector<std::int64_t> out;
        for (const auto& item : value->get_array()) {
            auto id = Int(&item, name);
            if (!id) return Forward(id.error());
            if (*id <= 0) return Invalid(std::string(name) + " must hold positive integers");
            out.push_back(*id);
        }
        return out;
    }

private:
    const json::value* Get(std::string_view name) const { return object_.if_contains(name); }

    static tl::unexpected<Error> Missing(std::string_view name) { return Invalid(std::string(name) + " is required"); }

    static Result<std::int64_t> Int(const json::value* value, std::string_view name) {
        if (value == nullptr) return Missing(name);
        // Doubles (1.5, 1e309), strings ("12") and integers beyond int64 (parsed as uint64) are refused.
        if (value->is_int64()) return value->get_int64();
        return Invalid(std::string(name) + " must be an integer within the 64-bit range");
    }

    json::object object_;
};

// --- Writing responses -------------------------------------------------------------------------------

json::object UserJson(const User& user) {
    return {{"id", user.id.value}, {"name", user.name}, {"balance", user.balance}};
}

json::object ReservationJson(const Reservation& r, Timestamp now) {
    json::array seats;
    for (const auto& seat : r.seats) {
        seats.push_back(json::object{{"id", seat.seat_id.value}, {"number", seat.number}, {"price", seat.price}});
    }
    return {
        {"id", r.id.value},
        {"userId", r.user_id.value},
        {"scheduleId", r.schedule_id.value},
        {"seats", std::move(seats)},
        {"amount", r.amount},
        {"status", ToString(r.StatusAt(now))},
        {"expiresAt", Time(r.expires_at)},
    };
}

json::object QueueSettingsJson(const QueueSettings& s) {
    return {
        {"maxActive", s.max_active},
        {"admitPerTick", s.admit_per_tick},
        {"tickIntervalSeconds", s.tick_interval.count()},
        {"paused", s.paused},
    };
}

json::object ScheduleJson(const Schedule& s) {
    return {
        {"id", s.id.value},
        {"concertId", s.concert_id.value},
        {"startsAt", Time(s.starts_at)},
        {"price", s.price},
        {"totalSeats", s.total_seats},
    };
}

/// Whether two strings are equal, in time independent of where they differ (admin keys).
bool SameSecret(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = static_cast<unsigned char>(diff | (a[i] ^ (i < b.size() ? b[i] : 0)));
    }
    return diff == 0;
}

/// The credential of `Authorization: Bearer <credential>`; UNAUTHENTICATED when missing or malformed.
Result<std::string_view> Bearer(const Request& request) {
    if (!request.authorization) return MakeError(Errc::kUnauthenticated, "Authorization: Bearer <token> is required");
    std::string_view value = *request.authorization;
    constexpr std::string_view kScheme = "Bearer ";
    if (value.size() <= kScheme.size() ||
        !std::equal(kScheme.begin(), kScheme.end(), value.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
        return MakeError(Errc::kUnauthenticated, "Authorization must be \"Bearer <token>\"");
    }
    value.remove_prefix(kScheme.size());
    return value;
}

// --- Routes ------------------------------------------------------------------------------------------

/// One request in a route: its path parameters and what the handlers share.
struct Call {
    const Request& request;
    std::array<std::string_view, 2> params;
    runtime::Runtime& runtime;
    Metrics& metrics;
    QueueEta& eta;

    Ticketing& App() const { return runtime.App(); }
    Timestamp Now() const { return runtime.Clock().Now(); }

    /// The order of checks on token routes: a request that fails validation still answers 401 or 403
    /// first when its token does not authorize it.
    /// `invalid`, unless the token is refused first (401 and 403 come before 400).
    Error Refusal(std::string_view token, const Error& invalid) const {
        auto grant = App().Queue().Authorize(token);
        return grant ? invalid : grant.error();
    }
    Response Refuse(std::string_view token, const Error& invalid) const {
        return ErrorResponse(Refusal(token, invalid), kUnavailableRetryAfterSeconds);
    }

    /// UNAUTHENTICATED unless the request carries the configured admin key.
    Result<void> RequireAdmin() const {
        const auto& key = runtime.GetConfig().admin_key;
        if (key.empty()) return MakeError(Errc::kUnauthenticated, "the admin API is off: no admin key is configured");
        auto presented = Bearer(request);
        if (!presented) return Forward(presented.error());
        if (!SameSecret(*presented, key)) return MakeError(Errc::kUnauthenticated, "wrong admin key");
        return {};
    }

    std::optional<std::string_view> IdempotencyKey() const {
        if (!request.idempotency_key) return std::nullopt;
        return std::string_view(*request.idempotency_key);
    }
};

Response Fail(const Error& error) {
    return ErrorResponse(error, kUnavailableRetryAfterSeconds);
}

/// Answers a batch of one route: `parse` makes each call's request (or the error it is answered with),
/// `many` decides the requests together, `respond` answers each call from its result, in order.
template <class Parse, class Many, class Respond>
std::vector<Response> AnswerBatch(std::span<const Call> calls, Parse parse, Many many, Respond respond) {
    using Request = typename std::invoke_result_t<Parse, const Call&>::value_type;
    std::vector<Response> out(calls.size());
    std::vector<Request> requests;
    std::vector<std::size_t> asked;  // out's index of each request
    for (std::size_t i = 0; i < calls.size(); ++i) {
        auto request = parse(calls[i]);
        if (!request) {
            out[i] = Fail(request.error());
            continue;
        }
        requests.push_back(std::move(*request));
        asked.push_back(i);
    }
    if (requests.empty()) return out;
    auto results = many(calls.front().App(), std::span<const Request>(requests));
    for (std::size_t k = 0; k < asked.size(); ++k) {
        auto& answer = out[asked[k]];
        const auto& call = calls[asked[k]];
        if (!results[k]) {
            answer = Fail(results[k].error());
        } else if constexpr (std::is_void_v<typename decltype(results)::value_type::value_type>) {
            answer = respond(call);
        } else {
            answer = respond(call, *results[k]);
        }
    }
    return out;
}

/// Unwraps a Result in a handler: on error, returns its response.
#define TK_TRY(var, expr) \
    auto var = (expr);    \
    if (!var) return Fail(var.error())

Response Healthz(const Call&) {
    return Json(200, json::object{{"status", "ok"}});
}

Response Readyz(const Call& call) {
    json::array backends;
    std::string down;
    for (const auto& probe : call.runtime.CheckReadiness()) {
        json::object entry{{"backend", probe.backend}, {"ok", probe.ok}};
        if (!probe.ok) {
            entry["message"] = probe.message;
            down += (down.empty() ? "" : ", ") + probe.backend + ": " + probe.message;
        }
        backends.push_back(std::move(entry));
    }
    if (down.empty()) return Json(200, json::object{{"status", "ready"}, {"backends", std::move(backends)}});
    auto response = Json(
        503,
        json::object{
            {"status", "unavailable"},
            {"backends", std::move(backends)},
            {"error", json::object{{"code", CodeName(Errc::kUnavailable)}, {"message", "down: " + down}}},
        }
    );
    response.headers.emplace_back("Retry-After", std::to_string(kUnavailableRetryAfterSeconds));
    return response;
}

Response MetricsText(const Call& call) {
    PrometheusWriter out;
    call.metrics.Render(out);
    RenderRuntime(out, call.runtime.ReadCounters(), call.runtime.Jobs(), call.runtime.ReadGauges());
    return Response{200, out.Take(), "text/plain; version=0.0.4; charset=utf-8"};
}

Response OpenApi(const Call&) {
    return Response{200, std::string(OpenApiDocument())};
}

Response BuyerPage(const Call& call) {
    return WebFile("index.html", call.request.if_none_match);
}

Response AdminPage(const Call& call) {
    return WebFile("admin.html", call.request.if_none_match);
}

Response Asset(const Call& call) {
    return WebFile(call.params[0], call.request.if_none_match);
}

Response CreateUser(const Call& call) {
    TK_TRY(body, Body::Parse(call.request.body, {"name"}));
    TK_TRY(name, body->String("name"));
    TK_TRY(user, call.App().Accounts().CreateUser(*name));
    return Json(201, UserJson(*user));
}

Response GetBalance(const Call& call) {
    TK_TRY(id, ParseId(call.params[0], "userId"));
    TK_TRY(user, call.App().Accounts().GetUser(UserId{*id}));
    return Json(200, json::object{{"userId", user->id.value}, {"balance", user->balance}});
}

Result<ChargeRequest> ParseCharge(const Call& call) {
    auto id = ParseId(call.params[0], "userId");
    if (!id) return Forward(id.error());
    auto body = Body::Parse(call.request.body, {"amount"});
    if (!body) return Forward(body.error());
    auto amount = body->Int("amount");
    if (!amount) return Forward(amount.error());
    return ChargeRequest{UserId{*id}, *amount, call.IdempotencyKey()};
}

// Charges answered together, in one unit of work (AccountService::ChargeMany).
std::vector<Response> Charges(std::span<const Call> calls) {
    return AnswerBatch(
        calls,
        ParseCharge,
        [](Ticketing& app, std::span<const ChargeRequest> charges) { return app.Accounts().ChargeMany(charges); },
        [](const Call&, const ChargeResult& charged) {
            return Json(200, json::object{{"userId", charged.user_id.value}, {"balance", charged.balance}});
        }
    );
}

Response Charge(const Call& call) {
    return std::move(Charges({&call, 1}).front());
}

Response History(const Call& call) {
    TK_TRY(id, ParseId(call.params[0], "userId"));
    TK_TRY(page_query, QueryPage(call.request.query));
    TK_TRY(page, call.App().Accounts().History(UserId{*id}, *page_query));
    json::array items;
    for (const auto& e : page->items) {
        items.push_back(json::object{
            {"id", e.id.value},
            {"type", ToString(e.type)},
            {"amount", e.amount},
            {"balanceAfter", e.balance_after},
            {"createdAt", Time(e.created_at)},
        });
    }
    return Json(200, json::object{{"items", std::move(items)}, {"nextCursor", Cursor(*page)}});
}

Response Tickets(const Call& call) {
    TK_TRY(id, ParseId(call.params[0], "userId"));
    TK_TRY(page_query, QueryPage(call.request.query));
    TK_TRY(page, call.App().Accounts().Tickets(UserId{*id}, *page_query));
    json::array items;
    for (const auto& t : page->items) {
        items.push_back(json::object{
            {"id", t.id.value},
            {"concertId", t.concert_id.value},
            {"scheduleId", t.schedule_id.value},
            {"seatId", t.seat_id.value},
            {"seatNumber", t.seat_number},
            {"price", t.price},
            {"status", ToString(t.status)},
        });
    }
    return Json(200, json::object{{"items", std::move(items)}, {"nextCursor", Cursor(*page)}});
}

Response Concerts(const Call& call) {
    TK_TRY(page_query, QueryPage(call.request.query));
    TK_TRY(open_at_text, QueryParam(call.request.query, "openAt"));
    std::optional<Timestamp> open_at;
    if (*open_at_text) {
        open_at = ParseRfc3339(**open_at_text);
        if (!open_at) return Fail(Error{Errc::kInvalidArgument, "?openAt must be an RFC 3339 time"});
    }
    TK_TRY(page, call.App().Catalog().ListConcerts(open_at, *page_query));
    json::array items;
    for (const auto& c : page->items) {
        items.push_back(json::object{
            {"id", c.id.value},
            {"title", c.title},
            {"reservationOpensAt", Time(c.reservation_opens_at)},
            {"reservationClosesAt", Time(c.reservation_closes_at)},
        });
    }
    return Json(200, json::object{{"items", std::move(items)}, {"nextCursor", Cursor(*page)}});
}

Response Schedules(const Call& call) {
    TK_TRY(id, ParseId(call.params[0], "concertId"));
    TK_TRY(schedules, call.App().Catalog().ListSchedules(ConcertId{*id}));
    json::array items;
    for (const auto& s : *schedules) {
        auto item = ScheduleJson(s.schedule);
        item["availableSeats"] = s.available_seats;
        items.push_back(std::move(item));
    }
    return Json(200, json::object{{"items", std::move(items)}});
}

/// The waiting-room fields of a position, with the measured-rate estimate.
json::object PositionJson(const Call& call, const QueuePosition& position) {
    const auto& info = position.info;
    json::object out{{"status", ToString(info.status)}};
    if (info.status == TokenStatus::kActive) {
        out["activeUntil"] = Time(info.active_until);
        return out;
    }
    if (call.eta.ClaimSample(info.concert_id, call.Now())) {
        // A failed read only leaves the estimate on the configured rate.
        if (auto stats = call.App().Queue().Stats(info.concert_id))
            call.eta.Record(info.concert_id, *stats, call.Now());
    }
    const auto estimate = call.eta.For(info.concert_id, info.position, position.estimated_wait_seconds);
    out["position"] = info.position;
    out["estimatedWaitSeconds"] = estimate.wait_seconds;
    out["pollAfterSeconds"] = estimate.poll_after_seconds;
    out["paused"] = position.paused;
    return out;
}

Result<QueueJoin> ParseJoin(const Call& call) {
    auto concert = ParseId(call.params[0], "concertId");
    if (!concert) return Forward(concert.error());
    auto body = Body::Parse(call.request.body, {"userId"});
    if (!body) return Forward(body.error());
    auto user = body->Id("userId");
    if (!user) return Forward(user.error());
    return QueueJoin{ConcertId{*concert}, UserId{*user}};
}

Response JoinResponse(const Call& call, const JoinResult& joined) {
    // The status fields, completed to the join's fixed shape: position 0 and activeUntil null when they do not apply.
    auto status = PositionJson(call, joined.position);
    json::object out{
        {"token", joined.position.info.token},
        {"status", status["status"]},
        {"position", status.contains("position") ? status["position"] : json::value(0)},
        {"estimatedWaitSeconds",
         status.contains("estimatedWaitSeconds") ? status["estimatedWaitSeconds"] : json::value(0)},
        {"activeUntil", status.contains("activeUntil") ? status["activeUntil"] : json::value(nullptr)},
    };
    if (status.contains("pollAfterSeconds")) out["pollAfterSeconds"] = status["pollAfterSeconds"];
    return Json(joined.created ? 201 : 200, out);
}

// Joins answered together: the unknown users looked up in one read, one queue-store round trip.
std::vector<Response> Joins(std::span<const Call> calls) {
    return AnswerBatch(
        calls,
        ParseJoin,
        [](Ticketing& app, std::span<const QueueJoin> joins) { return app.Queue().JoinMany(joins); },
        JoinResponse
    );
}

Response Join(const Call& call) {
    return std::move(Joins({&call, 1}).front());
}

// Status polls answered together: one queue-store round trip.
std::vector<Response> StatusPolls(std::span<const Call> calls) {
    return AnswerBatch(
        calls,
        [](const Call& call) { return Bearer(call.request); },
        [](Ticketing& app, std::span<const std::string_view> tokens) { return app.Queue().StatusMany(tokens); },
        [](const Call& call, const QueuePosition& position) { return Json(200, PositionJson(call, position)); }
    );
}

Response QueueStatus(const Call& call) {
    return std::move(StatusPolls({&call, 1}).front());
}

Response QueueLeave(const Call& call) {
    TK_TRY(token, Bearer(call.request));
    TK_TRY(left, call.App().Queue().Leave(*token));
    return NoContent();
}

Response SeatMapJson(const Call& call, const SeatMap& map) {
    json::array seats;
    seats.reserve(map.seats.size());
    for (const auto& seat : map.seats) {
        seats.push_back(json::object{
            {"id", seat.id.value},
            {"number", seat.number},
            {"price", seat.price},
            {"status", ToString(seat.status)},
        });
    }
    return Json(
        200,
        json::object{
            {"scheduleId", map.schedule.id.value},
            {"maxSeatsPerReservation", call.runtime.GetConfig().settings.reservation.max_seats_per_reservation},
            {"seats", std::move(seats)},
        }
    );
}

/// A token route's request {token, the path's id}: the token refused (401, 403) before the id (400).
template <class Request, class Id>
Result<Request> ParseTokenAndId(const Call& call, std::string_view name) {
    auto token = Bearer(call.request);
    if (!token) return Forward(token.error());
    auto id = ParseId(call.params[0], name);
    if (!id) return tl::unexpected<Error>(call.Refusal(*token, id.error()));
    return Request{*token, Id{*id}};
}

Result<SeatMapAsk> ParseSeatMapAsk(const Call& call) {
    return ParseTokenAndId<SeatMapAsk, ScheduleId>(call, "scheduleId");
}

// Seat map reads answered together: the tokens looked up in one round trip, each schedule read and
// written out once (a crowd asks for the same few maps).
std::vector<Response> SeatMaps(std::span<const Call> calls) {
    std::vector<std::pair<const SeatMap*, Response>> written;
    return AnswerBatch(
        calls,
        ParseSeatMapAsk,
        [](Ticketing& app, std::span<const SeatMapAsk> asks) { return app.Catalog().GetSeatMaps(asks); },
        [&written](const Call& call, const std::shared_ptr<const SeatMap>& map) {
            auto it = std::find_if(written.begin(), written.end(), [&](const auto& w) { return w.first == map.get(); });
            if (it == written.end()) it = written.insert(written.end(), {map.get(), SeatMapJson(call, *map)});
            return it->second;
        }
    );
}

Response SeatMapRoute(const Call& call) {
    return std::move(SeatMaps({&call, 1}).front());
}

struct HoldBody {
    std::int64_t schedule;
    std::vector<SeatId> seats;
};

Result<HoldBody> ParseHold(const Call& call) {
    auto body = Body::Parse(call.request.body, {"scheduleId", "seatIds"});
    if (!body) return Forward(body.error());
    auto schedule = body->Id("scheduleId");
    if (!schedule) return Forward(schedule.error());
    auto ids = body->Ids("seatIds");
    if (!ids) return Forward(ids.error());
    HoldBody out{*schedule, {}};
    out.seats.reserve(ids->size());
    for (const auto id : *ids) out.seats.emplace_back(id);
    return out;
}

// A hold request as parsed: the holds of a batch point into their seat lists.
struct HoldAsk {
    std::string_view token;
    HoldBody body;
};

Result<HoldAsk> ParseHoldAsk(const Call& call) {
    auto token = Bearer(call.request);
    if (!token) return Forward(token.error());
    auto body = ParseHold(call);
    if (!body) return tl::unexpected<Error>(call.Refusal(*token, body.error()));
    return HoldAsk{*token, std::move(*body)};
}

// Holds answered together: most decided in one unit of work (ReservationService::HoldMany).
std::vector<Response> Holds(std::span<const Call> calls) {
    return AnswerBatch(
        calls,
        ParseHoldAsk,
        [](Ticketing& app, std::span<const HoldAsk> asks) {
            std::vector<HoldRequest> holds;
            holds.reserve(asks.size());
            for (const auto& ask : asks) holds.push_back({ask.token, ScheduleId{ask.body.schedule}, ask.body.seats});
            return app.Reservations().HoldMany(holds);
        },
        [](const Call& call, const Reservation& held) { return Json(201, ReservationJson(held, call.Now())); }
    );
}

Response Hold(const Call& call) {
    return std::move(Holds({&call, 1}).front());
}

Response GetReservation(const Call& call) {
    TK_TRY(token, Bearer(call.request));
    auto id = ParseId(call.params[0], "reservationId");
    if (!id) return call.Refuse(*token, id.error());
    TK_TRY(reservation, call.App().Reservations().Get(*token, ReservationId{*id}));
    return Json(200, ReservationJson(*reservation, call.Now()));
}

Result<CancelRequest> ParseCancel(const Call& call) {
    return ParseTokenAndId<CancelRequest, ReservationId>(call, "reservationId");
}

// Cancels answered together (ReservationService::CancelMany).
std::vector<Response> Cancels(std::span<const Call> calls) {
    return AnswerBatch(
        calls,
        ParseCancel,
        [](Ticketing& app, std::span<const CancelRequest> cancels) { return app.Reservations().CancelMany(cancels); },
        [](const Call&) { return NoContent(); }
    );
}

Response CancelReservation(const Call& call) {
    return std::move(Cancels({&call, 1}).front());
}

Response Pay(const Call& call) {
    TK_TRY(token, Bearer(call.request));
    auto body = Body::Parse(call.request.body, {"reservationId"});
    auto reservation = body ? body->Id("reservationId") : Result<std::int64_t>(Forward(body.error()));
    if (!reservation) return call.Refuse(*token, reservation.error());
    TK_TRY(receipt, call.App().Payments().Pay(*token, ReservationId{*reservation}, call.IdempotencyKey()));
    json::array tickets;
    for (const auto& t : receipt->tickets) {
        tickets.push_back(json::object{
            {"id", t.id.value}, {"seatId", t.seat_id.value}, {"seatNumber", t.seat_number}, {"price", t.price}});
    }
    return Json(
        201,
        json::object{
            {"id", receipt->payment.id.value},
            {"reservationId", receipt->payment.reservation_id.value},
            {"amount", receipt->payment.amount},
            {"balance", receipt->balance},
            {"tickets", std::move(tickets)},
        }
    );
}

Response Refund(const Call& call) {
    TK_TRY(admin, call.RequireAdmin());
    TK_TRY(id, ParseId(call.params[0], "paymentId"));
    TK_TRY(refund, call.App().Payments().Refund(PaymentId{*id}));
    return Json(
        200,
        json::object{
            {"id", refund->payment.id.value},
            {"status", ToString(refund->payment.status)},
            {"balance", refund->balance},
        }
    );
}

Response AdminCreateConcert(const Call& call) {
    TK_TRY(admin, call.RequireAdmin());
    TK_TRY(body, Body::Parse(call.request.body, {"title", "reservationOpensAt", "reservationClosesAt", "schedules"}));
    NewConcert request;
    TK_TRY(title, body->String("title"));
    TK_TRY(opens, body->Time("reservationOpensAt"));
    TK_TRY(closes, body->Time("reservationClosesAt"));
    TK_TRY(schedules, body->Objects("schedules", {"startsAt", "price", "seatCount"}));
    request.title = std::move(*title);
    request.reservation_opens_at = *opens;
    request.reservation_closes_at = *closes;
    for (const auto& s : *schedules) {
        TK_TRY(starts, s.Time("startsAt"));
        TK_TRY(price, s.Int("price"));
        NewSchedule schedule{*starts, *price};
        if (s.Has("seatCount")) {
            TK_TRY(seats, s.Int("seatCount"));
            if (*seats < 1 || *seats > kMaxSeatsPerSchedule) {
                return Fail(Error{Errc::kInvalidArgument, "seatCount must be within 1..10000"});
            }
            schedule.seat_count = static_cast<std::int32_t>(*seats);
        }
        request.schedules.push_back(schedule);
    }
    TK_TRY(created, call.App().Catalog().CreateConcert(request));
    json::array out_schedules;
    for (const auto& s : created->schedules) out_schedules.push_back(ScheduleJson(s));
    const auto& c = created->concert;
    return Json(
        201,
        json::object{
            {"id", c.id.value},
            {"title", c.title},
            {"reservationOpensAt", Time(c.reservation_opens_at)},
            {"reservationClosesAt", Time(c.reservation_closes_at)},
            {"schedules", std::move(out_schedules)},
        }
    );
}

/// NOT_FOUND unless the concert exists (the queue store answers for any id).
Result<ConcertId> ExistingConcert(const Call& call) {
    auto id = ParseId(call.params[0], "concertId");
    if (!id) return Forward(id.error());
    if (auto schedules = call.App().Catalog().ListSchedules(ConcertId{*id}); !schedules) {
        return Forward(schedules.error());
    }
    return ConcertId{*id};
}

Response AdminGetQueue(const Call& call) {
    TK_TRY(admin, call.RequireAdmin());
    TK_TRY(concert, ExistingConcert(call));
    TK_TRY(stats, call.App().Queue().Stats(*concert));
    auto out = QueueSettingsJson(stats->settings);
    out["waiting"] = stats->waiting;
    out["active"] = stats->active;
    out["admittedTotal"] = stats->admitted_total;
    return Json(200, out);
}

Response AdminPutQueue(const Call& call) {
    TK_TRY(admin, call.RequireAdmin());
    TK_TRY(id, ParseId(call.params[0], "concertId"));
    TK_TRY(body, Body::Parse(call.request.body, {"maxActive", "admitPerTick", "tickIntervalSeconds", "paused"}));
    QueueSettingsPatch patch;
    for (auto [name, field] : std::array<std::pair<std::string_view, std::optional<std::int64_t>*>, 2>{
             {{"maxActive", &patch.max_active}, {"admitPerTick", &patch.admit_per_tick}}}) {
        if (!body->Has(name)) continue;
        TK_TRY(value, body->Int(name));
        *field = *value;
    }
    if (body->Has("tickIntervalSeconds")) {
        TK_TRY(seconds, body->Int("tickIntervalSeconds"));
        // Bounded so that the conversion to milliseconds downstream cannot overflow.
        if (*seconds < 1 || *seconds > 86'400) {
            return Fail(Error{Errc::kInvalidArgument, "tickIntervalSeconds must be within 1..86400"});
        }
        patch.tick_interval = Seconds{*seconds};
    }
    if (body->Has("paused")) {
        TK_TRY(paused, body->Bool("paused"));
        patch.paused = *paused;
    }
    if (!patch.max_active && !patch.admit_per_tick && !patch.tick_interval && !patch.paused) {
        return Fail(Error{
            Errc::kInvalidArgument, "give at least one of maxActive, admitPerTick, tickIntervalSeconds, paused"});
    }
    TK_TRY(concert, ExistingConcert(call));
    TK_TRY(settings, call.App().Queue().UpdateSettings(*concert, patch));
    return Json(200, QueueSettingsJson(*settings));
}

Response AdminOutbox(const Call& call) {
    TK_TRY(admin, call.RequireAdmin());
    TK_TRY(stats, call.App().Outbox().Stats());
    json::array dead_events;
    for (const auto& event : stats->dead_events) {
        dead_events.push_back(json::object{
            {"eventId", event.event_id},
            {"type", event.type},
            {"aggregate", event.aggregate},
            {"attempts", event.attempts},
            {"lastError", event.last_error},
        });
    }
    return Json(
        200,
        json::object{
            {"pending", stats->pending},
            {"dead", stats->dead},
            {"oldestPendingAgeSeconds", stats->oldest_pending_age_seconds},
            {"deadEvents", std::move(dead_events)},
        }
    );
}

Response AdminScheduleSales(const Call& call) {
    TK_TRY(admin, call.RequireAdmin());
    TK_TRY(id, ParseId(call.params[0], "scheduleId"));
    TK_TRY(sales, call.App().Sales().Get(ScheduleId{*id}));
    return Json(
        200,
        json::object{
            {"scheduleId", sales->schedule_id.value},
            {"seatsSold", sales->seats_sold},
            {"revenue", sales->revenue},
            {"refunds", sales->refunds},
            {"updatedAt", sales->updated_at ? Time(*sales->updated_at) : json::value(nullptr)},
        }
    );
}

Response AdminOutboxRetry(const Call& call) {
    TK_TRY(admin, call.RequireAdmin());
    const auto event_id = call.params[0];
    constexpr std::size_t kMaxEventId = 64;
    const bool well_formed =
        !event_id.empty() && event_id.size() <= kMaxEventId &&
        std::all_of(event_id.begin(), event_id.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
        });
    if (!well_formed) return Fail(Error{Errc::kInvalidArgument, "eventId must be an event's UUID"});
    TK_TRY(retried, call.App().Outbox().Retry(event_id));
    return Json(200, json::object{{"eventId", event_id}, {"status", "PENDING"}});
}

#undef TK_TRY

/// Where a route runs: on the I/O thread (no backend), on the worker pool (the database or Redis), or
/// on the I/O thread only while the queue store is in process (it then touches no database or socket).
enum class Runs : std::uint8_t { kInline, kWorker, kQueueStore };

struct Route {
    std::string_view method;
    std::string_view path;
    Runs runs;
    Response (*handler)(const Call&);
    /// Set for the routes whose requests, when on the worker pool, wait to be answered with others of
    /// their kind by `batch` (Api::HandleBatch).
    Batch batch_kind = Batch::kNone;
    std::vector<Response> (*batch)(std::span<const Call>) = nullptr;
};

// product.md's table, in its order.
constexpr std::array kRoutes{
    Route{"GET", "/healthz", Runs::kInline, Healthz},
    Route{"GET", "/readyz", Runs::kWorker, Readyz},
    Route{"GET", "/metrics", Runs::kWorker, MetricsText},
    Route{"GET", "/openapi.json", Runs::kInline, OpenApi},
    Route{"POST", "/v1/users", Runs::kWorker, CreateUser},
    Route{"GET", "/v1/users/{userId}/balance", Runs::kWorker, GetBalance},
    Route{"POST", "/v1/users/{userId}/balance/charge", Runs::kWorker, Charge, Batch::kCharge, Charges},
    Route{"GET", "/v1/users/{userId}/balance/history", Runs::kWorker, History},
    Route{"GET", "/v1/users/{userId}/tickets", Runs::kWorker, Tickets},
    Route{"GET", "/v1/concerts", Runs::kWorker, Concerts},
    Route{"GET", "/v1/concerts/{concertId}/schedules", Runs::kWorker, Schedules},
    Route{"POST", "/v1/concerts/{concertId}/queue", Runs::kWorker, Join, Batch::kJoin, Joins},
    Route{"GET", "/v1/queue/me", Runs::kQueueStore, QueueStatus, Batch::kStatusPoll, StatusPolls},
    Route{"DELETE", "/v1/queue/me", Runs::kQueueStore, QueueLeave},
    Route{"GET", "/v1/schedules/{scheduleId}/seats", Runs::kWorker, SeatMapRoute, Batch::kSeatMap, SeatMaps},
    Route{"POST", "/v1/reservations", Runs::kWorker, Hold, Batch::kHold, Holds},
    Route{"GET", "/v1/reservations/{reservationId}", Runs::kWorker, GetReservation},
    Route{"DELETE", "/v1/reservations/{reservationId}", Runs::kWorker, CancelReservation, Batch::kCancel, Cancels},
    Route{"POST", "/v1/payments", Runs::kWorker, Pay},
    Route{"POST", "/v1/payments/{paymentId}/refund", Runs::kWorker, Refund},
    Route{"POST", "/v1/admin/concerts", Runs::kWorker, AdminCreateConcert},
    Route{"GET", "/v1/admin/queues/{concertId}", Runs::kWorker, AdminGetQueue},
    Route{"PUT", "/v1/admin/queues/{concertId}", Runs::kWorker, AdminPutQueue},
    Route{"GET", "/v1/admin/outbox", Runs::kWorker, AdminOutbox},
    Route{"POST", "/v1/admin/outbox/{eventId}/retry", Runs::kWorker, AdminOutboxRetry},
    Route{"GET", "/v1/admin/schedules/{scheduleId}/sales", Runs::kWorker, AdminScheduleSales},
    Route{"GET", "/", Runs::kInline, BuyerPage},
    Route{"GET", "/admin", Runs::kInline, AdminPage},
    Route{"GET", "/assets/{file}", Runs::kInline, Asset},
};

constexpr int kNoRoute = -1;
constexpr int kWrongMethod = -2;

/// Matches `path` against a template; fills the `{…}` segments into `params`.
bool MatchPath(std::string_view pattern, std::string_view path, std::array<std::string_view, 2>* params) {
    std::size_t captured = 0;
    while (!pattern.empty() && !path.empty()) {
        if (pattern.front() != '/' || path.front() != '/') return false;
        pattern.remove_prefix(1);
        path.remove_prefix(1);
        const auto pattern_end = std::min(pattern.find('/'), pattern.size());
        const auto path_end = std::min(path.find('/'), path.size());
        const auto segment = pattern.substr(0, pattern_end);
        const auto value = path.substr(0, path_end);
        if (segment.starts_with('{')) {
            if (value.empty() || captured == params->size()) return false;
            (*params)[captured++] = value;
        } else if (segment != value) {
            return false;
        }
        pattern.remove_prefix(pattern_end);
        path.remove_prefix(path_end);
    }
    return pattern.empty() && path.empty();
}

std::string AllowedMethods(std::string_view path) {
    std::string allow;
    std::array<std::string_view, 2> ignored;
    for (const auto& route : kRoutes) {
        if (!MatchPath(route.path, path, &ignored)) continue;
        if (!allow.empty()) allow += ", ";
        allow += route.method;
    }
    return allow;
}

}  // namespace

Response ErrorResponse(const Error& error, int retry_after_seconds) {
    Response response = StatusResponse(HttpStatus(error.code), CodeName(error.code), error.message);
    if (error.code == Errc::kUnavailable || error.code == Errc::kRateLimited) {
        response.headers.emplace_back("Retry-After", std::to_string(std::max(retry_after_seconds, 1)));
    }
    return response;
}

Response StatusResponse(int status, std::string_view code, std::string_view message) {
    return Json(status, json::object{{"error", json::object{{"code", code}, {"message", message}}}});
}

std::vector<RouteInfo> Routes() {
    std::vector<RouteInfo> out;
    for (const auto& route : kRoutes) out.push_back({std::string(route.method), std::string(route.path)});
    return out;
}

Api::Api(runtime::Runtime& runtime, Metrics& metrics)
    : runtime_(runtime), metrics_(metrics), queue_in_process_(runtime.GetConfig().redis.empty()) {}

Dispatch Api::Find(std::string_view method, std::string_view path) const {
    std::array<std::string_view, 2> ignored;
    bool path_known = false;
    for (std::size_t i = 0; i < kRoutes.size(); ++i) {
        if (!MatchPath(kRoutes[i].path, path, &ignored)) continue;
        path_known = true;
        if (kRoutes[i].method != method) continue;
        const auto& route = kRoutes[i];
        const bool blocking = route.runs == Runs::kWorker || (route.runs == Runs::kQueueStore && !queue_in_process_);
        return {static_cast<int>(i), route.path, blocking, blocking ? route.batch_kind : Batch::kNone};
    }
    return {path_known ? kWrongMethod : kNoRoute, "unmatched", false};
}

std::vector<Response> Api::HandleBatch(Batch kind, std::span<const Request* const> requests) {
    try {
        const auto route = std::find_if(kRoutes.begin(), kRoutes.end(), [&](const auto& r) {
            return kind != Batch::kNone && r.batch_kind == kind;
        });
        if (route == kRoutes.end()) throw std::logic_error("no route answers that batch kind");
        std::vector<Call> calls;
        calls.reserve(requests.size());
        for (const auto* request : requests) {
            calls.push_back(Call{*request, {}, runtime_, metrics_, eta_});
            MatchPath(route->path, request->path, &calls.back().params);
        }
        return route->batch(calls);
    } catch (const std::exception& e) {
        return std::vector<Response>(
            requests.size(), ErrorResponse(Error{Errc::kInternal, std::string("internal error: ") + e.what()})
        );
    }
}

Response Api::Handle(const Dispatch& dispatch, const Request& request) {
    try {
        if (dispatch.route == kWrongMethod) {
            auto response = StatusResponse(405, "METHOD_NOT_ALLOWED", "this path does not take that method");
            response.headers.emplace_back("Allow", AllowedMethods(request.path));
            return response;
        }
        if (dispatch.route < 0) return StatusResponse(404, CodeName(Errc::kNotFound), "no such route");
        const auto& route = kRoutes[static_cast<std::size_t>(dispatch.route)];
        Call call{request, {}, runtime_, metrics_, eta_};
        MatchPath(route.path, request.path, &call.params);
        return route.handler(call);
    } catch (const std::exception& e) {
        return ErrorResponse(Error{Errc::kInternal, std::string("internal error: ") + e.what()});
    }
}

}  // namespace ticketing::http
