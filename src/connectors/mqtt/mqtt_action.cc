#include "connectors/mqtt/mqtt_action.h"

#include <map>
#include <mutex>

#include "connectors/codec/json_encoder.h"
#include "connectors/mqtt/mqtt_options.h"
#include "connectors/mqtt/mqtt_topic.h"
#include "model/event_template.h"

namespace edgeflow {
namespace {

struct MqttActionConfig {
  mqtt::ClientOptions client;
  EventTemplate topic;
  std::optional<EventTemplate> payload;  // default: the alert as JSON
  uint8_t qos = 1;
  bool retain = false;
  TimeMicros expiry = 10 * kMicrosPerSecond;
};

class MqttAction final : public Action {
 public:
  MqttAction(MqttActionConfig config, const ComponentContext& ctx)
      : config_(std::move(config)), clock_(ctx.clock) {
    config_.client.on_delivery = [this](uint64_t token, bool ok, const std::string& detail) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = pending_.find(token);
      if (it == pending_.end()) return;  // already reported as timed out
      it->second.result.ok = ok;
      it->second.result.detail = detail;
      done_.push_back(std::move(it->second.result));
      pending_.erase(it);
    };
    client_ = std::make_unique<mqtt::Client>(config_.client, nullptr, ctx.metrics,
                                             ctx.counters.labels + ",action=\"mqtt\"");
  }

  Status Start() override {
    client_->Start();
    return Status::Ok();
  }

  void Fire(const Event& alert) override {
    ActionResult result;
    result.device = alert.device;
    result.time = alert.time;
    if (!config_.topic.Render(alert, result.target, "") ||
        !mqtt::ValidateTopicName(result.target).empty()) {
      result.detail = "cannot build the topic from '" + config_.topic.text() + "'";
      std::lock_guard<std::mutex> lock(mutex_);
      done_.push_back(std::move(result));
      return;
    }
    payload_.clear();
    if (config_.payload) {
      config_.payload->Render(alert, payload_);
    } else {
      AppendEventJson(alert, JsonEncodeOptions(), payload_);
    }
    const uint64_t token = ++last_token_;
    const std::string topic = result.target;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_[token] = {std::move(result), clock_->Monotonic() + config_.expiry};
    }
    const auto enqueued = client_->Publish(topic, payload_, config_.qos, config_.retain,
                                           mqtt::QueueFullPolicy::kDropNewest, token, config_.expiry);
    if (enqueued != mqtt::Client::Enqueued::kQueued) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = pending_.find(token);
      if (it != pending_.end()) {
        it->second.result.detail = "not sent: the command queue is full";
        done_.push_back(std::move(it->second.result));
        pending_.erase(it);
      }
    }
  }

  void TakeResults(std::vector<ActionResult>& out) override {
    const TimeMicros now = clock_->Monotonic();
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (now >= it->second.deadline) {
        it->second.result.detail = "no acknowledgement within the expiry (broker unreachable?)";
        done_.push_back(std::move(it->second.result));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    for (ActionResult& r : done_) out.push_back(std::move(r));
    done_.clear();
  }

  void Stop(TimeMicros drain) override {
    client_->WaitUntilDelivered(drain);
    client_->Stop(kMicrosPerSecond);
  }

 private:
  struct Pending {
    ActionResult result;
    TimeMicros deadline = 0;
  };

  MqttActionConfig config_;
  const Clock* clock_;
  std::unique_ptr<mqtt::Client> client_;
  std::string payload_;
  uint64_t last_token_ = 0;
  std::mutex mutex_;
  std::map<uint64_t, Pending> pending_;
  std::vector<ActionResult> done_;
};

}  // namespace

ActionDef MqttActionDef() {
  ActionDef def;
  def.type = "mqtt";
  def.summary = "Publishes a command (or the alert) to an MQTT topic built from the alert.";
  def.params = {
      {"topic", "template", "", "Topic, with `${device}` / `${field}` placeholders.", true},
      {"payload", "template", "the alert as JSON",
       "Message text, with placeholders (`{\"cmd\":\"slow_down\",\"rms\":${vibration_rms_max}}`).",
       false},
      {"qos", "0 | 1 | 2", "1", "Publish QoS.", false},
      {"retain", "bool", "false", "Publish with the retain flag.", false},
      {"expiry", "duration", "10s",
       "A command not delivered within this is given up and reported failed (and, in MQTT 5, "
       "dropped by the broker), so an actuator never acts on a stale command.",
       false},
  };
  for (ParamDef& p : mqtt::ConnectionParamDefs()) def.params.push_back(std::move(p));
  def.example = "mqtt: { topic: \"factory/${device}/cmd\", payload: slow_down, min_interval: 1m }";
  def.make = [](const ConfigNode& config, const ComponentContext& ctx) -> std::unique_ptr<Action> {
    MqttActionConfig c;
    c.client = mqtt::ParseConnectionOptions(config, ctx.id + "-action");
    c.client.log_name = "mqtt action of '" + ctx.id + "'";
    c.client.max_queued_bytes = size_t{1} << 20;
    const ConfigNode topic = config["topic"];
    const std::string text = topic.String("");
    if (text.empty()) {
      topic.Error("a topic is required", "topic: \"factory/${device}/cmd\"");
    } else if (text.find_first_of("+#") != std::string::npos) {
      topic.Error("a topic to publish to must not contain the wildcards + or #");
    }
    c.topic = EventTemplate::Parse(text);
    if (config["payload"].defined()) c.payload = EventTemplate::Parse(config["payload"].String(""));
    const int64_t qos = config["qos"].Int(1);
    if (qos < 0 || qos > 2) config["qos"].Error("must be 0, 1 or 2");
    c.qos = static_cast<uint8_t>(std::clamp<int64_t>(qos, 0, 2));
    c.retain = config["retain"].Bool(false);
    c.expiry = config["expiry"].Duration(c.expiry);
    if (c.expiry < kMicrosPerSecond) config["expiry"].Error("must be at least 1s");
    if (config.diagnostics()->has_errors()) return nullptr;
    return std::make_unique<MqttAction>(std::move(c), ctx);
  };
  return def;
}

}  // namespace edgeflow
