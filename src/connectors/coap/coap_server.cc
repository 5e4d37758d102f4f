#include "connectors/coap/coap_server.h"

#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "common/log.h"
#include "common/thread_name.h"
#include "connectors/coap/coap_paths.h"
#include "connectors/codec/payload_decoder.h"

// After the project headers: libcoap pulls in <syslog.h>, whose LOG_*
// macros must not leak into them.
#include <coap3/coap.h>

namespace edgeflow {
namespace {

// RFC 7252 EXCHANGE_LIFETIME: how long a message id identifies a message.
constexpr TimeMicros kExchangeLifetime = 247 * kMicrosPerSecond;
// Answers remembered for duplicate detection (oldest forgotten first).
constexpr size_t kMaxRememberedAnswers = 4096;
// A Block1 transfer idle this long is abandoned (its slot may be reused).
constexpr TimeMicros kBlockTransferTimeout = 60 * kMicrosPerSecond;
// Sessions (one per peer address) kept after they went idle.
constexpr unsigned kMaxIdleSessions = 1024;
// Longest diagnostic payload: fits any datagram with the headers.
constexpr size_t kMaxDiagnosticBytes = 160;

// libcoap's log goes through spdlog (libcoap is told to log warnings and
// worse only; its debug output is per packet).
void LogFromLibcoap(coap_log_t level, const char* message) {
  std::string_view text(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (level <= LOG_ERR) {
    spdlog::error("libcoap: {}", text);
  } else if (level <= LOG_WARNING) {
    spdlog::warn("libcoap: {}", text);
  } else {
    spdlog::debug("libcoap: {}", text);
  }
}

// coap_startup() and the log settings are process-wide: once. (There is no
// matching coap_cleanup(): other sources may still use libcoap.)
void StartLibcoapOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    coap_startup();
    coap_set_log_handler(LogFromLibcoap);
    coap_set_log_level(LOG_WARNING);
  });
}

PayloadOptions WithFormat(PayloadOptions options, PayloadFormat format) {
  options.format = format;
  return options;
}

std::optional<uint32_t> UintOption(const coap_pdu_t* pdu, coap_option_num_t number) {
  coap_opt_iterator_t it;
  const coap_opt_t* opt = coap_check_option(pdu, number, &it);
  if (opt == nullptr) return std::nullopt;
  return coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
}

void InsertUintOption(coap_pdu_t* pdu, coap_option_num_t number, uint32_t value) {
  uint8_t buf[4];
  // libcoap inserts an option that comes out of order (Block1 may be there).
  coap_add_option(pdu, number, coap_encode_var_safe(buf, sizeof buf, value), buf);
}

struct UriPathDeleter {
  void operator()(coap_string_t* s) const { coap_delete_string(s); }
};

}  // namespace

uint64_t PackCoapTag(CoapMessageKind kind, CoapOutcome outcome) {
  return static_cast<uint64_t>(kind) | (static_cast<uint64_t>(outcome) << 8);
}
CoapMessageKind CoapTagKind(uint64_t tag) { return static_cast<CoapMessageKind>(tag & 0xff); }
CoapOutcome CoapTagOutcome(uint64_t tag) { return static_cast<CoapOutcome>((tag >> 8) & 0xff); }

// The answer to one request, kept for its duplicates.
struct Answer {
  CoapOutcome outcome = CoapOutcome::kChanged;
  std::string diagnostic;
};

struct CoapServer::State {
  State(const CoapConfig& config, MessageInbox* inbox, CoapServerMetrics metrics, std::string id,
        const Clock* clock)
      : config(config),
        inbox(inbox),
        metrics(std::move(metrics)),
        id(std::move(id)),
        clock(clock),
        matcher(config.resources, config.device),
        json(WithFormat(config.payload, PayloadFormat::kJson)),
        senml(WithFormat(config.payload, PayloadFormat::kSenml)),
        transport_device(Symbol::Intern("coap")) {}

  ~State() {
    if (context != nullptr) coap_free_context(context);
  }

  // One Block1 transfer being assembled.
  struct Transfer {
    std::string peer;
    std::string path;
    std::string body;
    TimeMicros last_used = 0;
  };

  using AnswerKey = std::pair<std::string, uint16_t>;  // peer address, message id
  struct Remembered {
    AnswerKey key;
    TimeMicros at;
  };

