#include "connectors/http/webhook_sink.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "common/log.h"
#include "common/text.h"
#include "common/thread_name.h"
#include "connectors/codec/encoder_options.h"
#include "connectors/http/encoded_event_queue.h"
#include "connectors/http/webhook_policy.h"

namespace edgeflow {
namespace {

// How long Flush() waits for the queue to empty while the peer answers.
constexpr TimeMicros kFlushWait = 20 * kMicrosPerMilli;
// Events of failed batches waiting for the executor thread to dead-letter
// them; beyond this they are only counted.
constexpr size_t kMaxFailedPending = 1000;
// Bytes of a peer's answer kept for the log.
constexpr size_t kAnswerExcerptBytes = 200;

struct WebhookConfig {
  std::string url;
  WebhookUrl target;
  httplib::Headers headers;
  size_t batch = 100;
  TimeMicros timeout = 5 * kMicrosPerSecond;
  int retries = 10;
  TimeMicros backoff_min = 100 * kMicrosPerMilli;
  TimeMicros backoff_max = 30 * kMicrosPerSecond;
  size_t queue = 10000;
  OverflowPolicy on_full = OverflowPolicy::kDropOldest;
  TimeMicros drain_timeout = 5 * kMicrosPerSecond;
  std::string ca_file;
  JsonEncodeOptions json;
};

// Why events leave the sink undelivered (`dropped{reason=...}`).
enum class Loss : uint8_t { kQueueFull, kRejected, kRetriesExhausted, kShutdown, kCount };
constexpr const char* kLossNames[] = {"queue_full", "rejected", "retries_exhausted", "shutdown"};

bool IsHeaderToken(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}


class WebhookSink final : public Sink {
 public:
  WebhookSink(WebhookConfig config, const ComponentContext& ctx)
      : c_(std::move(config)),
        ctx_(ctx),
        clock_(ctx.clock != nullptr ? ctx.clock : &SystemClock::Instance()),
        timer_(&SystemClock::Instance()),
        queue_(c_.queue, c_.on_full),
        random_(std::random_device{}()) {
    MetricsRegistry* m = ctx_.counters.registry;
    for (size_t i = 0; i < lost_.size(); ++i) {
      lost_[i] = m != nullptr ? ctx_.counters.Dropped(kLossNames[i]) : &unregistered_;
    }
    retries_ = m != nullptr ? m->GetCounter("webhook_retries", ctx_.counters.labels,
                                            "requests retried after a failure")
                            : &unregistered_;
    delivered_ = m != nullptr ? m->GetCounter("webhook_delivered", ctx_.counters.labels,
                                              "events delivered (answered 2xx)")
                              : &unregistered_;
    queued_ = m != nullptr ? m->GetGauge("webhook_queue", ctx_.counters.labels,
                                         "events waiting to be sent")
                           : nullptr;
  }

  ~WebhookSink() override { Close(); }

  Status Open() override {
    client_ = std::make_unique<httplib::Client>(c_.target.scheme_host_port);
    if (!client_->is_valid()) {
      return InvalidConfig("webhook url " + c_.url + ": cannot make a client for it");
    }
    const auto seconds = static_cast<time_t>(c_.timeout / kMicrosPerSecond);
    const auto micros = static_cast<time_t>(c_.timeout % kMicrosPerSecond);
    client_->set_connection_timeout(seconds, micros);
    client_->set_read_timeout(seconds, micros);
    client_->set_write_timeout(seconds, micros);
    client_->set_keep_alive(true);
    client_->set_default_headers(c_.headers);
    if (!c_.ca_file.empty()) client_->set_ca_cert_path(c_.ca_file);
    // A peer that is down at start is not an error: the sender retries.
    sender_ = std::thread([this] {
      NameThisThread("ef-webhook");
      SendLoop();
    });
    return Status::Ok();
  }

