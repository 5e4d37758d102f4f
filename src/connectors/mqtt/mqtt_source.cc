#include "connectors/mqtt/mqtt_source.h"

#include <spdlog/spdlog.h>

#include <array>

#include "connectors/codec/payload_decoder.h"
#include "connectors/codec/symbol_cache.h"
#include "connectors/common/message_inbox.h"
#include "connectors/common/source_rejects.h"
#include "connectors/mqtt/mqtt_options.h"
#include "connectors/mqtt/mqtt_topic.h"

namespace edgeflow {
namespace {

// A value taken from the topic (`topic[N]`) or fixed.
struct TopicValue {
  std::optional<size_t> level;
  std::string literal;
};

TopicValue ParseTopicValue(const std::string& text) {
  TopicValue v;
  v.level = mqtt::ParseTopicLevelRef(text);
  if (!v.level) v.literal = text;
  return v;
}

struct MqttSourceConfig {
  mqtt::ClientOptions client;
  PayloadOptions payload;
  std::vector<std::string> filters;
  std::optional<TopicValue> device;
  std::optional<size_t> value_field_level;
  std::vector<std::pair<std::string, size_t>> topic_fields;
  size_t queue_bytes = size_t{8} << 20;
};

std::optional<MqttSourceConfig> ParseMqttSourceConfig(const BuildContext& ctx) {
  const ConfigNode& config = ctx.config;
  MqttSourceConfig c;
  c.client = mqtt::ParseConnectionOptions(config, ctx.services.id);
  c.client.log_name = "mqtt source '" + ctx.services.id + "'";

  const ConfigNode topics = config["topics"];
  c.filters = topics.is_scalar() ? std::vector<std::string>{topics.String("")} : topics.StringList();
  if (!topics.defined() || c.filters.empty()) {
    topics.Error("at least one topic filter is required", "topics: [\"factory/+/telemetry\"]");
  }
  const int64_t qos = config["qos"].Int(1);
  if (qos < 0 || qos > 2) config["qos"].Error("must be 0, 1 or 2");
  for (const std::string& f : c.filters) {
    if (std::string why = mqtt::ValidateTopicFilter(f); !why.empty()) {
      topics.Error("'" + f + "': " + why);
    }
    c.client.subscriptions.push_back({f, static_cast<uint8_t>(std::clamp<int64_t>(qos, 0, 2))});
  }

  const ConfigNode device = config["device"];
  if (device.defined()) {
    c.device = ParseTopicValue(device.String(""));
    if (!c.device->level && c.device->literal.empty()) device.Error("must not be empty");
  }
  const ConfigNode topic_fields = config["topic_fields"];
  if (topic_fields.defined()) {
    if (!topic_fields.is_map()) {
      topic_fields.Error("expected a map of field name to topic[N]", "topic_fields: { line: topic[2] }");
    } else {
      for (const std::string& name : topic_fields.Keys()) {
        const std::string ref = topic_fields[name].String("");
        const auto level = mqtt::ParseTopicLevelRef(ref);
        if (!level) {
          topic_fields[name].Error("expected topic[N], e.g. topic[2]");
        } else {
          c.topic_fields.emplace_back(name, *level);
        }
      }
    }
  }
  const std::string value_field = config["value_field"].String("value");
  c.value_field_level = mqtt::ParseTopicLevelRef(value_field);

  c.payload = ParsePayloadOptions(
      config,
      {PayloadFormat::kJson, PayloadFormat::kSenml, PayloadFormat::kCsv, PayloadFormat::kNumber,
       PayloadFormat::kRaw, PayloadFormat::kKv, PayloadFormat::kNdjson},
      MissingTimePolicy::kReceiveTime, c.device.has_value());
  if (c.value_field_level) c.payload.value_field = "value";

  const size_t max_message = static_cast<size_t>(config["max_message"].Size(1 << 20));
  if (max_message == 0) config["max_message"].Error("must be > 0");
  c.client.max_message_bytes = max_message;
  c.payload.json.max_bytes = max_message;
  c.queue_bytes = static_cast<size_t>(config["queue"].Size(8 << 20));
  if (c.queue_bytes < max_message) {
    config["queue"].Error("must be at least max_message");
  }
  c.client.read_batch_delay = config["read_batch_delay"].Duration(kMicrosPerMilli);
  if (c.client.read_batch_delay < 0 || c.client.read_batch_delay > kMicrosPerSecond) {
    config["read_batch_delay"].Error("must be between 0 and 1s");
  }
  const int64_t receive_maximum = config["receive_maximum"].Int(1000);
  if (receive_maximum < 1 || receive_maximum > 65535) {
    config["receive_maximum"].Error("must be between 1 and 65535");
  } else {
    c.client.connect.receive_maximum = static_cast<uint16_t>(receive_maximum);
  }
  if (!ctx.ok()) return std::nullopt;
  return c;
}

class MqttSource final : public Source {
 public:
  MqttSource(MqttSourceConfig config, const ComponentContext& ctx)
      : config_(std::move(config)),
        ctx_(ctx),
        inbox_(config_.queue_bytes, ctx.wakeup),
        decoder_(config_.payload) {
    for (const auto& [name, level] : config_.topic_fields) {
      topic_fields_.push_back({Symbol::Intern(name), level});
    }
    if (config_.device && !config_.device->level) fixed_device_ = Symbol::Intern(config_.device->literal);
    // Built once: a std::function made per message would allocate on the hot path.
    on_reject_ = [this](DecodeReason reason, std::string_view excerpt) {
      rejects_.Reject(reason, excerpt);
    };
    mqtt::ClientOptions options = config_.client;
    // Wake the executor once per read burst, not per message.
    options.on_burst_end = [this] { inbox_.NotifyConsumer(); };
    client_ = std::make_unique<mqtt::Client>(
        options,
        [this](const mqtt::PublishPacket& m, uint64_t tag) {
          return inbox_.TryPush(m.topic, m.payload, ctx_.clock->Now(), tag, /*notify=*/false);
        },
        ctx_.metrics, ctx_.counters.labels);
  }

