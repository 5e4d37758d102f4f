#include "connectors/mqtt/mqtt_sink.h"

#include <spdlog/spdlog.h>

#include "connectors/codec/encoder_options.h"
#include "connectors/mqtt/mqtt_options.h"
#include "connectors/mqtt/mqtt_topic.h"
#include "model/event_template.h"

namespace edgeflow {
namespace {

struct MqttSinkConfig {
  mqtt::ClientOptions client;
  EventTemplate topic;
  uint8_t qos = 1;
  bool retain = false;
  mqtt::QueueFullPolicy on_full = mqtt::QueueFullPolicy::kBlock;
  JsonEncodeOptions json;
  TimeMicros drain_timeout = 5 * kMicrosPerSecond;
};

std::optional<MqttSinkConfig> ParseMqttSinkConfig(const BuildContext& ctx) {
  const ConfigNode& config = ctx.config;
  MqttSinkConfig c;
  c.client = mqtt::ParseConnectionOptions(config, ctx.services.id);
  c.client.log_name = "mqtt sink '" + ctx.services.id + "'";
  const ConfigNode topic = config["topic"];
  const std::string text = topic.String("");
  if (!topic.defined() || text.empty()) {
    topic.Error("a topic is required", "topic: \"factory/${device}/alerts\"");
  } else if (text.find_first_of("+#") != std::string::npos) {
    topic.Error("a topic to publish to must not contain the wildcards + or #");
  }
  c.topic = EventTemplate::Parse(text);
  const int64_t qos = config["qos"].Int(1);
  if (qos < 0 || qos > 2) config["qos"].Error("must be 0, 1 or 2");
  c.qos = static_cast<uint8_t>(std::clamp<int64_t>(qos, 0, 2));
  c.retain = config["retain"].Bool(false);
  const std::string on_full = config["on_full"].Enum("block", {"block", "drop_oldest", "drop_newest"});
  c.on_full = on_full == "drop_oldest"   ? mqtt::QueueFullPolicy::kDropOldest
              : on_full == "drop_newest" ? mqtt::QueueFullPolicy::kDropNewest
                                         : mqtt::QueueFullPolicy::kBlock;
  c.client.max_queued_bytes = static_cast<size_t>(config["queue"].Size(16 << 20));
  if (c.client.max_queued_bytes < 1024) config["queue"].Error("must be at least 1KB");
  const int64_t inflight = config["max_inflight"].Int(100);
  if (inflight < 1 || inflight > 65535) config["max_inflight"].Error("must be between 1 and 65535");
  c.client.max_inflight = static_cast<size_t>(std::clamp<int64_t>(inflight, 1, 65535));
  c.json = ReadJsonEncodeOptions(config);
  c.drain_timeout = config["drain_timeout"].Duration(c.drain_timeout);
  if (c.drain_timeout < 0) config["drain_timeout"].Error("must be >= 0");
  if (!ctx.ok()) return std::nullopt;
  return c;
}

class MqttSink final : public Sink {
 public:
  MqttSink(MqttSinkConfig config, const ComponentContext& ctx)
      : config_(std::move(config)),
        ctx_(ctx),
        client_(config_.client, nullptr, ctx.metrics, ctx.counters.labels) {
    const auto counter = [&](const std::string& reason) {
      return ctx_.counters.Dropped(reason);
    };
    dropped_oldest_ = counter("queue_full_oldest");
    dropped_newest_ = counter("queue_full_newest");
    bad_topic_ = counter("unresolved_topic");
    too_large_ = counter("too_large");
  }

  Status Open() override {
    client_.Start();
    return Status::Ok();
  }

