#include "connectors/mqtt/mqtt_sink.h"

#include <spdlog/spdlog.h>

#include "connectors/codec/encoder_options.h"
#include "connectors/mqtt/mqtt_options.h"
#include "connectors/mqtt/mqtt_spill.h"
#include "connectors/mqtt/mqtt_topic.h"
#include "forward/outbox_options.h"
#include "model/event_template.h"

namespace edgeflow {
namespace {

struct MqttSinkConfig {
  mqtt::ClientOptions client;
  EventTemplate topic;
  uint8_t qos = 1;
  bool retain = false;
  mqtt::QueueFullPolicy on_full = mqtt::QueueFullPolicy::kBlock;
  bool spill = false;     // on_full: spill
  OutboxOptions spill_outbox;
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
  const std::string on_full = config["on_full"].Enum("block", {"block", "drop_oldest", "drop_newest", "spill"});
  c.on_full = on_full == "drop_oldest"   ? mqtt::QueueFullPolicy::kDropOldest
              : on_full == "drop_newest" ? mqtt::QueueFullPolicy::kDropNewest
                                         : mqtt::QueueFullPolicy::kBlock;
  c.spill = on_full == "spill";
  if (c.spill) {
    // The spill is written whenever the queue is full: never-blocking by design.
    c.on_full = mqtt::QueueFullPolicy::kDropNewest;
    ParseOutboxOptions(config["spill"], c.spill_outbox, "spill: { path: /var/lib/edgeflow/spill-alerts, max_bytes: 256MB }");
    c.spill_outbox.name = ctx.services.id;
    c.spill_outbox.metrics = ctx.services.metrics;
  } else if (config["spill"].defined()) {
    config["spill"].Error("only used with on_full: spill");
  }
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
        client_(WithDeliveryReports(config_.client), nullptr, ctx.metrics, ctx.counters.labels) {
    const auto counter = [&](const std::string& reason) {
      return ctx_.counters.Dropped(reason);
    };
    dropped_oldest_ = counter("queue_full_oldest");
    dropped_newest_ = counter("queue_full_newest");
    bad_topic_ = counter("unresolved_topic");
    too_large_ = counter("too_large");
    if (config_.spill) {
      spill_full_ = counter("spill_full");
      spilled_ = ctx.counters.Custom("mqtt_spilled", "Messages written to the spill because the send queue was full");
    }
  }

  Status Open() override {
    if (config_.spill) {
      Result<std::unique_ptr<mqtt::MqttSpill>> spill = mqtt::MqttSpill::Open(config_.spill_outbox);
      if (!spill.ok()) return spill.status().WithContext("mqtt sink '" + ctx_.id + "': spill " + config_.spill_outbox.path);
      spill_ = std::move(*spill);
    }
    client_.Start();
    return Status::Ok();
  }

  void Write(const Batch& batch) override {
    RefillFromSpill();
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
      if (spill_ && spill_->backlog()) {  // behind spilled messages: keep the order
        Spill(e);
        continue;
      }
      switch (client_.Publish(topic_, payload_, config_.qos, config_.retain, config_.on_full)) {
        case mqtt::Client::Enqueued::kQueued: break;
        case mqtt::Client::Enqueued::kDroppedOldest:
          dropped_oldest_->Add();
          WarnDropped("oldest");
          break;
        case mqtt::Client::Enqueued::kDroppedNewest:
          if (spill_) {
            StartSpilling();
            Spill(e);
            break;
          }
          dropped_newest_->Add();
          WarnDropped("newest");
          break;
        case mqtt::Client::Enqueued::kTooLarge: too_large_->Add(); break;
        case mqtt::Client::Enqueued::kStopped: break;
      }
    }
  }

  void Flush() override { RefillFromSpill(); }

