#include "connectors/http/http_source.h"

#include <httplib.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "common/thread_name.h"
#include "connectors/common/message_inbox.h"
#include "connectors/common/source_rejects.h"
#include "connectors/http/http_source_config.h"
#include "connectors/http/ingest_decoder.h"

namespace edgeflow {
namespace {

// Why a request was refused before its body was decoded
// (`http_refused{reason=...}`, counted per request).
enum class Refusal : uint8_t {
  kUnknownPath,
  kUnauthorized,
  kUnsupportedContentType,
  kTooLarge,
  kMissingDevice,
  kQueueFull,
  kCount,
};
constexpr std::array<const char*, static_cast<size_t>(Refusal::kCount)> kRefusalNames = {
    "unknown_path", "unauthorized", "unsupported_content_type", "too_large", "missing_device",
    "queue_full"};

// How many bytes of an over-long chunked body are read and discarded (to
// keep the connection usable) before the connection is given up.
constexpr size_t kMaxDiscardFactor = 4;

// What the checks before reading a body decided.
struct RequestPlan {
  int status = 0;  // 0: go on and read the body; else the refusal's status
  PayloadFormat format = PayloadFormat::kJson;
  std::string device;
};

// One server thread's working set, taken from a pool for the duration of a
// request: the body, the scratch batch and decoders for the validation.
struct Worker {
  explicit Worker(const PayloadOptions& options) : decoder(options) {}
  std::string body;
  Batch scratch;
  IngestDecoder decoder;
};

class HttpSource final : public Source {
 public:
  HttpSource(HttpSourceConfig config, const ComponentContext& ctx)
      : config_(std::move(config)),
        ctx_(ctx),
        clock_(ctx.clock != nullptr ? ctx.clock : &SystemClock::Instance()),
        inbox_(config_.queue_bytes, ctx.wakeup),
        decoder_(config_.payload) {
    on_reject_ = [this](DecodeReason reason, std::string_view excerpt) { rejects_.Reject(reason, excerpt); };
    decode_message_ = [this](const InboxMessage& m) { DecodeMessage(m); };
    if (ctx_.counters.registry != nullptr) {
      MetricsRegistry& m = *ctx_.counters.registry;
      const std::string& labels = ctx_.counters.labels;
      bytes_in_ = m.GetCounter("http_bytes_in", labels, "request body bytes received");
      for (size_t i = 0; i < refused_.size(); ++i) {
        refused_[i] = m.GetCounter("http_refused",
                                   labels + ",reason=\"" + kRefusalNames[i] + "\"",
                                   "requests refused before decoding, by reason");
      }
    } else {
      bytes_in_ = &unregistered_;
      for (Counter*& c : refused_) c = &unregistered_;
    }
  }

  ~HttpSource() override { Stop(); }

  Status Start() override {
    Result<std::string> token = ResolveToken(config_);
    if (!token.ok()) return token.status();
    token_ = std::move(token).value();

    server_ = std::make_unique<httplib::Server>();
    httplib::Server& s = *server_;
    const size_t threads = static_cast<size_t>(config_.threads);
    s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // SO_REUSEADDR only: cpp-httplib's default also sets SO_REUSEPORT, which
    // would let a second process share the port instead of failing to start.
    s.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    s.set_payload_max_length(config_.max_body);
    s.set_read_timeout(5, 0);
    s.set_write_timeout(5, 0);
    // cpp-httplib's Stop waits for idle keep-alive connections to time out:
    // keep that short so shutdown stays quick.
    s.set_keep_alive_timeout(2);
    s.set_expect_100_continue_handler(
        [this](const httplib::Request& req, httplib::Response& res) {
          // Refuse before the client sends the body (curl asks for large ones).
          const RequestPlan plan = Plan(req, res);
          return plan.status == 0 ? 100 : plan.status;
        });
    // A JSON body for the errors cpp-httplib answers by itself (e.g. 400 on
    // a malformed request line); ours already have one.
    const httplib::Server::HandlerWithResponse on_error = [](const httplib::Request&,
                                                             httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      res.set_content(ErrorBody("http_" + std::to_string(res.status), "the request was refused"),
                      "application/json");
      return httplib::Server::HandlerResponse::Handled;
    };
    s.set_error_handler(on_error);
    // Runs for every answer just before it is written (a logger would run
    // after, racing with a client that reads the counters).
    s.set_post_routing_handler([this](const httplib::Request&, httplib::Response& res) {
      CountStatus(res.status);
    });
    const auto ingest = [this](const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& reader) {
      HandleIngest(req, res, reader);
    };
    s.Post(".*", ingest);
    s.Put(".*", ingest);
    s.Get(".*", [this](const httplib::Request& req, httplib::Response& res) { HandleGet(req, res); });

    if (!s.bind_to_port(config_.host, config_.port)) {
      const std::string error = std::strerror(errno);
      server_.reset();
      return Unavailable("cannot listen on " + config_.host + ":" + std::to_string(config_.port) +
                         " (" + error + "; is the port in use or the address not local?)");
    }
    listen_done_ = false;
    thread_ = std::thread([this] {
      NameThisThread("ef-http-in");
      server_->listen_after_bind();
      listen_done_ = true;
    });
    // stop() only acts on a running server: wait until it runs, so that a
    // Stop right after Start cannot miss it and leave the thread behind.
    for (int i = 0; i < 5000 && !server_->is_running() && !listen_done_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!server_->is_running()) {
      Stop();
      return Unavailable("the HTTP server on " + config_.host + ":" + std::to_string(config_.port) +
                         " did not start");
    }
    spdlog::info("http source '{}': listening on {}:{} (paths {})", ctx_.id, config_.host,
                 config_.port, JoinPaths());
    return Status::Ok();
  }

