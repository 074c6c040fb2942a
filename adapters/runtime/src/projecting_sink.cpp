#include "projecting_sink.hpp"

namespace ticketing::runtime {

std::vector<Result<void>> ProjectingSink::PublishBatch(std::span<const OutboxEvent> events) {
    auto results = inner_.PublishBatch(events);
    for (std::size_t i = 0; i < events.size() && i < results.size(); ++i) {
        if (!results[i]) continue;
        // A payload the projection can never read is published all the same: retrying won't fix it.
        auto applied = sales_.Apply(events[i]);
        if (!applied && applied.error().code != Errc::kInvalidArgument) results[i] = Forward(applied.error());
    }
    return results;
}

}  // namespace ticketing::runtime