  static void Handle(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* request,
                     const coap_string_t* query, coap_pdu_t* response) {
    (void)resource;
    (void)query;
    auto* state = static_cast<State*>(coap_get_app_data(coap_session_get_context(session)));
    state->OnRequest(session, request, response);
  }

  void OnRequest(coap_session_t* session, const coap_pdu_t* request, coap_pdu_t* response) {
    const TimeMicros now = clock->Now();
    char peer_text[INET6_ADDRSTRLEN + 8] = {0};
    coap_print_addr(coap_session_get_addr_remote(session),
                    reinterpret_cast<unsigned char*>(peer_text), sizeof peer_text - 1);
    const std::string peer(peer_text);
    current_peer = peer;
    const AnswerKey key{peer, static_cast<uint16_t>(coap_pdu_get_mid(request))};

    ForgetOldAnswers(now);
    if (auto it = answers.find(key); it != answers.end()) {
      if (metrics.duplicates) metrics.duplicates->Add();
      Respond(response, it->second.outcome, it->second.diagnostic);
      return;
    }
    Answer answer = Decide(peer, request, now);
    Respond(response, answer.outcome, answer.diagnostic);
    if (Counter* c = metrics.requests[static_cast<int>(answer.outcome)]) c->Add();
    answers.emplace(key, std::move(answer));
    remembered.push_back({key, now});
  }

  void ForgetOldAnswers(TimeMicros now) {
    while (!remembered.empty() && (remembered.size() > kMaxRememberedAnswers ||
                                   now - remembered.front().at > kExchangeLifetime)) {
      answers.erase(remembered.front().key);
      remembered.pop_front();
    }
  }

  // Checks the request, hands its body over and says how to answer.
  Answer Decide(const std::string& peer, const coap_pdu_t* request, TimeMicros now) {
    size_t length = 0;
    const uint8_t* data = nullptr;
    if (!coap_get_data(request, &length, &data)) length = 0;
    const std::string_view chunk(reinterpret_cast<const char*>(data), data ? length : 0);
    if (metrics.bytes_in && !chunk.empty()) metrics.bytes_in->Add(chunk.size());

    std::unique_ptr<coap_string_t, UriPathDeleter> uri(coap_get_uri_path(request));
    const std::string_view path =
        uri ? std::string_view(reinterpret_cast<const char*>(uri->s), uri->length)
            : std::string_view();
    const coap_pdu_code_t method = coap_pdu_get_code(request);
    const bool is_write = method == COAP_REQUEST_CODE_POST || method == COAP_REQUEST_CODE_PUT;

    const PathMatch match = matcher.Match(path);
    if (!match.matched) {
      return Reject(CoapOutcome::kNotFound, path, is_write ? chunk : std::string_view(), now,
                    "no resource at /" + std::string(path.substr(0, 100)));
    }
    if (!is_write) {
      return Reject(CoapOutcome::kMethodNotAllowed, path, {}, now, "only POST and PUT");
    }
    const std::optional<uint32_t> content_format =
        UintOption(request, COAP_OPTION_CONTENT_FORMAT);
    const std::optional<PayloadFormat> format =
        FormatForContentFormat(content_format, config.payload.format);
    if (!format) {
      return Reject(CoapOutcome::kUnsupportedFormat, path, chunk, now,
                    "Content-Format " + std::to_string(*content_format) +
                        " not supported; use 50 (json) or 110 (senml+json)");
    }

    // Block1: assemble the body here (libcoap tracks the transfer and sets
    // Block1 in the 2.31 answers; the bound is ours).
    coap_block_b_t block;
    std::string_view body = chunk;
    std::string assembled;
    if (coap_get_block_b(nullptr, request, COAP_OPTION_BLOCK1, &block) && (block.m || block.num > 0)) {
      const size_t offset = static_cast<size_t>(block.num) << (block.szx + 4);
      const std::optional<uint32_t> size1 = UintOption(request, COAP_OPTION_SIZE1);
      Transfer* transfer = FindTransfer(peer, path);
      if (offset + chunk.size() > config.max_body || (size1 && *size1 > config.max_body)) {
        if (transfer) DropTransfer(transfer);
        return Reject(CoapOutcome::kTooLarge, path, chunk, now, TooLargeText());
      }
      if (block.num == 0) {
        if (!transfer) transfer = NewTransfer(peer, path, now);
        if (!transfer) {
          return Reject(CoapOutcome::kBusy, path, {}, now, "too many block-wise transfers");
        }
        transfer->body.assign(chunk);
      } else if (!transfer || transfer->body.size() != offset) {
        if (transfer) DropTransfer(transfer);
        return Reject(CoapOutcome::kIncomplete, path, {}, now,
                      "block " + std::to_string(block.num) + " out of order");
      } else {
        transfer->body.append(chunk);
      }
      transfer->last_used = now;
      if (block.m) return {CoapOutcome::kContinue, ""};
      assembled = std::move(transfer->body);
      DropTransfer(transfer);
      body = assembled;
    } else if (body.size() > config.max_body) {
      return Reject(CoapOutcome::kTooLarge, path, chunk, now, TooLargeText());
    }
    return Accept(*format, path, match, body, now);
  }