  PollResult Poll(Batch& out, size_t max_events) override {
    const size_t start = out.size();
    while (out.size() - start < max_events) {
      if (staged_next_ < staged_.size()) {
        out.AppendSwap(staged_[staged_next_++]);
        continue;
      }
      staged_.Clear();
      staged_next_ = 0;
      if (inbox_.Drain(1, decode_message_) == 0) break;
    }
    return out.size() > start ? PollResult::kData : PollResult::kIdle;
  }

  void Stop() override {
    if (server_ != nullptr) {
      server_->stop();
      if (thread_.joinable()) thread_.join();  // joins the server threads too
      server_.reset();
    }
    inbox_.Close();
  }

  bool NotifiesWakeup() const override { return true; }

 private:
  // --- server threads --------------------------------------------------

  // The checks that need no body: path, token, Content-Type, declared
  // length, device. Fills `res` when refusing.
  RequestPlan Plan(const httplib::Request& req, httplib::Response& res) {
    RequestPlan plan;
    if (!IsIngestPath(config_.paths, req.path)) {
      plan.status = Refuse(res, Refusal::kUnknownPath, 404,
                           "no ingest path here; POST to " + JoinPaths());
      return plan;
    }
    if (!token_.empty() && !BearerTokenMatches(req.get_header_value("Authorization"), token_)) {
      res.set_header("WWW-Authenticate", "Bearer");
      plan.status = Refuse(res, Refusal::kUnauthorized, 401,
                           req.has_header("Authorization")
                               ? "the bearer token is not valid"
                               : "missing Authorization: Bearer <token> header");
      return plan;
    }
    const std::string content_type = req.get_header_value("Content-Type");
    std::optional<PayloadFormat> format =
        FormatForContentType(content_type, config_.payload.format);
    if (!format) {
      plan.status = Refuse(res, Refusal::kUnsupportedContentType, 415,
                           "unsupported Content-Type '" + content_type + "'; " +
                               AcceptedContentTypes(config_.payload.format));
      return plan;
    }
    plan.format = *format;
    if (req.has_header("Content-Length")) {
      const std::string length = req.get_header_value("Content-Length");
      uint64_t n = 0;
      auto [ptr, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
      if (ec == std::errc() && n > config_.max_body) {
        plan.status = Refuse(res, Refusal::kTooLarge, 413, TooLargeMessage());
        return plan;
      }
    }
    plan.device = DeviceFromRequest(config_.device, req.path, req.params);
    if (config_.device.kind == DeviceSpec::Kind::kPathSegment ||
        config_.device.kind == DeviceSpec::Kind::kQuery) {
      if (plan.device.empty() || plan.device.size() > kMaxDeviceBytes ||
          InvalidUtf8Offset(plan.device) != std::string_view::npos) {
        const std::string where =
            config_.device.kind == DeviceSpec::Kind::kQuery
                ? "the query parameter '" + config_.device.name + "'"
                : "URL path segment " + std::to_string(config_.device.segment) + " (from 0)";
        plan.status = Refuse(res, Refusal::kMissingDevice, 400,
                             "the device must be given as " + where + ", 1 to " +
                                 std::to_string(kMaxDeviceBytes) + " bytes of UTF-8");
        return plan;
      }
    }
    return plan;
  }

  void HandleIngest(const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& reader) {
    const RequestPlan plan = Plan(req, res);
    if (plan.status != 0) {
      // Read and drop the body (bounded by max_body: cpp-httplib skips a
      // longer declared one) so the connection stays usable.
      reader([](const char*, size_t) { return true; });
      return;
    }
    std::unique_ptr<Worker> worker = TakeWorker();
    std::string& body = worker->body;
    body.clear();
    bool too_large = false;
    size_t received = 0;
    const bool read_ok = reader([&](const char* data, size_t n) {
      received += n;
      if (body.size() + n > config_.max_body) too_large = true;
      if (too_large) return received <= kMaxDiscardFactor * config_.max_body;
      body.append(data, n);
      return true;
    });
    bytes_in_->Add(received);
    if (too_large || res.status == 413) {
      Refuse(res, Refusal::kTooLarge, 413, TooLargeMessage());
      GiveBack(std::move(worker));
      return;
    }
    if (!read_ok) {
      res.status = 400;
      res.set_content(ErrorBody("incomplete_body", "the request body could not be read"),
                      "application/json");
      GiveBack(std::move(worker));
      return;
    }
    Validate(*worker, plan, req, res);
    GiveBack(std::move(worker));
  }

  // Decodes the body into the worker's scratch batch for the answer, then
  // hands it over to the executor thread.
  void Validate(Worker& worker, const RequestPlan& plan, const httplib::Request& req,
                httplib::Response& res) {
    const size_t size = worker.body.size();
    worker.body.append(PayloadDecoder::kPadding, ' ');
    const std::string_view payload(worker.body.data(), size);
    const TimeMicros now = clock_->Now();
    MessageContext context;
    IngestVerdict verdict;
    worker.scratch.Clear();
    if (!plan.device.empty()) context.device = Symbol::InternData(plan.device);
    if (!plan.device.empty() && context.device.empty()) {
      // A new device id while the process's name table is full: the whole
      // request is refused (the executor counts it when it sees it again).
      verdict.Reject(DecodeReason::kNameLimit, std::string_view(payload.data(), 0), payload);
    } else {
      const DecodeResult result = worker.decoder.Decode(
          plan.format, payload, worker.body.size(), context, now, worker.scratch,
          [&](DecodeReason reason, std::string_view excerpt) {
            verdict.Reject(reason, excerpt, payload);
          });
      verdict.accepted = result.accepted;
    }
    worker.scratch.Clear();
    if (verdict.accepted + verdict.rejected > 0 &&
        !inbox_.TryPush(plan.device, payload, now, static_cast<uint64_t>(plan.format))) {
      if (verdict.accepted > 0) {
        res.set_header("Retry-After", std::to_string(config_.retry_after / kMicrosPerSecond));
        Refuse(res, Refusal::kQueueFull, 503,
               "the pipeline is behind; nothing of this request was kept, retry later");
        return;
      }
      // Nothing to keep anyway: answer the 400 and count the rejections here
      // (without dead letters, which only the executor thread may write).
      refused_[static_cast<size_t>(Refusal::kQueueFull)]->Add();
      for (size_t r = 0; r < verdict.by_reason.size(); ++r) {
        if (verdict.by_reason[r] == 0) continue;
        if (Counter* c = rejects_.DroppedCounter(static_cast<DecodeReason>(r))) c->Add(verdict.by_reason[r]);
      }
    }
    res.status = VerdictStatus(verdict);
    res.set_content(VerdictBody(verdict), "application/json");
    if (verdict.rejected > 0 && log_.Admit(*clock_)) {
      const RejectedRecord& first = verdict.errors.front();
      spdlog::warn("http source '{}': {} {} from {}: {} of {} records rejected, first: {}",
                   ctx_.id, req.method, req.path, req.remote_addr, verdict.rejected,
                   verdict.accepted + verdict.rejected, DecodeReasonName(first.reason));
    }
  }

  void HandleGet(const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/healthz") {
      res.status = 200;
      res.set_content("{\"status\":\"ok\"}\n", "application/json");
      return;
    }
    if (IsIngestPath(config_.paths, req.path)) {
      res.status = 405;
      res.set_header("Allow", "POST, PUT");
      res.set_content(ErrorBody("method_not_allowed", "send readings with POST or PUT"),
                      "application/json");
      return;
    }
    res.status = 404;
    res.set_content(ErrorBody("not_found", "POST readings to " + JoinPaths() +
                                               "; GET /healthz for health"),
                    "application/json");
  }

