// A service that embeds ticketing::runtime: the same configuration as ticketing-server (defaults,
// --config FILE, TICKETING_* variables, flags), its backends and background jobs, and the use cases.
#include <cstdio>
#include <ticketing/runtime/runtime.hpp>

int main(int argc, char** argv) {
    using namespace ticketing;
    auto line = runtime::ParseCommandLine(argc, argv, runtime::ProcessEnvironment());
    auto config = line ? runtime::LoadConfig(line->input) : tl::unexpected(line.error());
    auto rt = config ? runtime::Runtime::Open(*config) : tl::unexpected(config.error());
    if (!rt) {
        std::fprintf(stderr, "%s\n", rt.error().message.c_str());
        return ExitCode(rt.error().code);
    }
    (*rt)->SeedDemo();   // a demo concert and users, on an empty database only
    (*rt)->StartJobs();  // admission ticks, hold expiry, outbox relay, retention
    auto concerts = (*rt)->App().Catalog().ListConcerts(std::nullopt, {});
    for (const auto& concert : concerts.value_or(Page<Concert>{}).items) std::printf("%s\n", concert.title.c_str());
}
