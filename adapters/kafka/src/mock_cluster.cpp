#include <librdkafka/rdkafka.h>
// after rdkafka.h, which it needs
#include <librdkafka/rdkafka_mock.h>

#include <ticketing/kafka/mock_cluster.hpp>

#include "handles.hpp"

namespace ticketing::kafka {

struct MockCluster::Impl {
    detail::Handle owner;  // the cluster lives in this client's threads
    rd_kafka_mock_cluster_t* cluster{nullptr};
    int brokers{0};
    ~Impl() {
        if (cluster != nullptr) rd_kafka_mock_cluster_destroy(cluster);
    }
};

MockCluster::MockCluster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MockCluster::~MockCluster() = default;

Result<std::unique_ptr<MockCluster>> MockCluster::Start(int brokers, const std::string& topic, int partitions) {
    if (brokers < 1 || partitions < 1) {
        return MakeError(Errc::kInvalidArgument, "a mock cluster needs at least one broker and one partition");
    }
    detail::Conf conf(rd_kafka_conf_new());
    rd_kafka_conf_set(conf.get(), "log_level", "3", nullptr, 0);  // no warning that it has no brokers of its own
    auto handle = detail::NewHandle(RD_KAFKA_PRODUCER, std::move(conf));
    if (!handle) return Forward(handle.error());
    auto impl = std::make_unique<Impl>();
    impl->owner = std::move(*handle);
    impl->brokers = brokers;
    impl->cluster = rd_kafka_mock_cluster_new(impl->owner.get(), brokers);
    if (impl->cluster == nullptr) return MakeError(Errc::kUnavailable, "cannot start the mock cluster");
    if (!topic.empty()) {
        if (auto err = rd_kafka_mock_topic_create(impl->cluster, topic.c_str(), partitions, 1);
            err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return tl::unexpected(detail::Translate(err, "mock topic " + topic));
        }
    }
    return std::unique_ptr<MockCluster>(new MockCluster(std::move(impl)));
}

std::string MockCluster::BootstrapServers() const {
    return rd_kafka_mock_cluster_bootstraps(impl_->cluster);
}

void MockCluster::SetBrokersDown(bool down) {
    for (int id = 1; id <= impl_->brokers; ++id) {
        if (down) {
            rd_kafka_mock_broker_set_down(impl_->cluster, id);
        } else {
            rd_kafka_mock_broker_set_up(impl_->cluster, id);
        }
    }
}

}  // namespace ticketing::kafka
