// MQTT transport of the upstream source (see batch_receiver.h).
#include <spdlog/spdlog.h>

#include "forward/batch_receiver.h"

namespace edgeflow {
namespace {

class MqttBatchReceiver final : public BatchReceiver {
 public:
  MqttBatchReceiver(mqtt::ClientOptions options, std::string topic_prefix, const std::string& share_group,
                    MessageInbox* inbox, const Clock* clock, MetricsRegistry* metrics,
                    const std::string& labels)
      : prefix_(std::move(topic_prefix)), inbox_(inbox), clock_(clock) {
    const std::string filter = prefix_ + "/+/batch";
    options.subscriptions = {{share_group.empty() ? filter : "$share/" + share_group + "/" + filter, 1}};
    options.on_burst_end = [this] { inbox_->NotifyConsumer(); };
    client_ = std::make_unique<mqtt::Client>(
        options,
        [this](const mqtt::PublishPacket& m, uint64_t tag) {
          return inbox_->TryPush(m.topic, m.payload, clock_->Now(), tag, /*notify=*/false);
        },
        metrics, labels);
  }

  Status Start() override {
    client_->Start();
    return Status::Ok();
  }

  void Stop() override {
    // Acks published just before shutdown still go out.
    client_->WaitUntilDelivered(kMicrosPerSecond);
    client_->Stop(kMicrosPerSecond);
  }

  void Settle(uint64_t tag, const std::string& node, BatchOutcome outcome, const std::string& body) override {
    if (outcome == BatchOutcome::kCommitted) {
      // A lost ack only costs a resend (which is deduplicated), so a full
      // queue drops the oldest rather than stalling the pipeline.
      client_->Publish(prefix_ + "/" + node + "/ack", body, 1, false, mqtt::QueueFullPolicy::kDropOldest);
    }
    if (tag != 0) client_->Acknowledge({tag});
  }

 private:
  const std::string prefix_;
  MessageInbox* inbox_;
  const Clock* clock_;
  std::unique_ptr<mqtt::Client> client_;
};

}  // namespace

std::unique_ptr<BatchReceiver> MakeMqttBatchReceiver(mqtt::ClientOptions client, const std::string& topic_prefix,
                                                     const std::string& share_group, MessageInbox* inbox,
                                                     const Clock* clock, MetricsRegistry* metrics,
                                                     const std::string& labels) {
  return std::make_unique<MqttBatchReceiver>(std::move(client), topic_prefix, share_group, inbox, clock,
                                             metrics, labels);
}

}  // namespace edgeflow
