#include "connectors/http/webhook_action.h"

#include <httplib.h>

#include <memory>
#include <random>

#include "connectors/codec/json_encoder.h"
#include "connectors/http/webhook_policy.h"
#include "model/event_template.h"
#include "pipeline/action_worker.h"

namespace edgeflow {
namespace {

struct WebhookActionConfig {
  std::string url;
  WebhookUrl target;
  std::optional<EventTemplate> body;  // default: the alert as JSON
  std::string content_type = "application/json";
  TimeMicros timeout = 5 * kMicrosPerSecond;
  int retries = 3;
  TimeMicros backoff_min = 200 * kMicrosPerMilli;
  TimeMicros backoff_max = 5 * kMicrosPerSecond;
  size_t max_pending = 100;
};

class WebhookAction final : public Action {
 public:
  explicit WebhookAction(WebhookActionConfig config)
      : config_(std::move(config)),
        worker_(config_.max_pending, "not sent: too many calls pending (receiver unreachable?)",
                "not sent: shutting down") {}
  ~WebhookAction() override { worker_.Stop(0); }

  Status Start() override {
    client_ = std::make_unique<httplib::Client>(config_.target.scheme_host_port);
    if (!client_->is_valid()) return InvalidConfig("webhook action url " + config_.url + " is not usable");
    const auto seconds = static_cast<time_t>(config_.timeout / kMicrosPerSecond);
    const auto micros = static_cast<time_t>(config_.timeout % kMicrosPerSecond);
    client_->set_connection_timeout(seconds, micros);
    client_->set_read_timeout(seconds, micros);
    client_->set_write_timeout(seconds, micros);
    worker_.Start([this](Call& call) { Perform(call); });
    return Status::Ok();
  }

  void Fire(const Event& alert) override {
    Call call;
    call.result = {alert.device, alert.time, false, config_.url, ""};
    if (!worker_.started()) {
      call.result.detail = "not sent: the action could not start";
      worker_.Record(std::move(call.result));
      return;
    }
    if (config_.body) {
      config_.body->Render(alert, call.body);
    } else {
      AppendEventJson(alert, JsonEncodeOptions(), call.body);
    }
    worker_.Submit(std::move(call));
  }

  void TakeResults(std::vector<ActionResult>& out) override { worker_.TakeResults(out); }
  void Stop(TimeMicros drain) override { worker_.Stop(drain); }

 private:
  struct Call {
    ActionResult result;
    std::string body;
  };

  // One POST, retried with backoff on 5xx, 408, 429 and transport errors.
  void Perform(Call& call) {
    for (int attempt = 0;; ++attempt) {
      httplib::Result r = client_->Post(config_.target.path, call.body, config_.content_type);
      Delivery delivery = Delivery::kRetry;
      if (r) {
        delivery = ClassifyStatus(r->status);
        call.result.detail = "HTTP " + std::to_string(r->status);
      } else {
        call.result.detail = "request failed: " + httplib::to_string(r.error()) +
                             (r.error() == httplib::Error::Connection ? " (refused or unreachable)" : "");
      }
      if (delivery == Delivery::kDelivered) {
        call.result.ok = true;
        return;
      }
      if (delivery == Delivery::kPermanent || attempt >= config_.retries) return;
      const TimeMicros wait =
          BackoffDelay(attempt, config_.backoff_min, config_.backoff_max, unit_(random_));
      if (!worker_.WaitUnlessStopping(wait)) return;
    }
  }

  const WebhookActionConfig config_;
  std::unique_ptr<httplib::Client> client_;  // used by the worker thread only
  std::mt19937_64 random_{std::random_device{}()};
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
  ActionWorker<Call> worker_;
};

}  // namespace

ActionDef WebhookActionDef() {
  ActionDef def;
  def.type = "webhook";
  def.summary = "POSTs the alert (JSON, or a body template) to a URL, with retries.";
  def.params = {
      {"url", "string", "", "`http://` or `https://` URL.", true},
      {"body", "template", "the alert as JSON",
       "Request body with `${device}` / `${field}` placeholders.", false},
      {"content_type", "string", "application/json", "Content-Type of the request.", false},
      {"timeout", "duration", "5s", "Connect, write and read timeout of each attempt.", false},
      {"retries", "int", "3", "Retries on 5xx, 408, 429 and transport errors.", false},
      {"backoff_min", "duration", "200ms", "First retry delay (doubling, jittered).", false},
      {"backoff_max", "duration", "5s", "Longest retry delay.", false},
  };
  def.example = "webhook: { url: \"http://127.0.0.1:9000/hooks/press\", min_interval: 10m }";
  def.make = [](const ConfigNode& config, const ComponentContext&) -> std::unique_ptr<Action> {
    WebhookActionConfig c;
    if (!config.Require("url")) return nullptr;
    c.url = config["url"].String("");
    std::string error;
    if (!ParseWebhookUrl(c.url, &c.target, &error)) config["url"].Error(error);
    if (config["body"].defined()) c.body = EventTemplate::Parse(config["body"].String(""));
    c.content_type = config["content_type"].String(c.content_type);
    c.timeout = config["timeout"].Duration(c.timeout);
    if (c.timeout <= 0) config["timeout"].Error("must be > 0");
    const int64_t retries = config["retries"].Int(c.retries);
    if (retries < 0 || retries > 100) config["retries"].Error("must be between 0 and 100");
    c.retries = static_cast<int>(std::clamp<int64_t>(retries, 0, 100));
    c.backoff_min = config["backoff_min"].Duration(c.backoff_min);
    c.backoff_max = config["backoff_max"].Duration(c.backoff_max);
    if (c.backoff_min <= 0) config["backoff_min"].Error("must be > 0");
    if (c.backoff_max < c.backoff_min) config["backoff_max"].Error("must be >= backoff_min");
    if (config.diagnostics()->has_errors()) return nullptr;
    return std::make_unique<WebhookAction>(std::move(c));
  };
  return def;
}

}  // namespace edgeflow