  void Write(const Batch& batch) override {
    DeadLetterFailures();
    if (batch.empty() || closing_) return;
    encoded_.resize(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      encoded_[i].clear();
      AppendEventJson(batch[i], c_.json, encoded_[i]);
    }
    const EncodedEventQueue::PushResult r = queue_.Push(encoded_);
    if (r.dropped > 0) {
      Lose(Loss::kQueueFull, r.dropped);
      if (log_.Admit(*clock_)) {
        spdlog::warn("webhook '{}': queue full ({} events), dropped {} (on_full: {})", ctx_.id,
                     c_.queue, r.dropped,
                     c_.on_full == OverflowPolicy::kDropOldest ? "drop_oldest" : "drop_newest");
      }
    }
    if (queued_ != nullptr) queued_->Set(static_cast<double>(queue_.size()));
  }

  void Flush() override {
    DeadLetterFailures();
    if (!peer_failing_) queue_.WaitIdle(kFlushWait);
    if (queued_ != nullptr) queued_->Set(static_cast<double>(queue_.size()));
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    DeadLetterFailures();
    {
      // Under the lock, so a sender about to wait for a retry sees it.
      std::lock_guard<std::mutex> lock(wake_mu_);
      drain_deadline_ = timer_->Monotonic() + c_.drain_timeout;
      closing_ = true;
    }
    queue_.Close();
    wake_.notify_all();
    if (sender_.joinable()) {
      // The sender stops retrying at the deadline; a request in flight then
      // is cut short so Close is bounded by drain_timeout (plus a little).
      std::unique_lock<std::mutex> lock(wake_mu_);
      const bool done = finished_cv_.wait_for(
          lock, std::chrono::microseconds(c_.drain_timeout + 100 * kMicrosPerMilli),
          [this] { return sender_finished_; });
      lock.unlock();
      if (!done && client_ != nullptr) client_->stop();
      sender_.join();
    }
    DeadLetterFailures();  // batches that failed while draining
    const size_t left = queue_.Clear();
    if (left > 0) {
      Lose(Loss::kShutdown, left);
      spdlog::warn("webhook '{}': {} events not delivered within drain_timeout; dropped", ctx_.id,
                   left);
    }
    if (queued_ != nullptr) queued_->Set(0);
  }

 private:
  // --- sender thread -----------------------------------------------------

  void SendLoop() {
    std::vector<std::string> events;
    std::string body;
    while (true) {
      const size_t n = queue_.Pop(c_.batch, events, kMicrosPerSecond);
      if (n == 0) {
        if (queue_.closed()) break;
        continue;
      }
      if (closing_ && timer_->Monotonic() >= drain_deadline_) {
        Lose(Loss::kShutdown, n);
        queue_.Done();
        continue;  // count the rest as they are popped
      }
      body.clear();
      if (c_.batch == 1) {
        body = events[0];
      } else {
        body.push_back('[');
        for (size_t i = 0; i < n; ++i) {
          if (i > 0) body.push_back(',');
          body += events[i];
        }
        body.push_back(']');
      }
      Deliver(body, events, n);
      queue_.Done();
    }
    std::lock_guard<std::mutex> lock(wake_mu_);
    sender_finished_ = true;
    finished_cv_.notify_all();
  }