  void Write(const Batch& batch) override {
    for (const Event& e : batch) {
      topic_.clear();
      if (!config_.topic.Render(e, topic_, "") || !mqtt::ValidateTopicName(topic_).empty()) {
        // A placeholder the event lacks (or that renders to a wildcard).
        bad_topic_->Add();
        if (log_.Admit(*ctx_.clock)) {
          spdlog::warn("mqtt sink '{}': cannot build topic '{}' for an event of {} (missing "
                       "field?)",
                       ctx_.id, config_.topic.text(), e.device.name());
        }
        continue;
      }
      payload_.clear();
      AppendEventJson(e, config_.json, payload_);
      switch (client_.Publish(topic_, payload_, config_.qos, config_.retain, config_.on_full)) {
        case mqtt::Client::Enqueued::kQueued: break;
        case mqtt::Client::Enqueued::kDroppedOldest:
          dropped_oldest_->Add();
          WarnDropped("oldest");
          break;
        case mqtt::Client::Enqueued::kDroppedNewest:
          dropped_newest_->Add();
          WarnDropped("newest");
          break;
        case mqtt::Client::Enqueued::kTooLarge: too_large_->Add(); break;
        case mqtt::Client::Enqueued::kStopped: break;
      }
    }
  }

  void Close() override {
    if (!client_.WaitUntilDelivered(config_.drain_timeout)) {
      spdlog::warn("mqtt sink '{}': {} bytes of messages not delivered within drain_timeout "
                   "(broker down?)",
                   ctx_.id, client_.queued_bytes());
    }
    client_.Stop(kMicrosPerSecond);
  }

 private:
  void WarnDropped(const char* which) {
    if (log_.Admit(*ctx_.clock)) {
      spdlog::warn("mqtt sink '{}': queue full (broker slow or down): dropped the {} message",
                   ctx_.id, which);
    }
  }

  const MqttSinkConfig config_;
  const ComponentContext ctx_;
  mqtt::Client client_;
  std::string topic_;
  std::string payload_;
  RateLimitedLog log_;
  Counter* dropped_oldest_;
  Counter* dropped_newest_;
  Counter* bad_topic_;
  Counter* too_large_;
};

}  // namespace

ComponentDef MqttSinkDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSink;
  def.type = "mqtt";
  def.summary = "Publishes events as JSON to MQTT topics built from the event (QoS 0-2, TLS).";
  def.description =
      "Each event becomes one JSON message on `topic`, where `${device}`, `${time}` and "
      "`${field}` are replaced from the event (an event lacking a placeholder's field is "
      "dropped and counted as `dropped{reason=\"unresolved_topic\"}`). QoS 1 and 2 messages "
      "stay in flight until the broker acknowledges them and are resent after a reconnect. "
      "Messages wait in a bounded queue (`queue` bytes); when it is full, `on_full` decides: "
      "`block` slows the pipeline down to the broker's pace (backpressure, nothing lost while "
      "the process runs), `drop_oldest` / `drop_newest` keep the pipeline going and count "
      "`dropped{reason=\"queue_full_oldest|queue_full_newest\"}`. See docs/sinks/mqtt.md.";
  def.params = {
      {"topic", "template", "",
       "Topic to publish to, with `${device}`, `${time}` or `${field}` placeholders.", true},
      {"qos", "0 | 1 | 2", "1", "Publish QoS.", false},
      {"retain", "bool", "false", "Publish with the retain flag (the broker keeps the last one).",
       false},
      {"queue", "size", "16MB", "Bytes of messages waiting to be sent.", false},
      {"on_full", "block | drop_oldest | drop_newest", "block",
       "What a full queue does (see above).", false},
      {"max_inflight", "int", "100",
       "QoS 1/2 messages sent and not yet acknowledged (also bounded by the broker's Receive "
       "Maximum).",
       false},
      {"drain_timeout", "duration", "5s",
       "At shutdown, how long to wait for queued and unacknowledged messages.", false},
      TimeFormatParam(),
  };
  for (ParamDef& p : mqtt::ConnectionParamDefs()) def.params.push_back(std::move(p));
  def.example =
      "type: mqtt\n"
      "url: mqtt://127.0.0.1:1883\n"
      "topic: \"factory/${device}/alerts\"\n"
      "qos: 1\n"
      "on_full: drop_oldest\n";
  def.make_sink = [](BuildContext& ctx) -> std::unique_ptr<Sink> {
    std::optional<MqttSinkConfig> config = ParseMqttSinkConfig(ctx);
    if (!config) return nullptr;
    return std::make_unique<MqttSink>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
