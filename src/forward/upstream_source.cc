#include "forward/upstream_source.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <unordered_map>

#include "connectors/common/message_inbox.h"
#include "connectors/mqtt/mqtt_options.h"
#include "forward/ack_message.h"
#include "forward/batch_codec.h"
#include "forward/batch_receiver.h"
#include "forward/event_codec.h"
#include "forward/seq_range_set.h"
#include "forward/upstream_url.h"

namespace edgeflow {
namespace {

struct UpstreamSourceConfig {
  UpstreamUrl url;
  mqtt::ClientOptions client;
  TlsOptions http_tls;  // https:// only
  std::string topic_prefix = "edgeflow/up";
  std::string share_group;
  size_t max_batch_bytes = size_t{16} << 20;
  size_t queue_bytes = size_t{64} << 20;
  size_t dedup_ranges = 4096;
  size_t max_nodes = 10000;
  TimeMicros settle_timeout = 30 * kMicrosPerSecond;
};

// Node ids become topic levels and tags: keep them to a safe alphabet.
bool ValidNodeId(std::string_view node) {
  if (node.empty() || node.size() > 255) return false;
  for (char c : node) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::optional<UpstreamSourceConfig> ParseUpstreamSourceConfig(const BuildContext& ctx) {
  const ConfigNode& config = ctx.config;
  UpstreamSourceConfig c;
  std::optional<UpstreamUrl> url = ParseUpstreamUrl(config["url"]);
  if (url) c.url = *url;
  if (url && url->scheme == UpstreamUrl::Scheme::kMqtt) {
    c.client = mqtt::ParseConnectionOptions(config, ctx.services.id);
    c.client.log_name = "upstream source '" + ctx.services.id + "'";
  } else if (url) {
    c.http_tls = ParseHttpTlsOptions(config, *url, /*receiver=*/true);
  }
  c.topic_prefix = config["topic_prefix"].String(c.topic_prefix);
  if (c.topic_prefix.empty() || c.topic_prefix.find_first_of("+#") != std::string::npos ||
      c.topic_prefix.back() == '/') {
    config["topic_prefix"].Error("must be a topic without wildcards or a trailing /", "edgeflow/up");
  }
  c.share_group = config["share_group"].String("");
  c.max_batch_bytes = static_cast<size_t>(config["max_batch_bytes"].Size(c.max_batch_bytes));
  if (c.max_batch_bytes < 1024) config["max_batch_bytes"].Error("must be at least 1KB");
  c.queue_bytes = static_cast<size_t>(config["queue"].Size(c.queue_bytes));
  if (c.queue_bytes < c.max_batch_bytes) config["queue"].Error("must be at least max_batch_bytes");
  const int64_t ranges = config["dedup_ranges"].Int(4096);
  if (ranges < 1) config["dedup_ranges"].Error("must be >= 1");
  c.dedup_ranges = static_cast<size_t>(std::max<int64_t>(ranges, 1));
  const int64_t nodes = config["max_nodes"].Int(10000);
  if (nodes < 1) config["max_nodes"].Error("must be >= 1");
  c.max_nodes = static_cast<size_t>(std::max<int64_t>(nodes, 1));
  c.settle_timeout = config["settle_timeout"].Duration(c.settle_timeout);
  if (c.settle_timeout <= 0) config["settle_timeout"].Error("must be > 0");
  // The whole frame (compressed) must fit an MQTT message.
  c.client.max_message_bytes = c.max_batch_bytes + 1024;
  c.client.connect.receive_maximum = 100;
  if (!ctx.ok()) return std::nullopt;
  return c;
}

class UpstreamSource final : public Source {
 public:
  UpstreamSource(UpstreamSourceConfig config, const ComponentContext& ctx)
      : config_(std::move(config)),
        ctx_(ctx),
        inbox_(config_.queue_bytes, ctx.wakeup),
        origin_node_(Symbol::Intern("origin_node")),
        origin_seq_(Symbol::Intern("origin_seq")) {
    MetricsRegistry* m = ctx_.metrics;
    const std::string& labels = ctx_.counters.labels;
    static MetricsRegistry unexported;
    if (m == nullptr) m = &unexported;
    batches_ = m->GetCounter("upstream_batches_received", labels, "Batch frames received");
    records_ = m->GetCounter("upstream_records_received", labels, "Records in received batches");
    duplicates_ = m->GetCounter("upstream_duplicates", labels, "Records dropped as already committed");
    acks_ = m->GetCounter("upstream_acks_sent", labels, "Batches acknowledged after commit");
    unacked_ = m->GetCounter("upstream_commit_failures", labels, "Batches not acknowledged: commit failed");
    bytes_ = m->GetCounter("upstream_bytes_received", labels, "Bytes of batch frames received");
    if (const char* crash = std::getenv("EDGEFLOW_TEST_CRASH_AFTER_COMMIT")) {
      crash_after_commits_ = std::strtoull(crash, nullptr, 10);
    }
    if (config_.url.scheme == UpstreamUrl::Scheme::kMqtt) {
      receiver_ = MakeMqttBatchReceiver(config_.client, config_.topic_prefix, config_.share_group, &inbox_,
                                        ctx_.clock, ctx_.metrics, labels);
    } else {
      receiver_ = MakeHttpBatchReceiver(config_.url, config_.http_tls, config_.max_batch_bytes + 1024, config_.settle_timeout,
                                        &inbox_, ctx_.clock, "upstream source '" + ctx_.id + "'");
    }
  }

  Status Start() override { return receiver_->Start(); }
  void Stop() override {
    // Batches taken but not settled are neither acked nor lost: the sender resends.
    inbox_.Close();
    receiver_->Stop();
  }
  bool NotifiesWakeup() const override { return true; }
  bool WantsCommit() const override { return true; }

  PollResult Poll(Batch& out, size_t max_events) override {
    frames_.clear();
    pending_.clear();
    const size_t before = out.size();
    // Whole frames: a batch is emitted (and committed) entirely in one step.
    while (out.size() - before < max_events) {
      if (inbox_.Drain(1, [&](const InboxMessage& m) { Take(m, out); }) == 0) break;
    }
    if (out.size() == before) {
      // Only duplicates or rejects: nothing to commit, settle right away.
      SettleAll(Status::Ok());
      return PollResult::kIdle;
    }
    return PollResult::kData;
  }

  void OnCommitted(const Status& status) override {
    // Fault-test hook: die between the commit and the acknowledgement.
    if (status.ok() && crash_after_commits_ > 0 && ++commits_ == crash_after_commits_) {
      spdlog::warn("upstream source '{}': EDGEFLOW_TEST_CRASH_AFTER_COMMIT reached: exiting before the ack",
                   ctx_.id);
      std::_Exit(86);
    }
    SettleAll(status);
  }

 private:
  struct Frame {
    uint64_t tag = 0;
    std::string node;
    bool rejected = false;
    std::string reason;  // why rejected
    std::vector<uint64_t> seqs;  // every seq of the frame (acked on commit)
  };

  void Reject(Frame& frame, const std::string& reason, const std::string& detail, std::string_view raw) {
    frame.rejected = true;
    frame.reason = reason + ": " + detail;
    Counter* counter = ctx_.counters.Dropped(reason);
    if (ctx_.dead_letters != nullptr) {
      ctx_.dead_letters->Reject(ctx_.id, counter, reason, nullptr, raw.substr(0, 64));
    } else if (counter != nullptr) {
      counter->Add();
    }
  }

  void Take(const InboxMessage& m, Batch& out) {
    batches_->Add();
    bytes_->Add(m.payload.size());
    Frame& frame = frames_.emplace_back();
    frame.tag = m.tag;
    std::string reason;
    Result<DecodedBatch> decoded = DecodeBatch(m.payload, config_.max_batch_bytes, &reason);
    if (!decoded.ok()) {
      Reject(frame, reason, decoded.status().message(), m.payload);
      return;
    }
    frame.node = decoded->node;
    if (!ValidNodeId(frame.node)) {
      Reject(frame, "bad_node", "node id '" + frame.node + "' is not [A-Za-z0-9._-]+", m.payload);
      return;
    }
    if (config_.url.scheme == UpstreamUrl::Scheme::kMqtt &&
        m.origin != config_.topic_prefix + "/" + frame.node + "/batch") {
      Reject(frame, "node_mismatch", "batch of node '" + frame.node + "' on topic " + std::string(m.origin),
             m.payload);
      return;
    }
    records_->Add(decoded->records.size());
    SeqRangeSet& committed = RecentFor(frame.node);
    SeqRangeSet& pending = pending_[frame.node];
    for (const BatchRecord& r : decoded->records) {
      frame.seqs.push_back(r.seq);
      if (committed.Contains(r.seq) || pending.Contains(r.seq)) {
        duplicates_->Add();
        continue;
      }
      Event& e = out.Append();
      const EventDecode decoded_event = DecodeEvent(r.event, e);
      if (decoded_event != EventDecode::kOk) {
        out.PopBack();
        // The frame's CRC held, so the sender wrote it this way: resending
        // cannot help. Dead-letter the record and acknowledge it.
        Frame dummy;
        if (decoded_event == EventDecode::kNameLimit) {
          Reject(dummy, "name_limit",
                 "record " + std::to_string(r.seq) + " brings a new name beyond settings.max_names", r.event);
        } else {
          Reject(dummy, "bad_event", "record " + std::to_string(r.seq) + " does not decode", r.event);
        }
        continue;
      }
      e.SetTag(origin_node_, frame.node);
      e.SetTag(origin_seq_, std::to_string(r.seq));
      pending.Add(r.seq);
    }
  }

  SeqRangeSet& RecentFor(const std::string& node) {
    auto it = recent_.find(node);
    if (it != recent_.end()) return it->second;
    if (recent_.size() >= config_.max_nodes) recent_.erase(recent_.begin());  // the store still dedups
    return recent_.emplace(node, SeqRangeSet(config_.dedup_ranges)).first->second;
  }

  void SettleAll(const Status& status) {
    for (Frame& f : frames_) {
      if (f.rejected) {
        receiver_->Settle(f.tag, f.node, BatchOutcome::kRejected, f.reason);
      } else if (status.ok()) {
        SeqRangeSet& committed = RecentFor(f.node);
        for (uint64_t s : f.seqs) committed.Add(s);
        receiver_->Settle(f.tag, f.node, BatchOutcome::kCommitted,
                          EncodeAck({f.node, SeqRangeSet::ToRanges(f.seqs)}));
        acks_->Add();
      } else {
        unacked_->Add();
        if (log_.Admit(*ctx_.clock)) {
          spdlog::warn("upstream source '{}': not acknowledging a batch of node '{}': {} (the node resends)",
                       ctx_.id, f.node, status.ToString());
        }
        receiver_->Settle(f.tag, f.node, BatchOutcome::kFailed, "commit failed: " + status.message());
      }
    }
    frames_.clear();
    pending_.clear();
  }

  const UpstreamSourceConfig config_;
  const ComponentContext ctx_;
  MessageInbox inbox_;
  std::unique_ptr<BatchReceiver> receiver_;
  const Symbol origin_node_, origin_seq_;
  std::vector<Frame> frames_;  // taken in this step, not yet settled
  std::unordered_map<std::string, SeqRangeSet> pending_;  // seqs emitted in this step
  std::unordered_map<std::string, SeqRangeSet> recent_;   // seqs committed, per node
  RateLimitedLog log_;
  uint64_t crash_after_commits_ = 0;
  uint64_t commits_ = 0;
  Counter* batches_;
  Counter* records_;
  Counter* duplicates_;
  Counter* acks_;
  Counter* unacked_;
  Counter* bytes_;
};

}  // namespace

ComponentDef UpstreamSourceDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSource;
  def.type = "upstream";
  def.summary =
      "Receives store-and-forward batches from nodes' upstream sinks (MQTT or HTTP, with or without TLS), "
      "deduplicates by (node, seq) and acknowledges only what the pipeline committed.";
  def.description =
      "The receiving end of the upstream protocol (docs/design/upstream-protocol.md). Over MQTT it "
      "subscribes to `<topic_prefix>/+/batch` and answers on `<topic_prefix>/<node>/ack`; over HTTP it "
      "listens on the url's host and port and answers each POST to its path with 200 and the ack. "
      "Every decoded event carries the tags `origin_node` and `origin_seq`. A batch is acknowledged only "
      "after every sink of the pipeline committed it (the `store` sink commits its transaction, a `file` "
      "sink flushes); when a commit fails the batch is not acknowledged and the node sends it again. "
      "Records committed recently are dropped as duplicates (`upstream_duplicates`); the `store` sink's "
      "uniqueness on (origin_node, origin_seq) covers resends after a restart. Malformed frames are "
      "counted as `dropped{reason=...}` (bad_magic, unsupported_version, unsupported_codec, truncated, "
      "bad_crc, too_large, bad_compression, bad_records, bad_node, node_mismatch, bad_event, name_limit) and "
      "dead-lettered. See docs/sources/upstream.md.";
  def.params = {
      {"url", "string", "",
       "`mqtt://host:port` or `mqtts://host:port` (TLS; subscribe at a broker), or `http://host:port/path` "
       "or `https://host:port/path` (TLS; listen on host:port, take POSTs to path).",
       true},
      {"topic_prefix", "string", "edgeflow/up", "MQTT: batches arrive on `<prefix>/<node>/batch`.", false},
      {"share_group", "string", "",
       "MQTT: subscribe as `$share/<group>/...` so several receivers split the nodes' batches.", false},
      {"max_batch_bytes", "size", "16MB", "Largest decoded batch body accepted (larger: `too_large`).",
       false},
      {"queue", "size", "64MB",
       "Bytes of received frames waiting for the pipeline; when full the MQTT client stops reading and "
       "HTTP answers 503.",
       false},
      {"dedup_ranges", "int", "4096",
       "Per node, how many disjoint committed seq ranges are remembered to drop resends.", false},
      {"max_nodes", "int", "10000", "Nodes whose committed seqs are remembered.", false},
      {"settle_timeout", "duration", "30s",
       "HTTP: how long a POST waits for its commit before answering 503 (the node resends).", false},
  };
  AppendMqttOnlyParamDefs(def.params, /*receiver=*/true);
  def.example =
      "type: upstream\n"
      "url: mqtt://127.0.0.1:1883\n"
      "client_id: gateway-ingest\n"
      "clean_start: false\n";
  def.make_source = [](BuildContext& ctx) -> std::unique_ptr<Source> {
    std::optional<UpstreamSourceConfig> config = ParseUpstreamSourceConfig(ctx);
    if (!config) return nullptr;
    return std::make_unique<UpstreamSource>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
