// ticketing-server: the runtime's configuration, the background jobs and the HTTP API, until SIGTERM or SIGINT.
#include <pthread.h>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <ticketing/http/server.hpp>
#include <ticketing/runtime/config.hpp>
#include <ticketing/runtime/runtime.hpp>

namespace {

constexpr std::size_t kLogQueue = 1 << 16;

int Fail(const ticketing::Error& error) {
    std::fprintf(stderr, "ticketing-server: %s\n", error.message.c_str());
    return ticketing::ExitCode(error.code);
}

/// Log lines go through a queue to their own thread: an I/O thread never waits on stdout, and under a
/// flood the oldest lines are dropped rather than the requests slowed.
void SetUpLogging() {
    spdlog::init_thread_pool(kLogQueue, 1);
    auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    auto logger = std::make_shared<spdlog::async_logger>(
        "ticketing-server", sink, spdlog::thread_pool(), spdlog::async_overflow_policy::overrun_oldest
    );
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    spdlog::set_default_logger(logger);
}

/// Every connection is a descriptor: take the hard limit, not the soft 1024 most shells start with.
void RaiseFileLimit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace ticketing;
    // Blocked before any thread starts, so that every thread inherits the mask and sigwait below gets them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    RaiseFileLimit();

    auto command = runtime::ParseCommandLine(argc, argv, runtime::ProcessEnvironment());
    if (!command) return Fail(command.error());
    if (command->help) {
        std::fputs(runtime::HelpText("ticketing-server [options]").c_str(), stdout);
        return 0;
    }
    if (!command->positional.empty()) {
        return Fail(Error{Errc::kInvalidArgument, "unexpected argument \"" + command->positional.front() + "\""});
    }
    auto config = runtime::LoadConfig(command->input);
    if (!config) return Fail(config.error());

    SetUpLogging();
    auto opened = runtime::Runtime::Open(*config);
    if (!opened) return Fail(opened.error());
    auto& rt = **opened;
    if (config->demo) {
        auto seeded = rt.SeedDemo();
        if (!seeded) return Fail(seeded.error());
        spdlog::info(*seeded ? "demo data seeded" : "demo data skipped: the database already has concerts");
    }
    rt.StartJobs();
    http::Server server(rt, http::OptionsFrom(*config));
    auto port = server.Start();
    if (!port) {
        rt.StopJobs();
        return Fail(port.error());
    }
    const auto host = config->listen.substr(0, config->listen.rfind(':'));
    spdlog::info("listening on http://{}:{}", host, *port);

    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("{}: finishing requests in flight, then stopping", received == SIGINT ? "SIGINT" : "SIGTERM");
    server.Stop();
    rt.StopJobs();
    spdlog::info("stopped");
    spdlog::shutdown();
    return 0;
}