  // Sends one batch until delivered, refused for good, out of retries or
  // out of drain time.
  void Deliver(const std::string& body, const std::vector<std::string>& events, size_t n) {
    for (int attempt = 0;; ++attempt) {
      httplib::Result result = client_->Post(c_.target.path, body, "application/json");
      Delivery delivery = Delivery::kRetry;
      std::string what;
      TimeMicros retry_after = 0;
      if (result) {
        const int status = result->status;
        delivery = ClassifyStatus(status);
        CountRequest(std::to_string(status));
        what = "HTTP " + std::to_string(status);
        if (delivery != Delivery::kDelivered) {
          std::string_view answer = result->body;
          what += ": " + std::string(answer.substr(0, kAnswerExcerptBytes));
          const std::string header = result->get_header_value("Retry-After");
          if (!header.empty() && header.find_first_not_of("0123456789") == std::string::npos &&
              header.size() < 7) {
            retry_after = std::stoll(header) * kMicrosPerSecond;
          }
        }
      } else {
        const httplib::Error error = result.error();
        CountRequest(error == httplib::Error::ConnectionTimeout ? "timeout" : "connection_error");
        what = httplib::to_string(error);
        // A certificate the client cannot verify stays unverifiable.
        if (error == httplib::Error::SSLServerVerification ||
            error == httplib::Error::SSLLoadingCerts) {
          delivery = Delivery::kPermanent;
        }
      }
      if (delivery == Delivery::kDelivered) {
        peer_failing_ = false;
        delivered_->Add(n);
        return;
      }
      peer_failing_ = true;
      if (ctx_.counters.errors != nullptr) ctx_.counters.errors->Add();
      if (delivery == Delivery::kPermanent) {
        Fail(Loss::kRejected, events, n, what);
        return;
      }
      if (attempt >= c_.retries) {
        Fail(Loss::kRetriesExhausted, events, n, what);
        return;
      }
      TimeMicros delay = BackoffDelay(attempt, c_.backoff_min, c_.backoff_max, Uniform());
      if (retry_after > 0) delay = std::clamp(retry_after, c_.backoff_min, c_.backoff_max);
      if (log_.Admit(*clock_)) {
        spdlog::warn("webhook '{}': POST {} failed ({}); retry {} of {} in {} ms", ctx_.id, c_.url,
                     what, attempt + 1, c_.retries, delay / kMicrosPerMilli);
      }
      if (!WaitBeforeRetry(delay)) {
        Lose(Loss::kShutdown, n);
        return;
      }
      retries_->Add();
    }
  }

  // False when the sink is closing and the drain deadline comes first.
  bool WaitBeforeRetry(TimeMicros delay) {
    std::unique_lock<std::mutex> lock(wake_mu_);
    const TimeMicros start = timer_->Monotonic();
    while (true) {
      const TimeMicros now = timer_->Monotonic();
      if (closing_ && now + std::max<TimeMicros>(0, delay - (now - start)) >= drain_deadline_) {
        return false;
      }
      if (now - start >= delay) return true;
      wake_.wait_for(lock, std::chrono::microseconds(delay - (now - start)));
    }
  }

  void Fail(Loss loss, const std::vector<std::string>& events, size_t n, const std::string& what) {
    if (fail_log_.Admit(*clock_)) {
      spdlog::error("webhook '{}': POST {} of {} events failed for good ({}): {}", ctx_.id, c_.url,
                    n, kLossNames[static_cast<size_t>(loss)], what);
    }
    std::lock_guard<std::mutex> lock(failed_mu_);
    for (size_t i = 0; i < n; ++i) {
      if (failed_.size() >= kMaxFailedPending) {
        Lose(loss, n - i);  // only counted: the dead letters are too far behind
        break;
      }
      failed_.push_back({loss, events[i]});
    }
  }

  void CountRequest(const std::string& status) {
    if (ctx_.counters.registry == nullptr) return;
    ctx_.counters.registry
        ->GetCounter("webhook_requests", ctx_.counters.labels + ",status=\"" + status + "\"",
                     "requests sent, by answer (status code, timeout, connection_error)")
        ->Add();
  }

  double Uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(random_); }

  // --- executor thread ---------------------------------------------------

  // Hands the events of failed batches to the dead letters.
  void DeadLetterFailures() {
    std::deque<std::pair<Loss, std::string>> failed;
    {
      std::lock_guard<std::mutex> lock(failed_mu_);
      if (failed_.empty()) return;
      failed.swap(failed_);
    }
    for (const auto& [loss, json] : failed) {
      Counter* counter = lost_[static_cast<size_t>(loss)];
      if (ctx_.dead_letters != nullptr) {
        ctx_.dead_letters->Reject(ctx_.id, counter, kLossNames[static_cast<size_t>(loss)], nullptr,
                                  json);
      } else {
        counter->Add();
      }
    }
  }

  void Lose(Loss loss, size_t n) { lost_[static_cast<size_t>(loss)]->Add(n); }