  int Refuse(httplib::Response& res, Refusal why, int status, const std::string& message) {
    refused_[static_cast<size_t>(why)]->Add();
    res.status = status;
    res.set_content(ErrorBody(kRefusalNames[static_cast<size_t>(why)], message),
                    "application/json");
    if (log_.Admit(*clock_)) {
      spdlog::warn("http source '{}': refused a request with {}: {}", ctx_.id, status, message);
    }
    return status;
  }

  std::string TooLargeMessage() const {
    return "the body is larger than max_body (" + std::to_string(config_.max_body) +
           " bytes); send smaller batches";
  }

  std::string JoinPaths() const {
    std::string text;
    for (const std::string& p : config_.paths) {
      if (!text.empty()) text += ", ";
      text += p;
    }
    return text;
  }

  void CountStatus(int status) {
    if (ctx_.counters.registry == nullptr || status < 100 || status > 599) return;
    std::atomic<Counter*>& cached = status_counters_[static_cast<size_t>(status - 100)];
    Counter* c = cached.load(std::memory_order_acquire);
    if (c == nullptr) {
      // Racing threads get the same counter from the registry.
      c = ctx_.counters.registry->GetCounter(
          "http_requests", ctx_.counters.labels + ",status=\"" + std::to_string(status) + "\"",
          "requests answered, by status code");
      cached.store(c, std::memory_order_release);
    }
    c->Add();
  }

