// MQTT transport of the upstream sink (see batch_transport.h).
#include <spdlog/spdlog.h>

#include "common/log.h"
#include "forward/batch_transport.h"

namespace edgeflow {
namespace {

class MqttBatchTransport final : public BatchTransport {
 public:
  MqttBatchTransport(mqtt::ClientOptions options, const std::string& prefix, const std::string& node,
                     MetricsRegistry* metrics, std::string labels)
      : options_(std::move(options)),
        batch_topic_(prefix + "/" + node + "/batch"),
        metrics_(metrics),
        labels_(std::move(labels)) {
    options_.subscriptions = {{prefix + "/" + node + "/ack", 1}};
  }

  void Start(AckHandler on_ack) override {
    on_ack_ = std::move(on_ack);
    client_ = std::make_unique<mqtt::Client>(
        options_,
        [this](const mqtt::PublishPacket& m, uint64_t tag) {
          Result<AckMessage> ack = ParseAck(m.payload);
          if (ack.ok()) {
            on_ack_(*ack);
          } else if (log_.Admit(clock_)) {
            spdlog::warn("{}: ignoring a malformed ack: {}", options_.log_name, ack.status().message());
          }
          if (tag != 0) client_->Acknowledge({tag});
          return true;
        },
        metrics_, labels_);
    client_->Start();
  }

  void Stop() override {
    if (client_) client_->Stop(kMicrosPerSecond);
  }

  bool Ready() const override { return client_ && client_->connected(); }

  Status Send(const std::string& frame) override {
    // Block for room: the outbox, not this queue, is where a backlog lives,
    // and the delivery loop bounds what is in flight.
    switch (client_->Publish(batch_topic_, frame, 1, false, mqtt::QueueFullPolicy::kBlock)) {
      case mqtt::Client::Enqueued::kQueued: return Status::Ok();
      case mqtt::Client::Enqueued::kTooLarge: return InvalidData("batch larger than the MQTT queue");
      default: return Unavailable("mqtt client stopped or queue full");
    }
  }

 private:
  mqtt::ClientOptions options_;
  const std::string batch_topic_;
  MetricsRegistry* metrics_;
  const std::string labels_;
  AckHandler on_ack_;
  std::unique_ptr<mqtt::Client> client_;
  SystemClock clock_;
  RateLimitedLog log_;
};

}  // namespace

std::unique_ptr<BatchTransport> MakeMqttBatchTransport(mqtt::ClientOptions client, const std::string& prefix,
                                                       const std::string& node, MetricsRegistry* metrics,
                                                       const std::string& labels) {
  return std::make_unique<MqttBatchTransport>(std::move(client), prefix, node, metrics, labels);
}

}  // namespace edgeflow