  const WebhookConfig c_;
  const ComponentContext ctx_;
  const Clock* const clock_;
  // Backoff waits and the drain deadline are real waits on sockets and
  // condition variables: they always use the system clock, even in tests.
  const Clock* const timer_;
  EncodedEventQueue queue_;
  std::unique_ptr<httplib::Client> client_;
  std::thread sender_;
  std::vector<std::string> encoded_;  // executor thread's encoding buffers

  std::mutex wake_mu_;
  std::condition_variable wake_;         // cuts backoff waits short on Close
  std::condition_variable finished_cv_;  // the sender has ended
  bool sender_finished_ = false;         // guarded by wake_mu_
  std::atomic<bool> closing_{false};
  std::atomic<TimeMicros> drain_deadline_{0};
  std::atomic<bool> peer_failing_{false};
  bool closed_ = false;

  std::mutex failed_mu_;
  std::deque<std::pair<Loss, std::string>> failed_;

  std::mt19937_64 random_;  // sender thread only
  RateLimitedLog log_;       // retries and overflows
  RateLimitedLog fail_log_;  // batches given up
  Counter unregistered_;
  std::array<Counter*, static_cast<size_t>(Loss::kCount)> lost_{};
  Counter* retries_ = nullptr;
  Counter* delivered_ = nullptr;
  Gauge* queued_ = nullptr;
};

std::optional<WebhookConfig> ParseWebhookConfig(const ConfigNode& config) {
  const size_t errors_before = config.ErrorCount();
  WebhookConfig c;
  const ConfigNode url = config["url"];
  c.url = url.String("");
  if (url.defined()) {
    std::string error;
    if (!ParseWebhookUrl(c.url, &c.target, &error)) url.Error(error);
  }
  const ConfigNode headers = config["headers"];
  if (headers.defined()) {
    if (!headers.is_map()) {
      headers.Error("must be a map of header name to value");
    } else {
      for (const std::string& name : headers.Keys()) {
        const ConfigNode value = headers[name];
        const std::string text = value.String("");
        if (!IsHeaderToken(name)) {
          value.Error("'" + name + "' is not a valid header name");
        } else if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Host") ||
                   EqualsIgnoreCase(name, "Content-Type") ||
                   EqualsIgnoreCase(name, "Transfer-Encoding")) {
          value.Error("'" + name + "' is set by the sink");
        } else if (text.find_first_of("\r\n") != std::string::npos) {
          value.Error("header values must not contain line breaks");
        } else {
          c.headers.emplace(name, text);
        }
      }
    }
  }
  const ConfigNode batch = config["batch"];
  const int64_t batch_size = batch.Int(static_cast<int64_t>(c.batch));
  if (batch_size < 1 || batch_size > 100000) batch.Error("must be between 1 and 100000");
  c.batch = static_cast<size_t>(std::max<int64_t>(batch_size, 1));
  const ConfigNode timeout = config["timeout"];
  c.timeout = timeout.Duration(c.timeout);
  if (c.timeout < kMicrosPerMilli || c.timeout > 600 * kMicrosPerSecond) {
    timeout.Error("must be between 1ms and 10m");
  }
  const ConfigNode retries = config["retries"];
  c.retries = static_cast<int>(retries.Int(c.retries));
  if (c.retries < 0 || c.retries > 1000) retries.Error("must be between 0 and 1000");
  const ConfigNode backoff_min = config["backoff_min"];
  c.backoff_min = backoff_min.Duration(c.backoff_min);
  if (c.backoff_min < kMicrosPerMilli) backoff_min.Error("must be at least 1ms");
  const ConfigNode backoff_max = config["backoff_max"];
  c.backoff_max = backoff_max.Duration(c.backoff_max);
  if (c.backoff_max < c.backoff_min) backoff_max.Error("must be at least backoff_min");
  if (c.backoff_max > 3600 * kMicrosPerSecond) backoff_max.Error("must be at most 1h");
  const ConfigNode queue = config["queue"];
  const int64_t queue_size = queue.Int(static_cast<int64_t>(c.queue));
  if (queue_size < 1 || queue_size > 10'000'000) queue.Error("must be between 1 and 10000000");
  c.queue = static_cast<size_t>(std::max<int64_t>(queue_size, 1));
  const std::string on_full = config["on_full"].Enum("drop_oldest", {"block", "drop_oldest", "drop_newest"});
  c.on_full = on_full == "block"         ? OverflowPolicy::kBlock
              : on_full == "drop_newest" ? OverflowPolicy::kDropNewest
                                         : OverflowPolicy::kDropOldest;
  const ConfigNode drain = config["drain_timeout"];
  c.drain_timeout = drain.Duration(c.drain_timeout);
  if (c.drain_timeout < 0 || c.drain_timeout > 3600 * kMicrosPerSecond) {
    drain.Error("must be between 0s and 1h");
  }
  const ConfigNode ca_file = config["ca_file"];
  c.ca_file = ca_file.String("");
  if (ca_file.defined() && !c.target.tls) ca_file.Error("only applies to https:// URLs");
  c.json = ReadJsonEncodeOptions(config);
  if (config.ErrorCount() != errors_before) return std::nullopt;
  return c;
}

}  // namespace