  void Close() override {
    if (spill_) DrainSpill();
    if (!client_.WaitUntilDelivered(config_.drain_timeout)) {
      spdlog::warn("mqtt sink '{}': {} bytes of messages not delivered within drain_timeout "
                   "(broker down?)",
                   ctx_.id, client_.queued_bytes());
    }
    client_.Stop(kMicrosPerSecond);
    if (spill_) {
      // Messages that went straight to the client and are not delivered
      // (broker down at shutdown) join the spill rather than being lost.
      const size_t kept = MoveToSpill(client_.TakeUndelivered());
      if (kept > 0) spdlog::info("mqtt sink '{}': {} undelivered messages moved to the spill", ctx_.id, kept);
      spill_->UpdateBacklog();
      if (spill_->backlog()) {
        spdlog::warn("mqtt sink '{}': {} spilled messages not delivered yet; kept in {} for the next start", ctx_.id,
                     spill_->pending_records(), config_.spill_outbox.path);
      }
      spill_.reset();  // flushes and checkpoints the spill
    }
  }

 private:
  // Delivery reports for messages taken from the spill (their token is the
  // spill's seq) let the spill delete them once the broker has them.
  mqtt::ClientOptions WithDeliveryReports(mqtt::ClientOptions options) {
    if (config_.spill) {
      options.on_delivery = [this](uint64_t token, bool, const std::string&) {
        if (spill_) spill_->Delivered(token);
      };
    }
    return options;
  }

  void Spill(const Event& e) {
    Status st = spill_->Append(e.device.name(), e.time, topic_, payload_, config_.qos, config_.retain);
    if (st.ok()) {
      spilled_->Add();
      return;
    }
    spill_full_->Add();
    if (log_.Admit(*ctx_.clock)) {
      spdlog::error("mqtt sink '{}': the spill refused a message of {}: {}", ctx_.id, e.device.name(), st.ToString());
    }
  }

  // The queue just filled up: what waits in it (not sent yet) moves to the
  // spill ahead of the new message, so that the spill holds everything
  // unsent in order.
  void StartSpilling() { MoveToSpill(client_.TakeQueued()); }

  // Appends messages taken back from the client; returns how many the spill kept.
  size_t MoveToSpill(const std::vector<mqtt::Client::Undelivered>& messages) {
    size_t kept = 0;
    for (const mqtt::Client::Undelivered& m : messages) {
      if (spill_->Append("", ctx_.clock->Now(), m.topic, m.payload, m.qos, m.retain).ok()) {
        ++kept;
      } else {
        spill_full_->Add();
      }
    }
    return kept;
  }

  void RefillFromSpill() {
    if (!spill_ || !spill_->backlog()) return;
    spill_->Refill(client_);
    spill_->UpdateBacklog();
  }

  // At shutdown: keeps feeding the client from the spill while the broker
  // takes messages, up to drain_timeout; the rest stays on disk.
  void DrainSpill() {
    if (Status st = spill_->Commit(); !st.ok()) {
      spdlog::error("mqtt sink '{}': spill commit failed: {}", ctx_.id, st.ToString());
    }
    const TimeMicros deadline = ctx_.clock->Monotonic() + config_.drain_timeout;
    while (client_.connected() && ctx_.clock->Monotonic() < deadline) {
      spill_->Refill(client_);
      spill_->UpdateBacklog();
      if (!spill_->backlog()) return;
      client_.WaitUntilDelivered(20 * kMicrosPerMilli);
    }
  }

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
  std::unique_ptr<mqtt::MqttSpill> spill_;
  Counter* spilled_ = nullptr;
  Counter* spill_full_ = nullptr;
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
      "`dropped{reason=\"queue_full_oldest|queue_full_newest\"}`, and `spill` writes what does not fit to a "
      "durable, bounded log on disk (`spill`) and sends it, in order and before newer messages, when the broker "
      "catches up; spilled messages survive a restart (`mqtt_spilled` counts them). See docs/sinks/mqtt.md.";
  def.params = {
      {"topic", "template", "",
       "Topic to publish to, with `${device}`, `${time}` or `${field}` placeholders.", true},
      {"qos", "0 | 1 | 2", "1", "Publish QoS.", false},
      {"retain", "bool", "false", "Publish with the retain flag (the broker keeps the last one).",
       false},
      {"queue", "size", "16MB", "Bytes of messages waiting to be sent.", false},
      {"on_full", "block | drop_oldest | drop_newest | spill", "block",
       "What a full queue does (see above).", false},
      {"spill", "map", "",
       "With `on_full: spill`, the durable log for what the queue cannot hold: " + OutboxOptionsHelp(), false},
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
