// librdkafka's mock cluster — a real Kafka protocol endpoint on 127.0.0.1 —
// run in the test process with one broker and one topic, and destroyed with
// this object (also when an assertion ends the test early).
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>

namespace shoal::testing {

class KafkaMockCluster {
 public:
  KafkaMockCluster() = default;
  KafkaMockCluster(const KafkaMockCluster&) = delete;
  KafkaMockCluster& operator=(const KafkaMockCluster&) = delete;
  ~KafkaMockCluster() {
    if (mock_ != nullptr) rd_kafka_mock_cluster_destroy(mock_);
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }

  // Starts the cluster and creates `topic` (one partition): "" when it
  // runs, else what failed.
  std::string Start(const std::string& topic) {
    char err[512];
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof err);
    if (rk_ == nullptr) return std::string("rd_kafka_new: ") + err;
    mock_ = rd_kafka_mock_cluster_new(rk_, 1);
    if (mock_ == nullptr) return "rd_kafka_mock_cluster_new failed";
    brokers_ = rd_kafka_mock_cluster_bootstraps(mock_);
    const rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mock_, topic.c_str(), 1, 1);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return "creating topic " + topic + ": " + rd_kafka_err2str(e);
    return "";
  }

  // The broker goes away (connections refused) or comes back.
  bool SetBrokerUp(bool up) {
    return (up ? rd_kafka_mock_broker_set_up(mock_, 1) : rd_kafka_mock_broker_set_down(mock_, 1)) ==
           RD_KAFKA_RESP_ERR_NO_ERROR;
  }

  const std::string& brokers() const { return brokers_; }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mock_ = nullptr;
  std::string brokers_;
};

}  // namespace shoal::testing