ComponentDef WebhookSinkDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSink;
  def.type = "webhook";
  def.summary = "POSTs events as JSON to an HTTP(S) endpoint, batched, with retries and backoff.";
  def.description =
      "Each request carries up to `batch` events as a JSON array (one object per event, as the "
      "file and stdout sinks write them), or a single object with `batch: 1`. A sender thread "
      "does the network I/O; the pipeline only fills a queue of `queue` events (`on_full`: "
      "block, drop_oldest or drop_newest, counted as `dropped{reason=\"queue_full\"}`). 5xx, "
      "408, 429, timeouts and refused connections are retried `retries` times with exponential "
      "backoff and jitter; other answers are permanent. Events of a batch that fails for good are "
      "logged and dead-lettered (`rejected`, `retries_exhausted`). On shutdown the queue is "
      "drained for up to `drain_timeout`; what is left is counted as `shutdown`. See "
      "docs/sinks/webhook.md.";
  def.params = {
      {"url", "string", "", "http:// or https:// URL to POST to (path and query included).", true},
      {"headers", "map of string", "",
       "Extra request headers, e.g. `{Authorization: \"Bearer ${HOOK_TOKEN}\"}`. Content-Type "
       "(application/json), Content-Length and Host are set by the sink.",
       false},
      {"batch", "int", "100",
       "Most events per request (a JSON array); `1` sends each event as a single JSON object.",
       false},
      {"timeout", "duration", "5s", "Connect, send and receive timeout of each request.", false},
      {"retries", "int", "10",
       "Retries of a failed request (5xx, 408, 429, timeout, connection refused) before its events "
       "are given up.",
       false},
      {"backoff_min", "duration", "100ms", "Wait before the first retry.", false},
      {"backoff_max", "duration", "30s",
       "Longest wait between retries (the wait doubles per retry, with jitter).", false},
      {"queue", "int", "10000", "Events waiting to be sent, at most.", false},
      {"on_full", "block | drop_oldest | drop_newest", "drop_oldest",
       "When the queue is full: make the pipeline wait, drop the oldest waiting event, or drop "
       "the new one.",
       false},
      {"drain_timeout", "duration", "5s",
       "On shutdown, how long to keep sending what is queued.", false},
      {"ca_file", "string", "",
       "https: PEM file of the CA certificates to trust (default: the system's).", false},
      TimeFormatParam(),
  };
  def.example =
      "type: webhook\n"
      "url: http://127.0.0.1:9000/hook\n"
      "batch: 50\n"
      "headers: { X-Source: edgeflow }\n"
      "retries: 5\n";
  def.make_sink = [](BuildContext& ctx) -> std::unique_ptr<Sink> {
    std::optional<WebhookConfig> config = ParseWebhookConfig(ctx.config);
    if (!config) return nullptr;
    return std::make_unique<WebhookSink>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