  Status Start() override {
    client_->Start();
    return Status::Ok();
  }

  bool NotifiesWakeup() const override { return true; }

  PollResult Poll(Batch& out, size_t max_events) override {
    const size_t before = out.size();
    acks_.clear();
    inbox_.Drain(max_events, [&](const InboxMessage& m) { Decode(m, out); });
    client_->Acknowledge(acks_);
    return out.size() > before ? PollResult::kData : PollResult::kIdle;
  }

  void Stop() override {
    inbox_.Close();
    client_->Stop(kMicrosPerSecond);
  }

 private:
  void Decode(const InboxMessage& m, Batch& out) {
    if (m.tag != 0) acks_.push_back(m.tag);
    MessageContext context;
    if (!Matches(m.origin)) {
      RejectUnknownTopic(m.origin);
      return;
    }
    if (config_.device) {
      if (config_.device->level) {
        const auto level = mqtt::TopicLevel(m.origin, *config_.device->level);
        if (!level || level->empty()) {
          RejectUnknownTopic(m.origin);
          return;
        }
        context.device = devices_.Get(*level);
        if (context.device.empty()) {  // the process's name table is full
          rejects_.Reject(DecodeReason::kNameLimit, m.origin);
          return;
        }
      } else {
        context.device = fixed_device_;
      }
    }
    if (config_.value_field_level) {
      const auto level = mqtt::TopicLevel(m.origin, *config_.value_field_level);
      if (!level || level->empty()) {
        RejectUnknownTopic(m.origin);
        return;
      }
      context.value_field = names_.Get(*level);
      if (context.value_field.empty()) {
        rejects_.Reject(DecodeReason::kNameLimit, m.origin);
        return;
      }
    }
    fields_.clear();
    for (const auto& [symbol, index] : topic_fields_) {
      const auto level = mqtt::TopicLevel(m.origin, index);
      if (!level) {
        RejectUnknownTopic(m.origin);
        return;
      }
      fields_.emplace_back(symbol, *level);
    }
    context.fields = fields_;
    const DecodeResult result =
        decoder_.Decode(m.payload, m.readable(), context, m.received, out, on_reject_);
    rejects_.AddFieldsDropped(result.fields_dropped);
  }

  void RejectUnknownTopic(std::string_view topic) {
    if (unknown_topic_ == nullptr && ctx_.counters.registry != nullptr) {
      unknown_topic_ = ctx_.counters.Dropped("unknown_topic");
    }
    rejects_.Reject("unknown_topic", unknown_topic_, RecordExcerpt(topic));
  }

