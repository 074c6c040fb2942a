#pragma once

// Helpers shared by the use cases; not installed.

#include <optional>
#include <string>
#include <string_view>
#include <ticketing/app/context.hpp>
#include <ticketing/error.hpp>
#include <ticketing/json_writer.hpp>
#include <utility>
#include <vector>

namespace ticketing::internal {

/// The row, or `code` with `message` when the repository found none.
template <class T>
Result<T> Require(Result<std::optional<T>> found, Errc code, std::string message) {
    if (!found) return Forward(found.error());
    if (!*found) return MakeError(code, std::move(message));
    return std::move(**found);
}

template <class T>
Result<T> RequireFound(Result<std::optional<T>> found, std::string what) {
    return Require(std::move(found), Errc::kNotFound, std::move(what) + " not found");
}

/// The lock key of one aggregate, e.g. "seat:12".
std::string LockKey(std::string_view kind, std::int64_t id);
/// A reservation's key and its seats' keys: what ending or paying it writes.
std::vector<std::string> ReservationKeys(const Reservation& reservation);
/// `also`, reservation `id` and its seats, which are read from the database (none if it does not exist).
LockKeys ReservationLockKeys(ReservationId id, std::vector<std::string> also = {});

/// The plans of a batch's requests that `make_plan(i)` accepts, in order: a refused request gets its
/// error in `out[i]`; `asked` gets out's index of each plan.
template <class Plan, class Answer, class MakePlan>
std::vector<Plan> PlanAccepted(
    std::size_t requests, std::vector<Answer>& out, std::vector<std::size_t>& asked, MakePlan make_plan
) {
    std::vector<Plan> plans;
    for (std::size_t i = 0; i < requests; ++i) {
        Result<Plan> plan = make_plan(i);
        if (!plan) {
            out[i] = Forward(plan.error());
            continue;
        }
        plans.push_back(std::move(*plan));
        asked.push_back(i);
    }
    return plans;
}

/// What a batch's unit of work failing means for its requests: CONFLICT (it kept losing races, or a
/// lease stayed busy) leaves each to go alone (nullopt), where it may well succeed; any other error
/// (the database down) is every request's answer.
template <class T>
std::vector<std::optional<Result<T>>> AfterFailedBatch(const Error& error, std::size_t requests) {
    if (error.code == Errc::kConflict) return std::vector<std::optional<Result<T>>>(requests);
    return std::vector<std::optional<Result<T>>>(requests, Result<T>(tl::unexpected<Error>(error)));
}

/// Items fetched with limit + 1, cut to a page with the cursor of its last item.
template <class T, class IdOf>
Page<T> ToPage(std::vector<T> items, std::int64_t limit, IdOf id_of) {
    Page<T> page;
    if (static_cast<std::int64_t>(items.size()) > limit) {
        items.resize(static_cast<std::size_t>(limit));
        page.next_cursor = id_of(items.back());
    }
    page.items = std::move(items);
    return page;
}

std::string JoinJsonArray(const std::vector<std::string>& items);

/// "k1=v1;k2=v2" records, the encoding of stored idempotent responses.
std::optional<std::int64_t> RecordField(std::string_view record, std::string_view key);

/// The raw text of a top-level field of a JSON object (a number, a quoted string, an array…);
/// nullopt when the field is absent or the text is not a well-formed object.
std::optional<std::string_view> JsonField(std::string_view object, std::string_view key);
/// A top-level integer field of a JSON object.
std::optional<std::int64_t> JsonIntField(std::string_view object, std::string_view key);
/// The number of elements of a JSON array's raw text; nullopt when it is not an array.
std::optional<std::int64_t> JsonArraySize(std::string_view array);

}  // namespace ticketing::internal
