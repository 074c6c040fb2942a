#include "catalog_reader.hpp"

#include <charconv>
#include <string>

namespace ticketing::internal {
namespace {

class Writer {
public:
    Writer& Int(std::int64_t v) {
        out_ += std::to_string(v);
        out_ += ';';
        return *this;
    }
    Writer& Str(std::string_view s) {
        out_ += std::to_string(s.size());
        out_ += ':';
        out_ += s;
        return *this;
    }
    Writer& Time(Timestamp t) { return Int(t.time_since_epoch().count()); }
    std::string Done() { return std::move(out_); }

private:
    std::string out_;
};

class Reader {
public:
    explicit Reader(std::string_view text) : text_(text) {}

    std::optional<std::int64_t> Int() { return Number(';'); }
    std::optional<std::string> Str() {
        auto size = Number(':');
        if (!size || *size < 0 || static_cast<std::size_t>(*size) > text_.size()) return std::nullopt;
        std::string out(text_.substr(0, static_cast<std::size_t>(*size)));
        text_.remove_prefix(static_cast<std::size_t>(*size));
        return out;
    }
    std::optional<Timestamp> Time() {
        auto ms = Int();
        if (!ms) return std::nullopt;
        return Timestamp{Millis{*ms}};
    }
    bool AtEnd() const { return text_.empty(); }

private:
    std::optional<std::int64_t> Number(char end) {
        std::int64_t value = 0;
        auto [ptr, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), value);
        if (ec != std::errc{} || ptr == text_.data() + text_.size() || *ptr != end) return std::nullopt;
        text_.remove_prefix(static_cast<std::size_t>(ptr - text_.data()) + 1);
        return value;
    }

    std::string_view text_;
};

template <class T, class ReadOne>
std::optional<std::vector<T>> DecodeRows(std::string_view text, ReadOne read_one) {
    Reader in(text);
    auto count = in.Int();
    if (!count || *count < 0) return std::nullopt;
    std::vector<T> rows;
    for (std::int64_t i = 0; i < *count; ++i) {
        auto row = read_one(in);
        if (!row) return std::nullopt;
        rows.push_back(std::move(*row));
    }
    if (!in.AtEnd()) return std::nullopt;
    return rows;
}

}  // namespace

std::string EncodeRows(const std::vector<Concert>& rows) {
    Writer out;
    out.Int(static_cast<std::int64_t>(rows.size()));
    for (const auto& c : rows) {
        out.Int(c.id.value).Str(c.title).Time(c.reservation_opens_at).Time(c.reservation_closes_at);
    }
    return out.Done();
}

std::string EncodeRows(const std::vector<Schedule>& rows) {
    Writer out;
    out.Int(static_cast<std::int64_t>(rows.size()));
    for (const auto& s : rows) {
        out.Int(s.id.value).Int(s.concert_id.value).Time(s.starts_at).Int(s.price).Int(s.total_seats);
    }
    return out.Done();
}

std::optional<std::vector<Concert>> DecodeConcerts(std::string_view text) {
    return DecodeRows<Concert>(text, [](Reader& in) -> std::optional<Concert> {
        auto id = in.Int();
        auto title = in.Str();
        auto opens = in.Time();
        auto closes = in.Time();
        if (!id || !title || !opens || !closes) return std::nullopt;
        return Concert{ConcertId{*id}, std::move(*title), *opens, *closes};
    });
}

std::optional<std::vector<Schedule>> DecodeSchedules(std::string_view text) {
    return DecodeRows<Schedule>(text, [](Reader& in) -> std::optional<Schedule> {
        auto id = in.Int();
        auto concert = in.Int();
        auto starts = in.Time();
        auto price = in.Int();
        auto seats = in.Int();
        if (!id || !concert || !starts || !price || !seats) return std::nullopt;
        return Schedule{ScheduleId{*id}, ConcertId{*concert}, *starts, *price, static_cast<std::int32_t>(*seats)};
    });
}

template <class T, class Load>
Result<std::vector<T>> CatalogReader::Cached(const std::string& key, Load load) {
    std::optional<std::uint64_t> generation;  // set when the cache answered
    if (ctx_.cache != nullptr) {
        if (auto read = ctx_.cache->Get(key)) {
            generation = read->generation;
            if (read->value) {
                std::optional<std::vector<T>> rows;
                if constexpr (std::is_same_v<T, Concert>) {
                    rows = DecodeConcerts(*read->value);
                } else {
                    rows = DecodeSchedules(*read->value);
                }
                if (rows) return std::move(*rows);
            }
        }
    }
    auto uow = ctx_.db.Begin(ports::TxMode::kRead);
    if (!uow) return Forward(uow.error());
    Result<std::vector<T>> rows = load(**uow);
    // Only what exists is cached: an unknown id is asked of the database every time.
    if (rows && !rows->empty() && generation) {
        (void)ctx_.cache->Put(key, EncodeRows(*rows), ctx_.settings.catalog_cache_ttl, *generation);
    }
    return rows;
}

template <class T, class Find>
Result<std::optional<T>> CatalogReader::FindKnown(
    KnownRows<T>* known, std::int64_t id, std::string_view prefix, Find find
) {
    if (known != nullptr) {
        if (auto row = known->Find(id)) return row;
    }
    auto found = FindOne<T>(std::string(prefix) + std::to_string(id), find);
    if (known != nullptr && found && *found) known->Add(id, **found);
    return found;
}

template <class T, class Find>
Result<std::optional<T>> CatalogReader::FindOne(const std::string& key, Find find) {
    auto rows = Cached<T>(key, [&](ports::UnitOfWork& uow) -> Result<std::vector<T>> {
        auto found = find(uow);
        if (!found) return Forward(found.error());
        return *found ? std::vector<T>{**found} : std::vector<T>{};
    });
    if (!rows) return Forward(rows.error());
    if (rows->empty()) return std::optional<T>{};
    return std::optional<T>{rows->front()};
}

Result<std::optional<Concert>> CatalogReader::FindConcert(ConcertId id) {
    auto* known = ctx_.catalog_rows != nullptr ? &ctx_.catalog_rows->concerts : nullptr;
    return FindKnown<Concert>(known, id.value, "concert:", [&](ports::UnitOfWork& uow) { return uow.FindConcert(id); });
}

Result<std::optional<Schedule>> CatalogReader::FindSchedule(ScheduleId id) {
    auto* known = ctx_.catalog_rows != nullptr ? &ctx_.catalog_rows->schedules : nullptr;
    return FindKnown<Schedule>(known, id.value, "schedule:", [&](ports::UnitOfWork& uow) {
        return uow.FindSchedule(id);
    });
}

Result<std::vector<Schedule>> CatalogReader::ListSchedules(ConcertId concert) {
    return Cached<Schedule>("schedules:" + std::to_string(concert.value), [&](ports::UnitOfWork& uow) {
        return uow.ListSchedules(concert);
    });
}

Result<std::vector<Concert>> CatalogReader::ListConcertsOpenAt(Timestamp at, ports::PageRequest page) {
    const auto key = "concerts-open:" + std::to_string(at.time_since_epoch().count()) + ":" +
                     std::to_string(page.after) + ":" + std::to_string(page.limit);
    return Cached<Concert>(key, [&](ports::UnitOfWork& uow) { return uow.ListConcertsOpenAt(at, page); });
}

void CatalogReader::Invalidate() {
    if (ctx_.cache != nullptr) (void)ctx_.cache->InvalidateAll();
}

}  // namespace ticketing::internal