  std::string TooLargeText() const {
    return "body larger than max_body (" + std::to_string(config.max_body) + " bytes)";
  }

  // Validates the body (to answer 4.00 at once) and hands it to Poll.
  Answer Accept(PayloadFormat format, std::string_view path, const PathMatch& match,
                std::string_view body, TimeMicros now) {
    padded.assign(body);
    padded.append(PayloadDecoder::kPadding, ' ');
    MessageContext context;
    if (!match.device.empty()) context.device = transport_device;
    scratch.Clear();
    PayloadDecoder& decoder = format == PayloadFormat::kSenml ? senml : json;
    const DecodeResult result =
        decoder.Decode(std::string_view(padded.data(), body.size()), padded.size(), context, now,
                       scratch);
    scratch.Clear();
    Answer answer;
    if (result.rejected > 0) {
      answer.diagnostic = std::string(DecodeReasonName(result.reason)) + ": " +
                          std::string(result.excerpt.substr(0, 100));
      if (result.accepted == 0) {
        answer.outcome = CoapOutcome::kBadRequest;
      } else {
        answer.diagnostic = std::to_string(result.rejected) + " of " +
                            std::to_string(result.rejected + result.accepted) +
                            " records rejected, last " + answer.diagnostic;
      }
    }
    const CoapMessageKind kind =
        format == PayloadFormat::kSenml ? CoapMessageKind::kSenml : CoapMessageKind::kJson;
    if (!inbox->TryPush(path, body, now, PackCoapTag(kind))) {
      if (answer.outcome == CoapOutcome::kBadRequest) {
        // Still a bad request: count it here, as Poll will not see it.
        if (metrics.decode_dropped) metrics.decode_dropped(result.reason)->Add(result.rejected);
        return answer;
      }
      return Reject(CoapOutcome::kBusy, path, {}, now, "pipeline busy; retry later");
    }
    return answer;
  }

  // A rejection by the transport: counted under its reason, and its body (if
  // any) handed over as an excerpt so that Poll sends it to the dead letters.
  Answer Reject(CoapOutcome outcome, std::string_view path, std::string_view body, TimeMicros now,
                std::string diagnostic) {
    const bool handed_over =
        !body.empty() && outcome != CoapOutcome::kBusy &&
        inbox->TryPush(path, RecordExcerpt(body), now,
                       PackCoapTag(CoapMessageKind::kRejected, outcome));
    if (!handed_over) {
      if (Counter* c = metrics.dropped[static_cast<int>(outcome)]) c->Add();
    }
    if (log_limit.Admit(*clock)) {
      spdlog::warn("coap {}: answered {} to {} on '{}': {}", id, CoapCodeText(outcome),
                   current_peer, path.substr(0, 100), diagnostic);
    }
    return {outcome, std::move(diagnostic)};
  }

  Transfer* FindTransfer(const std::string& peer, std::string_view path) {
    for (Transfer& t : transfers) {
      if (t.peer == peer && t.path == path) return &t;
    }
    return nullptr;
  }

  Transfer* NewTransfer(const std::string& peer, std::string_view path, TimeMicros now) {
    std::erase_if(transfers, [now](const Transfer& t) {
      return now - t.last_used > kBlockTransferTimeout;
    });
    if (transfers.size() >= config.max_block_transfers) return nullptr;
    transfers.push_back({peer, std::string(path), {}, now});
    return &transfers.back();
  }

  void DropTransfer(Transfer* transfer) {
    transfers.erase(transfers.begin() + (transfer - transfers.data()));
  }

