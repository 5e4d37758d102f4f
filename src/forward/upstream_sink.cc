#include "forward/upstream_sink.h"

#include <spdlog/spdlog.h>

#include "connectors/mqtt/mqtt_options.h"
#include "forward/batch_transport.h"
#include "forward/event_codec.h"
#include "forward/outbox.h"
#include "forward/outbox_options.h"
#include "forward/upstream_delivery.h"
#include "forward/upstream_url.h"

namespace edgeflow {
namespace {

struct UpstreamSinkConfig {
  UpstreamUrl url;
  mqtt::ClientOptions client;
  TlsOptions http_tls;  // https:// only
  std::string topic_prefix = "edgeflow/up";
  OutboxOptions outbox;
  Priority priority = Priority::kEvent;
  std::string alert_field = "rule";
  DeliveryOptions delivery;
  TimeMicros drain_timeout = 2 * kMicrosPerSecond;
};

bool ValidNodeId(std::string_view node) {
  if (node.empty() || node.size() > 255) return false;
  for (char c : node) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// "4:1" -> (4, 1).
bool ParseRatio(const std::string& text, uint32_t& events, uint32_t& telemetry) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return false;
  try {
    size_t used = 0;
    const unsigned long a = std::stoul(text.substr(0, colon), &used);
    if (used != colon) return false;
    const unsigned long b = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || a > 1000 || b > 1000 || a + b == 0) return false;
    events = static_cast<uint32_t>(a);
    telemetry = static_cast<uint32_t>(b);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::optional<UpstreamSinkConfig> ParseUpstreamSinkConfig(const BuildContext& ctx) {
  const ConfigNode& config = ctx.config;
  UpstreamSinkConfig c;
  std::optional<UpstreamUrl> url = ParseUpstreamUrl(config["url"]);
  if (url) c.url = *url;
  if (url && url->scheme == UpstreamUrl::Scheme::kMqtt) {
    c.client = mqtt::ParseConnectionOptions(config, ctx.services.id);
    c.client.log_name = "upstream sink '" + ctx.services.id + "'";
  } else if (url) {
    c.http_tls = ParseHttpTlsOptions(config, *url, /*receiver=*/false);
  }
  c.delivery.node = config["node"].String(ctx.services.node_name);
  if (!ValidNodeId(c.delivery.node)) {
    config["node"].Error("node id '" + c.delivery.node + "' must be 1-255 of [A-Za-z0-9._-]",
                         "node: press-line-7");
  }
  c.delivery.log_name = "upstream sink '" + ctx.services.id + "'";
  c.topic_prefix = config["topic_prefix"].String(c.topic_prefix);
  if (c.topic_prefix.empty() || c.topic_prefix.find_first_of("+#") != std::string::npos ||
      c.topic_prefix.back() == '/') {
    config["topic_prefix"].Error("must be a topic without wildcards or a trailing /", "edgeflow/up");
  }
  ParseOutboxOptions(config["outbox"], c.outbox, "outbox: { path: /var/lib/edgeflow/outbox, max_bytes: 1GB }");
  c.outbox.name = ctx.services.id;
  c.outbox.metrics = ctx.services.metrics;
  const std::string priority = config["priority"].Enum("event", {"alert", "event", "telemetry"});
  c.priority = ParsePriority(priority).ok() ? *ParsePriority(priority) : Priority::kEvent;
  c.alert_field = config["alert_field"].String(c.alert_field);

  const int64_t records = config["batch_records"].Int(500);
  if (records < 1 || records > 100000) config["batch_records"].Error("must be between 1 and 100000");
  c.delivery.batch_records = static_cast<size_t>(std::clamp<int64_t>(records, 1, 100000));
  c.delivery.batch_bytes = static_cast<size_t>(config["batch_bytes"].Size(c.delivery.batch_bytes));
  if (c.delivery.batch_bytes < 1024 || c.delivery.batch_bytes > (size_t{16} << 20)) {
    config["batch_bytes"].Error("must be between 1KB and 16MB");
  }
  const int64_t level = config["level"].Int(3);
  if (level < 1 || level > 19) config["level"].Error("zstd level must be between 1 and 19");
  c.delivery.level = static_cast<int>(std::clamp<int64_t>(level, 1, 19));
  const std::string ratio = config["ratio"].String("4:1");
  if (!ParseRatio(ratio, c.delivery.ratio_events, c.delivery.ratio_telemetry)) {
    config["ratio"].Error("expected events:telemetry shares such as 4:1", "ratio: \"4:1\"");
  }
  c.delivery.live_ratio = config["live_ratio"].Double(c.delivery.live_ratio);
  if (!(c.delivery.live_ratio >= 0.0 && c.delivery.live_ratio <= 1.0)) {
    config["live_ratio"].Error("must be between 0 and 1 (0: strictly oldest first)", "live_ratio: 0.5");
    c.delivery.live_ratio = 0.5;
  }
  const int64_t inflight = config["max_inflight"].Int(4);
  if (inflight < 1 || inflight > 1000) config["max_inflight"].Error("must be between 1 and 1000");
  c.delivery.max_inflight = static_cast<size_t>(std::clamp<int64_t>(inflight, 1, 1000));
  c.delivery.ack_timeout = config["ack_timeout"].Duration(c.delivery.ack_timeout);
  if (c.delivery.ack_timeout <= 0) config["ack_timeout"].Error("must be > 0");
  c.delivery.linger = config["linger"].Duration(c.delivery.linger);
  if (c.delivery.linger < 0 || c.delivery.linger > 60 * kMicrosPerSecond) {
    config["linger"].Error("must be between 0 and 60s");
  }
  c.delivery.backoff_min = config["retry_min"].Duration(c.delivery.backoff_min);
  c.delivery.backoff_max = config["retry_max"].Duration(c.delivery.backoff_max);
  if (c.delivery.backoff_min <= 0 || c.delivery.backoff_max < c.delivery.backoff_min) {
    config["retry_max"].Error("need 0 < retry_min <= retry_max");
  }
  c.drain_timeout = config["drain_timeout"].Duration(c.drain_timeout);
  if (c.drain_timeout < 0) config["drain_timeout"].Error("must be >= 0");
  // A frame must fit the MQTT client's queue whatever the batch holds.
  c.client.max_queued_bytes = std::max<size_t>(c.client.max_queued_bytes, 2 * c.delivery.batch_bytes + 4096);
  if (!ctx.ok()) return std::nullopt;
  return c;
}

class UpstreamSink final : public Sink {
 public:
  UpstreamSink(UpstreamSinkConfig config, const ComponentContext& ctx)
      : config_(std::move(config)), ctx_(ctx), alert_field_(Symbol::Intern(config_.alert_field)) {
    MetricsRegistry* m = ctx_.metrics;
    static MetricsRegistry unexported;
    if (m == nullptr) m = &unexported;
    const std::string& labels = ctx_.counters.labels;
    accepted_ = m->GetCounter("upstream_accepted", labels, "Events appended to the outbox");
    bytes_in_ = m->GetCounter("upstream_bytes_in", labels, "Encoded bytes of events appended to the outbox");
    refused_ = ctx_.counters.Dropped("outbox_full");
    outbox_errors_ = ctx_.counters.ErrorsFor("outbox");
  }

  Status Open() override {
    Result<std::unique_ptr<Outbox>> outbox = Outbox::Open(config_.outbox);
    if (!outbox.ok()) return outbox.status().WithContext("outbox " + config_.outbox.path);
    outbox_ = std::move(*outbox);
    if (config_.url.scheme == UpstreamUrl::Scheme::kMqtt) {
      transport_ = MakeMqttBatchTransport(config_.client, config_.topic_prefix, config_.delivery.node,
                                          ctx_.metrics, ctx_.counters.labels);
    } else {
      transport_ = MakeHttpBatchTransport(config_.url, config_.http_tls, config_.delivery.ack_timeout);
    }
    delivery_ = std::make_unique<DeliveryLoop>(outbox_.get(), transport_.get(), config_.delivery, ctx_.metrics,
                                               ctx_.counters.labels);
    transport_->Start([this](const AckMessage& ack) { delivery_->OnAck(ack); });
    delivery_->Start();
    return Status::Ok();
  }

  void Write(const Batch& batch) override {
    if (!outbox_) return;
    bool urgent = false;
    for (const Event& e : batch) {
      const Priority p = !config_.alert_field.empty() && e.Find(alert_field_) != nullptr ? Priority::kAlert
                                                                                      : config_.priority;
      payload_.clear();
      EncodeEvent(e, payload_);
      Result<uint64_t> seq = outbox_->Append(p, e.device.name(), e.time, payload_);
      if (seq.ok()) {
        accepted_->Add();
        bytes_in_->Add(payload_.size());
        urgent = urgent || p == Priority::kAlert;
        continue;
      }
      // Refused by the overflow policy, or the disk failed: counted, logged,
      // never silent. (Evictions the outbox makes are counted by it.)
      (seq.status().code() == StatusCode::kResourceExhausted ? refused_ : outbox_errors_)->Add();
      if (log_.Admit(*ctx_.clock)) {
        spdlog::error("upstream sink '{}': outbox refused an event of {}: {}", ctx_.id, e.device.name(),
                      seq.status().ToString());
      }
    }
    delivery_->Notify(urgent);
  }

  Status Commit() override { return outbox_ ? outbox_->Commit() : Status::Ok(); }

  void Close() override {
    if (!outbox_) return;
    // Make the last records durable so the drain below can hand them out.
    if (Status st = outbox_->Commit(); !st.ok()) {
      spdlog::error("upstream sink '{}': outbox commit at close failed: {}", ctx_.id, st.ToString());
    }
    delivery_->Stop(config_.drain_timeout);
    transport_->Stop();
    delivery_.reset();
    transport_.reset();
    outbox_.reset();  // flushes and checkpoints
  }

 private:
  const UpstreamSinkConfig config_;
  const ComponentContext ctx_;
  const Symbol alert_field_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<BatchTransport> transport_;
  std::unique_ptr<DeliveryLoop> delivery_;
  std::string payload_;
  RateLimitedLog log_;
  Counter* accepted_;
  Counter* bytes_in_;
  Counter* refused_;
  Counter* outbox_errors_;
};

}  // namespace

ComponentDef UpstreamSinkDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSink;
  def.type = "upstream";
  def.summary =
      "Store and forward: appends every event to a durable outbox, drains it in compressed batches to a "
      "receiver over MQTT or HTTP (with TLS: mqtts://, https://), deletes only what the receiver "
      "acknowledged.";
  def.description =
      "An event counts as accepted (`upstream_accepted`) only once the outbox appended it. A delivery "
      "thread drains the outbox in batches of up to `batch_records` / `batch_bytes`, compressed with zstd "
      "(`level`): alerts first, then the `event` and `telemetry` classes shared by `ratio`. Within each "
      "class, `live_ratio` of the room goes to the live lane (records appended since a backlog built up) "
      "and the rest to the backlog (oldest first), so after an outage fresh records do not wait behind "
      "hours of backlog; each lane is in sequence order. A batch leaves the outbox only when the receiver (an `upstream` source) "
      "acknowledges that it committed it; without an ack within `ack_timeout` every unacknowledged batch "
      "is sent again, in order. While the link is down nothing is lost: records wait in the outbox "
      "(bounded by `outbox.max_bytes` / `outbox.max_age`, evictions counted per class and reason) and "
      "sends back off with full jitter between `retry_min` and `retry_max`. Metrics: `upstream_bytes_in` "
      "(encoded event bytes), `upstream_bytes_sent` (compressed frames), `upstream_batches_sent`, "
      "`upstream_acks`, `upstream_backlog_records`, `upstream_drain_rate`. See docs/sinks/upstream.md "
      "and docs/design/upstream-protocol.md.";
  def.params = {
      {"url", "string", "",
       "Receiver: `mqtt://host:port` or `mqtts://host:port` (TLS; a broker the receiver subscribes at), or "
       "`http://host:port/path` or `https://host:port/path` (TLS; the receiver's upstream source).",
       true},
      {"node", "string", "the pipeline's `node:`",
       "This node's id ([A-Za-z0-9._-]); with the seq it names every record at the receiver. Keep it stable "
       "for the life of the outbox.",
       false},
      {"outbox", "map", "",
       "The durable outbox: " + OutboxOptionsHelp(),
       true},
      {"priority", "alert | event | telemetry", "event", "Outbox class of the events written here.", false},
      {"alert_field", "string", "rule",
       "Events that carry this field (rule outcomes carry `rule`) go as alerts: first out, last evicted. "
       "Empty: none.",
       false},
      {"topic_prefix", "string", "edgeflow/up",
       "MQTT: batches go to `<prefix>/<node>/batch`, acks come on `<prefix>/<node>/ack`.", false},
      {"batch_records", "int", "500", "Most records in one batch.", false},
      {"batch_bytes", "size", "256KB", "Most event bytes (before compression) in one batch.", false},
      {"level", "int", "3", "zstd compression level (1-19).", false},
      {"ratio", "string", "4:1",
       "After alerts, how a batch's room is shared between the event and telemetry classes, so a long "
       "telemetry backlog cannot starve fresher events. Alerts always go first.",
       false},
      {"live_ratio", "number", "0.5",
       "Share (0-1) of each class's room in a batch that goes to the live lane (records appended since a "
       "backlog of the class built up) rather than to the oldest records. 0: strictly oldest first. With "
       "a share above 0 a device's records can arrive out of order between the lanes (the receiver's "
       "store orders by event time; dedup by seq is unaffected).",
       false},
      {"max_inflight", "int", "4", "Batches sent and not yet acknowledged.", false},
      {"ack_timeout", "duration", "10s",
       "A batch without an ack this long (while the link is up) is sent again, with every later one.", false},
      {"linger", "duration", "100ms", "How long records wait to fill a batch when fewer than a batch are ready.",
       false},
      {"retry_min", "duration", "100ms", "First delay after a failed send.", false},
      {"retry_max", "duration", "30s", "Longest delay between failed sends (full jitter in between).", false},
      {"drain_timeout", "duration", "2s",
       "At shutdown, how long to keep draining the outbox (until it is empty and acknowledged); the rest "
       "stays in the outbox for the next run.",
       false},
  };
  AppendMqttOnlyParamDefs(def.params, /*receiver=*/false);
  def.example =
      "type: upstream\n"
      "url: mqtt://127.0.0.1:1883\n"
      "node: press-line-7\n"
      "outbox: { path: /tmp/edgeflow-outbox, max_bytes: 256MB }\n";
  def.make_sink = [](BuildContext& ctx) -> std::unique_ptr<Sink> {
    std::optional<UpstreamSinkConfig> config = ParseUpstreamSinkConfig(ctx);
    if (!config) return nullptr;
    return std::make_unique<UpstreamSink>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