  std::unique_ptr<Worker> TakeWorker() {
    {
      std::lock_guard<std::mutex> lock(workers_mu_);
      if (!free_workers_.empty()) {
        std::unique_ptr<Worker> w = std::move(free_workers_.back());
        free_workers_.pop_back();
        return w;
      }
    }
    return std::make_unique<Worker>(config_.payload);
  }

  void GiveBack(std::unique_ptr<Worker> worker) {
    std::lock_guard<std::mutex> lock(workers_mu_);
    free_workers_.push_back(std::move(worker));
  }

  // --- executor thread ---------------------------------------------------

  void DecodeMessage(const InboxMessage& m) {
    MessageContext context;
    if (!m.origin.empty()) {
      context.device = Symbol::InternData(m.origin);
      if (context.device.empty()) {
        on_reject_(DecodeReason::kNameLimit, RecordExcerpt(m.payload));
        return;
      }
    }
    const auto format = static_cast<PayloadFormat>(m.tag);
    const DecodeResult result = decoder_.Decode(format, m.payload, m.readable(), context,
                                                m.received, staged_, on_reject_);
    rejects_.AddFieldsDropped(result.fields_dropped);
  }


  const HttpSourceConfig config_;
  const ComponentContext ctx_;
  const Clock* const clock_;
  std::string token_;
  MessageInbox inbox_;

  // Server side.
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listen_done_{false};
  std::mutex workers_mu_;
  std::vector<std::unique_ptr<Worker>> free_workers_;
  RateLimitedLog log_;
  Counter unregistered_;
  Counter* bytes_in_ = nullptr;
  std::array<Counter*, static_cast<size_t>(Refusal::kCount)> refused_{};
  std::array<std::atomic<Counter*>, 500> status_counters_{};  // 100..599, filled on first use

  // Executor side.
  IngestDecoder decoder_;
  RejectFn on_reject_;
  std::function<void(const InboxMessage&)> decode_message_;
  SourceRejects rejects_{ctx_};  // also counts, without dead letters, on the server thread
  Batch staged_;  // a message's events beyond Poll's max_events
  size_t staged_next_ = 0;
};

}  // namespace

ComponentDef HttpSourceDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSource;
  def.type = "http";
  def.summary = "An HTTP server that ingests readings POSTed as JSON, NDJSON, SenML, CSV or kv.";
  def.description =
      "Listens on `listen` and accepts POST (or PUT) requests on `path`. The Content-Type picks "
      "the format of each body (application/json, application/x-ndjson or application/jsonl, "
      "application/senml+json, text/csv; none or text/plain: `format`); another type is refused "
      "with 415. Each answer says how many records were accepted and why others were rejected: "
      "200 (all accepted), 207 (some), 400 (none), as JSON "
      "`{\"accepted\":N,\"rejected\":M,\"errors\":[...]}`. Bodies over `max_body` get 413, a "
      "missing or wrong bearer token 401, a full `queue` 503 with Retry-After. Records without "
      "a time get the time they were received. Rejected records are counted as "
      "`dropped{reason=...}` and sent to the dead letters; refused requests are counted as "
      "`http_refused{reason=...}`, answers as `http_requests{status=...}`. GET /healthz answers "
      "200. See docs/sources/http.md.";
  def.params = HttpSourceParamDefs();
  def.example =
      "id: gateway\n"
      "type: http\n"
      "listen: 127.0.0.1:8080\n"
      "path: /ingest\n"
      "device: path[1]\n"
      "token_env: INGEST_TOKEN\n";
  def.make_source = [](BuildContext& ctx) -> std::unique_ptr<Source> {
    std::optional<HttpSourceConfig> config = ParseHttpSourceConfig(ctx.config);
    if (!config) return nullptr;
    return std::make_unique<HttpSource>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