  // Counts DTLS errors libcoap reports. (A wrong key is not among them: the
  // server cannot decrypt the client's Finished and DTLS silently drops
  // what it cannot decrypt, so the handshake just never completes.)
  static int OnEvent(coap_session_t* session, const coap_event_t event) {
    if (event != COAP_EVENT_DTLS_ERROR) return 0;
    auto* state = static_cast<State*>(coap_get_app_data(coap_session_get_context(session)));
    if (state->metrics.dtls_failures) state->metrics.dtls_failures->Add();
    if (state->log_limit.Admit(*state->clock)) {
      char peer[INET6_ADDRSTRLEN + 8] = {0};
      coap_print_addr(coap_session_get_addr_remote(session), reinterpret_cast<unsigned char*>(peer),
                      sizeof peer - 1);
      spdlog::warn("coap {}: DTLS handshake with {} failed", state->id, peer);
    }
    return 0;
  }

  // DTLS: accepts only the configured identity, with the configured key
  // (libcoap copies the key it is given).
  static const coap_bin_const_t* CheckPskIdentity(coap_bin_const_t* identity,
                                                  coap_session_t* session, void* arg) {
    (void)session;
    auto* state = static_cast<State*>(arg);
    const std::string_view given(reinterpret_cast<const char*>(identity->s), identity->length);
    if (given != state->config.psk_identity) {
      if (state->log_limit.Admit(*state->clock)) {
        spdlog::warn("coap {}: DTLS client presented unknown PSK identity '{}'", state->id,
                     given.substr(0, 64));
      }
      return nullptr;  // counted by OnEvent as a DTLS error
    }
    return &state->psk_key;
  }

  void Respond(coap_pdu_t* response, CoapOutcome outcome, const std::string& diagnostic) {
    coap_pdu_set_code(response,
                      static_cast<coap_pdu_code_t>(COAP_RESPONSE_CODE(CoapResponseCode(outcome))));
    if (outcome == CoapOutcome::kBusy) {
      InsertUintOption(response, COAP_OPTION_MAXAGE, config.retry_after_seconds);
    }
    if (outcome == CoapOutcome::kTooLarge) {
      // RFC 7959 2.9.3: Size1 tells the largest body the server takes.
      InsertUintOption(response, COAP_OPTION_SIZE1, static_cast<uint32_t>(config.max_body));
    }
    if (!diagnostic.empty()) {
      const size_t n = std::min(diagnostic.size(), kMaxDiagnosticBytes);
      coap_add_data(response, n, reinterpret_cast<const uint8_t*>(diagnostic.data()));
    }
  }

  const CoapConfig& config;
  MessageInbox* inbox;
  CoapServerMetrics metrics;
  const std::string id;
  const Clock* clock;
  ResourceMatcher matcher;
  PayloadDecoder json;
  PayloadDecoder senml;
  const Symbol transport_device;  // stands for the path's device while validating
  std::string padded;             // the body plus decoder padding
  Batch scratch;                  // validation output, discarded
  std::vector<Transfer> transfers;
  std::map<AnswerKey, Answer> answers;
  std::deque<Remembered> remembered;
  RateLimitedLog log_limit;
  std::string current_peer;  // of the request being handled, for logs

  coap_context_t* context = nullptr;
  coap_dtls_spsk_t psk{};
  coap_bin_const_t psk_key{};
};

CoapServer::CoapServer(const CoapConfig& config, MessageInbox* inbox, CoapServerMetrics metrics,
                       std::string id, const Clock* clock)
    : config_(config),
      id_(std::move(id)),
      state_(std::make_unique<State>(config, inbox, std::move(metrics), id_, clock)) {}

CoapServer::~CoapServer() { Stop(); }

