// ticketing-kafka-mock: librdkafka's mock cluster on loopback, for ticketing-server, the consumer and
// kcat on a laptop. Prints the bootstrap address on the first line of stdout, runs until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <ticketing/kafka/kafka_options.hpp>
#include <ticketing/kafka/mock_cluster.hpp>

namespace {

constexpr const char* kUsage =
    "usage: ticketing-kafka-mock [--brokers N] [--topic NAME] [--partitions N]\n"
    "  starts librdkafka's mock cluster (in memory, nothing persisted), prints its bootstrap\n"
    "  address and runs until SIGINT or SIGTERM. Defaults: 1 broker, topic ticketing.events with 4\n"
    "  partitions.\n";

int Usage(const char* problem) {
    std::fprintf(stderr, "ticketing-kafka-mock: %s\n%s", problem, kUsage);
    return 2;
}

bool ParseCount(const char* text, int& out) {
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || value < 1 || value > 64) return false;
    out = static_cast<int>(value);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    int brokers = 1;
    int partitions = 4;
    std::string topic = ticketing::kafka::KafkaOptions{}.topic;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (i + 1 == argc) return Usage(("missing value for " + std::string(arg)).c_str());
        const char* value = argv[++i];
        if (arg == "--brokers") {
            if (!ParseCount(value, brokers)) return Usage("--brokers must be 1 to 64");
        } else if (arg == "--partitions") {
            if (!ParseCount(value, partitions)) return Usage("--partitions must be 1 to 64");
        } else if (arg == "--topic") {
            topic = value;
            if (topic.empty()) return Usage("--topic must not be empty");
        } else {
            return Usage(("unknown option " + std::string(arg)).c_str());
        }
    }
    // Blocked before any thread starts, so that librdkafka's threads never take them: sigwait does.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);

    auto cluster = ticketing::kafka::MockCluster::Start(brokers, topic, partitions);
    if (!cluster) {
        std::fprintf(stderr, "ticketing-kafka-mock: %s\n", cluster.error().message.c_str());
        return ticketing::ExitCode(cluster.error().code);
    }
    std::printf("%s\n", (*cluster)->BootstrapServers().c_str());
    std::fflush(stdout);
    std::fprintf(
        stderr,
        "mock cluster up: %d broker(s), topic %s (%d partitions); Ctrl-C stops it\n",
        brokers,
        topic.c_str(),
        partitions
    );
    int signal = 0;
    sigwait(&stop, &signal);
    return 0;
}
