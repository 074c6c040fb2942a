#include "handles.hpp"

#include <array>

namespace ticketing::kafka::detail {

Result<Conf> MakeConf(const KafkaOptions& options, std::initializer_list<Setting> fixed) {
    Conf conf(rd_kafka_conf_new());
    std::array<char, 512> reason{};
    auto set = [&](std::string_view key, const std::string& value) -> Result<void> {
        if (rd_kafka_conf_set(conf.get(), std::string(key).c_str(), value.c_str(), reason.data(), reason.size()) !=
            RD_KAFKA_CONF_OK) {
            return MakeError(Errc::kInvalidArgument, "kafka client setting " + std::string(key) + ": " + reason.data());
        }
        return {};
    };
    if (auto ok = set("bootstrap.servers", options.brokers); !ok) return Forward(ok.error());
    for (const auto& [key, value] : fixed) {
        if (auto ok = set(key, value); !ok) return Forward(ok.error());
    }
    for (const auto& [key, value] : options.client) {
        if (auto ok = set(key, value); !ok) return Forward(ok.error());
    }
    return conf;
}

Result<Handle> NewHandle(rd_kafka_type_t type, Conf conf) {
    std::array<char, 512> reason{};
    rd_kafka_t* rk = rd_kafka_new(type, conf.get(), reason.data(), reason.size());
    if (rk == nullptr) return MakeError(Errc::kInvalidArgument, std::string("kafka client: ") + reason.data());
    conf.release();  // owned by the client now
    return Handle(rk);
}

Error Translate(rd_kafka_resp_err_t err, std::string_view what) {
    std::string message = std::string(what) + ": " + rd_kafka_err2str(err);
    switch (err) {
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_INVALID_MSG:
        case RD_KAFKA_RESP_ERR_INVALID_RECORD:
        case RD_KAFKA_RESP_ERR__INVALID_ARG:
        case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
            return {Errc::kInvalidArgument, std::move(message)};
        default:
            return {Errc::kUnavailable, std::move(message)};
    }
}

}  // namespace ticketing::kafka::detail