Status CoapServer::Start() {
  StartLibcoapOnce();
  if (config_.dtls() && !coap_dtls_is_supported()) {
    return InvalidConfig("coap " + id_ + ": psk_key set but this libcoap has no DTLS support");
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(config_.port);
  if (int rc = ::getaddrinfo(config_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Unavailable("coap " + id_ + ": cannot resolve listen host '" + config_.host +
                       "': " + ::gai_strerror(rc));
  }
  coap_address_t address;
  coap_address_init(&address);
  address.size = found->ai_addrlen;
  std::memcpy(&address.addr, found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);

  // libcoap binds with SO_REUSEADDR, which lets two UDP servers share a
  // port silently; a probe without it fails when the port is taken.
  {
    const int probe = ::socket(address.addr.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const bool taken = probe >= 0 && ::bind(probe, &address.addr.sa, address.size) != 0 &&
                       errno == EADDRINUSE;
    if (probe >= 0) ::close(probe);
    if (taken) {
      return Unavailable("coap " + id_ + ": cannot listen on " + config_.host + ":" + port +
                         ": address already in use");
    }
  }

  State& s = *state_;
  s.context = coap_new_context(nullptr);
  if (s.context == nullptr) return Internal("coap " + id_ + ": cannot create a libcoap context");
  coap_set_app_data(s.context, state_.get());
  coap_context_set_block_mode(s.context, COAP_BLOCK_USE_LIBCOAP);
  // Bounds the memory held for peers that went quiet.
  coap_context_set_max_idle_sessions(s.context, kMaxIdleSessions);

  if (config_.dtls()) {
    s.psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    s.psk_key.s = reinterpret_cast<const uint8_t*>(config_.psk_key.data());
    s.psk_key.length = config_.psk_key.size();
    s.psk.validate_id_call_back = State::CheckPskIdentity;
    s.psk.id_call_back_arg = &s;
    s.psk.psk_info.key = s.psk_key;
    if (!coap_context_set_psk2(s.context, &s.psk)) {
      return Internal("coap " + id_ + ": cannot set up DTLS with the pre-shared key");
    }
    coap_register_event_handler(s.context, State::OnEvent);
  }
  const coap_proto_t proto = config_.dtls() ? COAP_PROTO_DTLS : COAP_PROTO_UDP;
  if (coap_new_endpoint(s.context, &address, proto) == nullptr) {
    return Unavailable("coap " + id_ + ": cannot listen on " + config_.host + ":" + port +
                       " (UDP" + (config_.dtls() ? ", DTLS" : "") + "; in use?)");
  }

  // One resource for every path (libcoap's "unknown resource"): paths and
  // methods are matched by us, so every answer is counted.
  coap_resource_t* resource = coap_resource_unknown_init2(State::Handle, 0);
  for (coap_request_t method : {COAP_REQUEST_POST, COAP_REQUEST_GET, COAP_REQUEST_FETCH,
                                COAP_REQUEST_PATCH, COAP_REQUEST_IPATCH}) {
    coap_register_request_handler(resource, method, State::Handle);
  }
  coap_add_resource(s.context, resource);

  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return IoError("coap " + id_ + ": eventfd: " + std::strerror(errno));
  stop_ = false;
  thread_ = std::thread([this] {
    NameThisThread("ef-coap");
    Run();
  });
  spdlog::info("coap {}: listening on {}://{}:{}", id_, config_.dtls() ? "coaps" : "coap",
               config_.host, config_.port);
  return Status::Ok();
}

void CoapServer::Run() {
  // libcoap (built with epoll) exposes one descriptor for all its sockets
  // and timers: wait on it and on our wake-up descriptor, then let libcoap
  // do whatever is due without blocking. Without epoll, poll in slices.
  const int coap_fd = coap_context_get_coap_fd(state_->context);
  while (!stop_.load(std::memory_order_acquire)) {
    if (coap_fd < 0) {
      if (coap_io_process(state_->context, 100) < 0) break;
      continue;
    }
    coap_tick_t now;
    coap_ticks(&now);
    unsigned wait_ms = coap_io_prepare_epoll(state_->context, now);
    if (wait_ms == 0 || wait_ms > 1000) wait_ms = 1000;
    pollfd fds[2] = {{coap_fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(wait_ms)) < 0 && errno != EINTR) {
      spdlog::error("coap {}: poll: {}", id_, std::strerror(errno));
      break;
    }
    if (coap_io_process(state_->context, COAP_IO_NO_WAIT) < 0) break;
  }
  if (!stop_.load(std::memory_order_acquire)) {
    spdlog::error("coap {}: I/O loop failed; no more requests are served", id_);
  }
}

void CoapServer::Stop() {
  if (thread_.joinable()) {
    stop_.store(true, std::memory_order_release);
    const uint64_t one = 1;
    if (::write(wake_fd_, &one, sizeof one) < 0) {
      // The loop also wakes up by its own timeout.
    }
    thread_.join();
  }
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
  if (state_ && state_->context != nullptr) {
    coap_free_context(state_->context);
    state_->context = nullptr;
  }
}

}  // namespace edgeflow
