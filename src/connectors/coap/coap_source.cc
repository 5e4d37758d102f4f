#include "connectors/coap/coap_source.h"

#include <array>
#include <memory>

#include "connectors/coap/coap_config.h"
#include "connectors/coap/coap_paths.h"
#include "connectors/coap/coap_server.h"
#include "connectors/common/message_inbox.h"
#include "connectors/common/source_rejects.h"

namespace edgeflow {
namespace {

PayloadOptions WithFormat(PayloadOptions options, PayloadFormat format) {
  options.format = format;
  return options;
}

class CoapSource final : public Source {
 public:
  CoapSource(CoapConfig config, const ComponentContext& ctx)
      : config_(std::move(config)),
        ctx_(ctx),
        clock_(ctx.clock != nullptr ? ctx.clock : &SystemClock::Instance()),
        inbox_(config_.queue_bytes, ctx.wakeup),
        matcher_(config_.resources, config_.device),
        json_(WithFormat(config_.payload, PayloadFormat::kJson)),
        senml_(WithFormat(config_.payload, PayloadFormat::kSenml)) {
    on_reject_ = [this](DecodeReason reason, std::string_view excerpt) {
      rejects_.Reject(reason, excerpt);
    };
    visit_ = [this](const InboxMessage& m) { Decode(m); };
  }

  ~CoapSource() override { Stop(); }

  Status Start() override {
    server_ = std::make_unique<CoapServer>(config_, &inbox_, MakeServerMetrics(), ctx_.id, clock_);
    Status s = server_->Start();
    if (!s.ok()) server_.reset();
    return s;
  }

  PollResult Poll(Batch& out, size_t max_events) override {
    const size_t start = out.size();
    batch_ = &out;
    // One message at a time: a JSON array can hold many events.
    while (out.size() - start < max_events && inbox_.Drain(1, visit_) > 0) {
    }
    batch_ = nullptr;
    return out.size() > start ? PollResult::kData : PollResult::kIdle;
  }

  void Stop() override {
    if (server_) server_->Stop();
    server_.reset();
    inbox_.Close();
  }

  bool NotifiesWakeup() const override { return true; }

 private:
  void Decode(const InboxMessage& m) {
    const CoapMessageKind kind = CoapTagKind(m.tag);
    if (kind == CoapMessageKind::kRejected) {
      const CoapOutcome outcome = CoapTagOutcome(m.tag);
      rejects_.Reject(OutcomeReason(outcome), TransportDropped(outcome), m.payload);
      return;
    }
    MessageContext context;
    const PathMatch match = matcher_.Match(m.origin);
    if (!match.device.empty()) {
      context.device = Symbol::InternData(match.device);
      if (context.device.empty()) {  // the process's name table is full
        rejects_.Reject(DecodeReason::kNameLimit, RecordExcerpt(m.payload));
        return;
      }
    }
    PayloadDecoder& decoder = kind == CoapMessageKind::kSenml ? senml_ : json_;
    const DecodeResult result =
        decoder.Decode(m.payload, m.readable(), context, m.received, *batch_, on_reject_);
    rejects_.AddFieldsDropped(result.fields_dropped);
  }

  Counter* TransportDropped(CoapOutcome outcome) {
    return transport_dropped_[static_cast<size_t>(outcome)];
  }

  CoapServerMetrics MakeServerMetrics() {
    CoapServerMetrics m;
    transport_dropped_.fill(nullptr);
    MetricsRegistry* registry = ctx_.counters.registry;
    if (registry == nullptr) return m;
    const std::string& labels = ctx_.counters.labels;
    m.bytes_in = registry->GetCounter("coap_bytes_in", labels, "CoAP payload bytes received");
    m.duplicates = registry->GetCounter(
        "coap_duplicates", labels, "CoAP retransmissions answered again and not ingested twice");
    if (config_.dtls()) {
      m.dtls_failures = registry->GetCounter("coap_dtls_failures", labels,
                                             "DTLS handshakes refused (unknown PSK identity) or failed");
    }
    for (int i = 0; i < kCoapOutcomeCount; ++i) {
      const auto outcome = static_cast<CoapOutcome>(i);
      m.requests[i] = registry->GetCounter(
          "coap_requests", labels + ",code=\"" + std::string(CoapCodeText(outcome)) + "\"",
          "CoAP requests, by response code");
      if (!OutcomeReason(outcome).empty()) {
        transport_dropped_[i] = ctx_.counters.Dropped(std::string(OutcomeReason(outcome)));
      }
    }
    m.dropped = transport_dropped_;
    m.decode_dropped = [this](DecodeReason reason) {
      Counter* c = rejects_.DroppedCounter(reason);
      static Counter unregistered;
      return c != nullptr ? c : &unregistered;
    };
    return m;
  }

  const CoapConfig config_;
  const ComponentContext ctx_;
  SourceRejects rejects_{ctx_};
  const Clock* const clock_;
  MessageInbox inbox_;
  ResourceMatcher matcher_;
  PayloadDecoder json_;
  PayloadDecoder senml_;
  std::unique_ptr<CoapServer> server_;
  std::function<void(const InboxMessage&)> visit_;
  RejectFn on_reject_;
  Batch* batch_ = nullptr;  // Poll's output, while draining
  std::array<Counter*, kCoapOutcomeCount> transport_dropped_{};
};

}  // namespace

ComponentDef CoapSourceDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSource;
  def.type = "coap";
  def.summary = "A CoAP server (UDP, optionally DTLS) taking readings POSTed or PUT as JSON or SenML.";
  def.description =
      "Devices POST or PUT readings to the configured resource paths (`telemetry`, "
      "`telemetry/+` with `device: path[1]`), confirmable (answered with a piggy-backed ACK) or "
      "non-confirmable. The Content-Format option chooses the decoder: 50 `application/json`, "
      "110 `application/senml+json`, none: `format`; any other is answered 4.15. Answers: 2.04 "
      "accepted, 2.31 a Block1 block taken, 4.00 the payload does not decode (the diagnostic "
      "payload says why), 4.04 unknown path, 4.05 not POST/PUT, 4.08 Block1 blocks out of order, "
      "4.13 body over `max_body`, 4.15 unsupported Content-Format, 5.03 (with Max-Age) the "
      "pipeline is busy. Retransmitted messages (same peer and message id) are answered again "
      "but not ingested twice. Rejections are counted as `dropped{reason=...}` (the decoder's "
      "reasons such as `malformed_json`, and `unknown_path`, `method_not_allowed`, "
      "`unsupported_content_format`, `too_large`, `incomplete_body`, `busy`), answers as "
      "`coap_requests{code=...}`, payload bytes as `coap_bytes_in`. See docs/sources/coap.md.";
  def.params = CoapParamDefs();
  def.example =
      "id: devices\n"
      "type: coap\n"
      "listen: 0.0.0.0:5683\n"
      "resources: [telemetry/+]\n"
      "device: path[1]\n"
      "max_body: 16KB\n";
  def.make_source = [](BuildContext& ctx) -> std::unique_ptr<Source> {
    std::optional<CoapConfig> config = ParseCoapConfig(ctx.config);
    if (!config) return nullptr;
    return std::make_unique<CoapSource>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