  bool Matches(std::string_view topic) const {
    for (const std::string& f : config_.filters) {
      if (mqtt::TopicMatches(f, topic)) return true;
    }
    return false;
  }

  const MqttSourceConfig config_;
  const ComponentContext ctx_;
  SourceRejects rejects_{ctx_};
  MessageInbox inbox_;
  PayloadDecoder decoder_;
  std::unique_ptr<mqtt::Client> client_;
  std::vector<std::pair<Symbol, size_t>> topic_fields_;
  std::vector<std::pair<Symbol, std::string_view>> fields_;
  Symbol fixed_device_;
  SymbolCache devices_;
  SymbolCache names_;
  std::vector<uint64_t> acks_;
  Counter* unknown_topic_ = nullptr;
  RejectFn on_reject_;
};

}  // namespace

ComponentDef MqttSourceDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSource;
  def.type = "mqtt";
  def.summary = "Subscribes to MQTT topics (3.1.1 or 5, QoS 0-2, TLS) and decodes each message.";
  def.description =
      "Connects to a broker, subscribes to `topics` (wildcards `+` and `#`) and decodes every "
      "message with the payload `format`. Topic levels can name the device (`device: "
      "topic[1]`), add fields (`topic_fields`) or name a bare number's field (`value_field: "
      "topic[2]`). QoS 1 and 2 messages are acknowledged only after they were decoded into the "
      "pipeline; with `clean_start: false` the broker keeps what arrives while the node is down. "
      "The client reconnects forever with exponential backoff and jitter and resubscribes. "
      "Rejected messages are counted as `dropped{reason=...}` (the payload reasons, plus "
      "`unknown_topic`) and sent to the dead letters; messages larger than `max_message` are "
      "skipped and counted in `mqtt_messages_too_large`. See docs/sources/mqtt.md.";
  def.params = {
      {"topics", "list of string", "",
       "Topic filters to subscribe to (`factory/+/telemetry`, `site/#`).", true},
      {"qos", "0 | 1 | 2", "1", "Subscription QoS (the broker delivers at most this).", false},
      {"device", "topic[N] | string", "",
       "The events' device: a topic level (`topic[1]` is the second level) or a fixed id. "
       "Without it, the payload's `device_field` (or `default_device`).",
       false},
      {"topic_fields", "map of field to topic[N]", "",
       "String fields taken from topic levels, e.g. `{ line: topic[2] }`.", false},
      {"max_message", "size", "1MB",
       "Larger messages are skipped (acknowledged, counted in mqtt_messages_too_large).", false},
      {"queue", "size", "8MB",
       "Bytes of received messages waiting for the pipeline; when full the client stops "
       "reading and the broker holds the backlog.",
       false},
      {"receive_maximum", "int", "1000",
       "MQTT 5: QoS 1/2 messages the broker may have in flight to this client.", false},
      {"read_batch_delay", "duration", "1ms",
       "After a read, wait this long so the next read brings many messages in one system call "
       "(less CPU per message, at most this much added latency); 0 reads at once.",
       false},
  };
  for (ParamDef& p : mqtt::ConnectionParamDefs()) def.params.push_back(std::move(p));
  for (ParamDef& p : PayloadParamDefs({PayloadFormat::kJson, PayloadFormat::kSenml,
                                       PayloadFormat::kCsv, PayloadFormat::kNumber,
                                       PayloadFormat::kRaw, PayloadFormat::kKv,
                                       PayloadFormat::kNdjson})) {
    if (p.name == "value_field") {
      p.type = "string | topic[N]";
      p.description =
          "`number` and `raw`: the field the payload becomes, fixed or a topic level "
          "(`topic[3]` for `site/dev1/sensors/temperature`).";
    }
    def.params.push_back(std::move(p));
  }
  def.example =
      "id: telemetry\n"
      "type: mqtt\n"
      "url: mqtt://127.0.0.1:1883\n"
      "topics: [\"factory/+/telemetry\"]\n"
      "qos: 1\n"
      "device: topic[1]\n"
      "format: json\n"
      "clean_start: false\n";
  def.make_source = [](BuildContext& ctx) -> std::unique_ptr<Source> {
    std::optional<MqttSourceConfig> config = ParseMqttSourceConfig(ctx);
    if (!config) return nullptr;
    return std::make_unique<MqttSource>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
