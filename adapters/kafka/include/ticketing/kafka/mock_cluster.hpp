#pragma once

#include <memory>
#include <string>
#include <ticketing/error.hpp>

namespace ticketing::kafka {

/// librdkafka's mock cluster: real Kafka protocol on loopback, in this process, for tests and
/// `ticketing-kafka-mock`. Not a production broker (nothing is persisted).
class MockCluster {
public:
    /// `brokers` brokers; `topic` (when not empty) is created with `partitions` partitions.
    static Result<std::unique_ptr<MockCluster>> Start(int brokers, const std::string& topic, int partitions);
    ~MockCluster();
    MockCluster(const MockCluster&) = delete;
    MockCluster& operator=(const MockCluster&) = delete;

    /// "127.0.0.1:port[,…]", for bootstrap.servers.
    std::string BootstrapServers() const;
    /// Takes every broker down (connections refused and dropped) or brings them back.
    void SetBrokersDown(bool down);

    struct Impl;

private:
    explicit MockCluster(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ticketing::kafka
