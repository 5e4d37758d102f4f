#include "connectors/mqtt/mqtt_client.h"

#include "common/thread_name.h"
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

namespace edgeflow::mqtt {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

Counter* MakeCounter(MetricsRegistry* metrics, const char* name, const std::string& labels,
                     const char* help) {
  if (metrics == nullptr) {
    static Counter unused;
    return &unused;
  }
  return metrics->GetCounter(name, labels, help);
}

}  // namespace

Client::Client(ClientOptions options, MessageHandler on_message, MetricsRegistry* metrics,
               const std::string& labels)
    : options_(std::move(options)),
      on_message_(std::move(on_message)),
      version_(options_.connect.version) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  m_connects_ = MakeCounter(metrics, "mqtt_connects", labels, "MQTT connections established");
  m_connect_failures_ =
      MakeCounter(metrics, "mqtt_connect_failures", labels, "failed MQTT connection attempts");
  m_disconnects_ = MakeCounter(metrics, "mqtt_disconnects", labels, "MQTT connections lost");
  m_received_ = MakeCounter(metrics, "mqtt_messages_received", labels, "PUBLISH packets received");
  m_received_bytes_ = MakeCounter(metrics, "mqtt_bytes_received", labels, "bytes read from the broker");
  m_sent_ = MakeCounter(metrics, "mqtt_messages_sent", labels, "PUBLISH packets sent");
  m_too_large_ = MakeCounter(metrics, "mqtt_messages_too_large", labels,
                             "incoming messages skipped for exceeding max_message");
  m_protocol_errors_ =
      MakeCounter(metrics, "mqtt_protocol_errors", labels, "malformed packets from the broker");
  static Gauge unused_gauge;
  m_connected_ = metrics == nullptr
                     ? &unused_gauge
                     : metrics->GetGauge("mqtt_connected", labels, "1 while connected to the broker");
  // Jitter differs between clients started together.
  rng_ ^= static_cast<uint64_t>(SystemClock::Instance().Monotonic()) * 0xBF58476D1CE4E5B9ull;
  rng_ ^= reinterpret_cast<uintptr_t>(this);
}

Client::~Client() {
  Stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Client::Start() {
  if (thread_.joinable()) return;
  stop_.store(false);
  thread_ = std::thread([this] {
    NameThisThread("ef-mqtt");
    Run();
  });
}

void Client::Stop(TimeMicros drain) {
  if (!thread_.joinable()) return;
  drain_ = drain;
  stop_.store(true);
  WakeIo();
  room_.notify_all();
  thread_.join();
}

std::vector<Client::Undelivered> Client::TakeUndelivered() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Undelivered> out;
  const auto take = [&](OutMessage& m) {
    if (m.token == 0) out.push_back({std::move(m.topic), std::move(m.payload), m.qos, m.retain});
  };
  // In flight first: they were published before anything still queued.
  // (Packet ids wrap, so order them by when they were sent.)
  std::vector<InFlight*> inflight;
  for (auto& [id, f] : inflight_) inflight.push_back(&f);
  std::sort(inflight.begin(), inflight.end(), [](const InFlight* a, const InFlight* b) { return a->order < b->order; });
  for (InFlight* f : inflight) take(f->message);
  for (OutMessage& m : queue_) take(m);
  inflight_.clear();
  inflight_count_ = 0;
  queue_.clear();
  queued_bytes_ = 0;
  return out;
}

std::vector<Client::Undelivered> Client::TakeQueued() {
  std::vector<Undelivered> out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::deque<OutMessage> kept;
    for (OutMessage& m : queue_) {
      if (m.token != 0) {
        kept.push_back(std::move(m));
        continue;
      }
      queued_bytes_ -= m.topic.size() + m.payload.size() + 16;
      out.push_back({std::move(m.topic), std::move(m.payload), m.qos, m.retain});
    }
    queue_ = std::move(kept);
  }
  room_.notify_all();
  return out;
}

TimeMicros Client::Now() const { return SystemClock::Instance().Monotonic(); }

void Client::WakeIo() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void Client::WakeIoIfSleeping() {
  // Paired with the I/O thread's store of io_sleeping_ and its re-check of
  // the queues before poll() (both sequentially consistent): either it sees
  // the new work or we see that it sleeps. A busy I/O thread picks the work
  // up on its next turn without a system call here.
  if (io_sleeping_.load()) WakeIo();
}

void Client::WaitInterruptible(TimeMicros duration) {
  pollfd p{wake_fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(std::max<TimeMicros>(duration / 1000, 1))) > 0) {
    uint64_t drained = 0;
    [[maybe_unused]] ssize_t n = ::read(wake_fd_, &drained, sizeof drained);
  }
}

TimeMicros Client::NextBackoff() {
  // Exponential growth with "full jitter": uniform in [min, cap].
  const int shift = std::min(failures_, 20);
  const TimeMicros cap = std::min<TimeMicros>(options_.backoff_max, options_.backoff_min << shift);
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  const TimeMicros span = std::max<TimeMicros>(cap - options_.backoff_min, 0);
  return options_.backoff_min + (span > 0 ? static_cast<TimeMicros>(rng_ % static_cast<uint64_t>(span + 1)) : 0);
}

uint16_t Client::NextPacketId() {
  do {
    last_packet_id_ = static_cast<uint16_t>(last_packet_id_ + 1);
  } while (last_packet_id_ == 0 || inflight_.count(last_packet_id_) > 0);
  return last_packet_id_;
}

void Client::Acknowledge(const std::vector<uint64_t>& tags) {
  if (tags.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    acks_.insert(acks_.end(), tags.begin(), tags.end());
  }
  WakeIoIfSleeping();
}

void Client::Report(uint64_t token, bool ok, const std::string& detail) {
  if (token != 0 && options_.on_delivery) options_.on_delivery(token, ok, detail);
}

Client::Enqueued Client::Publish(std::string_view topic, std::string_view payload, uint8_t qos,
                                 bool retain, QueueFullPolicy policy, uint64_t token,
                                 TimeMicros expiry) {
  const size_t bytes = topic.size() + payload.size() + 16;
  if (bytes > options_.max_queued_bytes) return Enqueued::kTooLarge;
  Enqueued result = Enqueued::kQueued;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto full = [&] { return queued_bytes_ + bytes > options_.max_queued_bytes; };
    if (full()) {
      switch (policy) {
        case QueueFullPolicy::kBlock:
          room_.wait(lock, [&] { return !full() || stop_.load(); });
          if (stop_.load()) return Enqueued::kStopped;
          break;
        case QueueFullPolicy::kDropNewest: return Enqueued::kDroppedNewest;
        case QueueFullPolicy::kDropOldest:
          while (full() && !queue_.empty()) {
            const OutMessage& old = queue_.front();
            queued_bytes_ -= old.topic.size() + old.payload.size() + 16;
            Report(old.token, false, "dropped: the send queue was full");
            queue_.pop_front();
            result = Enqueued::kDroppedOldest;
          }
          break;
      }
    }
    OutMessage m{std::string(topic), std::string(payload), qos, retain, token, 0, 0};
    if (expiry > 0) {
      m.expires_at = Now() + expiry;
      m.expiry_seconds = static_cast<uint32_t>(std::max<TimeMicros>(expiry / kMicrosPerSecond, 1));
    }
    queue_.push_back(std::move(m));
    queued_bytes_ += bytes;
  }
  WakeIoIfSleeping();
  return result;
}

bool Client::WaitUntilDelivered(TimeMicros timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return room_.wait_for(lock, std::chrono::microseconds(timeout),
                        [&] { return queue_.empty() && inflight_count_ == 0; });
}

size_t Client::queued_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queued_bytes_;
}

size_t Client::queue_room() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queued_bytes_ >= options_.max_queued_bytes ? 0 : options_.max_queued_bytes - queued_bytes_;
}

void Client::ExpireQueued() {
  std::lock_guard<std::mutex> lock(mutex_);
  const TimeMicros now = Now();
  const size_t before = queue_.size();
  std::erase_if(queue_, [&](const OutMessage& m) {
    if (m.expires_at == 0 || now < m.expires_at) return false;
    queued_bytes_ -= m.topic.size() + m.payload.size() + 16;
    Report(m.token, false, "expired before it could be sent (broker unreachable?)");
    return true;
  });
  if (queue_.size() != before) room_.notify_all();
}

void Client::Run() {
  while (!stop_.load()) {
    ExpireQueued();
    if (!ConnectOnce()) {
      connection_.reset();
      ++failures_;
      m_connect_failures_->Add();
      WaitInterruptible(NextBackoff());
      continue;
    }
    failures_ = 0;
    Session();
    connection_.reset();
    connected_.store(false);
    m_connected_->Set(0);
    if (!stop_.load()) WaitInterruptible(NextBackoff());
  }
  room_.notify_all();
}

bool Client::ConnectOnce() {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  auto opened = Connection::Open(options_.host, options_.port, options_.tls,
                                 options_.connect_timeout, options_.quick_ack);
  if (!opened.ok()) {
    // The first failure is a warning; repeats while the broker stays down are
    // logged at most once per backoff period anyway.
    spdlog::warn("{}: {} (retrying)", options_.log_name, opened.status().message());
    return false;
  }
  connection_ = std::move(*opened);
  in_.resize(std::max<size_t>(in_.size(), kReadChunk));
  in_begin_ = in_end_ = 0;
  skip_bytes_ = 0;
  out_.clear();
  out_begin_ = 0;
  AppendConnect(options_.connect, out_);

  // Wait for CONNACK (the first packet a server sends) within the timeout.
  const TimeMicros deadline = Now() + options_.connect_timeout;
  while (!stop_.load()) {
    if (!FlushOut()) {
      spdlog::warn("{}: cannot send CONNECT to {}: {} (retrying)", options_.log_name, where,
                   last_error_);
      return false;
    }
    FrameHeader h;
    const std::string_view data(in_.data() + in_begin_, in_end_ - in_begin_);
    if (ParseFrameHeader(data, &h) == FrameStatus::kComplete && data.size() >= h.total()) {
      Connack ack;
      const std::string_view body = data.substr(h.header_size, h.remaining);
      in_begin_ += h.total();
      if (h.type != kConnack || !ParseConnack(version_, body, &ack)) {
        spdlog::warn("{}: {} answered CONNECT with a malformed packet", options_.log_name, where);
        m_protocol_errors_->Add();
        return false;
      }
      if (ack.reason != 0) {
        spdlog::error("{}: {} refused the connection: {}{}{}", options_.log_name, where,
                      ConnackReasonText(version_, ack.reason),
                      ack.reason_string.empty() ? "" : " - ", ack.reason_string);
        return false;
      }
      server_receive_maximum_ = ack.receive_maximum.value_or(65535);
      server_maximum_qos_ = ack.maximum_qos.value_or(2);
      const uint16_t keepalive = ack.server_keepalive.value_or(options_.connect.keepalive_seconds);
      keepalive_ = static_cast<TimeMicros>(keepalive) * kMicrosPerSecond;
      last_sent_ = last_received_ = Now();
      ping_sent_ = 0;

      // Subscriptions live in the session: renew them unless the broker kept it.
      if (!options_.subscriptions.empty() && (!ack.session_present || version_ == Version::k5)) {
        AppendSubscribe(version_, NextPacketId(), options_.subscriptions, out_);
      }
      // In-flight messages of a kept session are resent marked DUP; with a
      // new session they are sent again as new.
      for (auto& [id, f] : inflight_) {
        if (f.released && ack.session_present) {
          AppendAck(kPubrel, id, out_);
        } else {
          f.released = false;
          PublishHeader ph{f.message.topic, f.message.qos, f.message.retain, ack.session_present, id, 0};
          AppendPublish(version_, ph, f.message.payload, out_);
        }
      }
      if (!ack.session_present) qos2_received_.clear();
      connected_.store(true);
      m_connected_->Set(1);
      m_connects_->Add();
      spdlog::info("{}: connected to {} (MQTT {}, session {})", options_.log_name, where,
                   version_ == Version::k5 ? "5" : "3.1.1",
                   ack.session_present ? "resumed" : "new");
      return true;
    }
    const TimeMicros left = deadline - Now();
    if (left <= 0) {
      spdlog::warn("{}: {} sent no CONNACK within {} ms", options_.log_name, where,
                   options_.connect_timeout / 1000);
      return false;
    }
    pollfd p{connection_->fd(), POLLIN, 0};
    if (!connection_->HasBufferedData()) ::poll(&p, 1, static_cast<int>(std::max<TimeMicros>(left / 1000, 1)));
    if (ReadAvailable() == ReadOutcome::kBroken) {
      spdlog::warn("{}: {} closed the connection before CONNACK: {}{} (retrying)",
                   options_.log_name, where, last_error_,
                   options_.tls.enabled ? "; over TLS this usually means the broker refused the "
                                          "client certificate (or requires one)"
                                        : "");
      return false;
    }
  }
  return false;
}

void Client::Disconnected(const std::string& why) {
  last_error_ = why;
  // Before CONNACK the connection attempt reports it (ConnectOnce).
  if (!stop_.load() && connected_.load()) {
    spdlog::warn("{}: connection lost: {} (reconnecting)", options_.log_name, why);
    m_disconnects_->Add();
  }
}

void Client::QueueAcks() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    acks_local_.swap(acks_);
  }
  for (uint64_t tag : acks_local_) {
    const auto qos = static_cast<uint8_t>(tag >> 16);
    const auto id = static_cast<uint16_t>(tag & 0xFFFF);
    if (qos == 1) {
      AppendAck(kPuback, id, out_);
    } else if (qos == 2) {
      AppendAck(kPubrec, id, out_);
      qos2_received_[id] = true;
    }
  }
  acks_local_.clear();
}

bool Client::SendPending() {
  // Moves queued messages onto the wire while the in-flight window allows.
  const size_t window = std::min<size_t>(options_.max_inflight, server_receive_maximum_);
  std::lock_guard<std::mutex> lock(mutex_);
  bool moved = false;
  while (!queue_.empty() && out_.size() - out_begin_ < (size_t{1} << 20)) {
    OutMessage& m = queue_.front();
    if (m.expires_at != 0 && Now() >= m.expires_at) {
      queued_bytes_ -= m.topic.size() + m.payload.size() + 16;
      Report(m.token, false, "expired before it could be sent (broker unreachable?)");
      queue_.pop_front();
      moved = true;
      continue;
    }
    const uint8_t qos = std::min(m.qos, server_maximum_qos_);
    if (qos > 0 && inflight_.size() >= window) break;
    PublishHeader ph{m.topic, qos, m.retain, false, 0, 0};
    if (m.expires_at != 0) {
      const TimeMicros left = std::max<TimeMicros>(m.expires_at - Now(), kMicrosPerSecond);
      ph.message_expiry_seconds = static_cast<uint32_t>(left / kMicrosPerSecond);
    }
    if (qos > 0) ph.packet_id = NextPacketId();
    AppendPublish(version_, ph, m.payload, out_);
    m_sent_->Add();
    queued_bytes_ -= m.topic.size() + m.payload.size() + 16;
    if (qos == 0) Report(m.token, true, "sent (QoS 0)");
    if (qos > 0) {
      m.qos = qos;
      inflight_[ph.packet_id] = InFlight{std::move(m), false, ++sent_order_};
    }
    queue_.pop_front();
    moved = true;
  }
  inflight_count_ = inflight_.size();
  if (moved) room_.notify_all();
  return true;
}

bool Client::FlushOut() {
  while (out_begin_ < out_.size()) {
    const IoResult r = connection_->Write(out_.data() + out_begin_, out_.size() - out_begin_);
    if (r.kind == IoResult::kWouldBlock) break;
    if (r.kind != IoResult::kOk) {
      Disconnected(r.kind == IoResult::kClosed ? "closed by the broker" : r.error);
      return false;
    }
    out_begin_ += r.bytes;
    last_sent_ = Now();
  }
  if (out_begin_ == out_.size()) {
    out_.clear();
    out_begin_ = 0;
  }
  return true;
}

Client::ReadOutcome Client::ReadAvailable() {
  bool any = false;
  while (true) {
    if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
    if (in_end_ == in_.size()) {
      if (in_begin_ > 0) {
        // Move the partial frame to the front to make room.
        std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
        in_end_ -= in_begin_;
        in_begin_ = 0;
      } else {
        break;  // full of unconsumed frames: parse them first
      }
    }
    const size_t room = in_.size() - in_end_;
    const IoResult r = connection_->Read(in_.data() + in_end_, room);
    if (r.kind == IoResult::kOk) {
      in_end_ += r.bytes;
      m_received_bytes_->Add(r.bytes);
      any = true;
      if (skip_bytes_ > 0) {
        // Discard the rest of an oversized message as it streams in.
        const size_t n = std::min(skip_bytes_, in_end_ - in_begin_);
        in_begin_ += n;
        skip_bytes_ -= n;
      }
      // A plain socket that filled less than the room is drained: skip the
      // read that would only say EAGAIN (poll reports what comes next). TLS
      // returns one record per read, so keep reading there.
      if (r.bytes < room && !options_.tls.enabled) break;
      continue;
    }
    if (r.kind == IoResult::kWouldBlock) break;
    Disconnected(r.kind == IoResult::kClosed ? "closed by the broker" : r.error);
    return ReadOutcome::kBroken;
  }
  if (any) last_received_ = Now();
  return ReadOutcome::kOk;
}

Client::ReadOutcome Client::ProcessFrames() {
  const uint64_t delivered_before = delivered_;
  const ReadOutcome outcome = ProcessFramesInBuffer();
  if (delivered_ != delivered_before && options_.on_burst_end) options_.on_burst_end();
  return outcome;
}

Client::ReadOutcome Client::ProcessFramesInBuffer() {
  while (in_begin_ < in_end_ && skip_bytes_ == 0) {
    const std::string_view data(in_.data() + in_begin_, in_end_ - in_begin_);
    FrameHeader h;
    const FrameStatus status = ParseFrameHeader(data, &h);
    if (status == FrameStatus::kMalformed) {
      m_protocol_errors_->Add();
      Disconnected("malformed packet header from the broker");
      return ReadOutcome::kBroken;
    }
    if (status == FrameStatus::kNeedMore) break;
    if (h.type == kPublish && h.remaining > options_.max_message_bytes) {
      // Too large to take: skip it. Its QoS 1/2 acknowledgement is sent once
      // the header is known so the broker does not resend it forever.
      if (data.size() < h.header_size + 4) break;  // need the topic length and packet id
      const std::string_view head = data.substr(h.header_size, std::min<size_t>(h.remaining, data.size() - h.header_size));
      uint16_t topic_length = static_cast<uint16_t>((static_cast<uint8_t>(head[0]) << 8) | static_cast<uint8_t>(head[1]));
      const uint8_t qos = (h.flags >> 1) & 3;
      if (qos > 0 && head.size() < size_t{2} + topic_length + 2) break;
      if (qos > 0) {
        const auto id = static_cast<uint16_t>((static_cast<uint8_t>(head[2 + topic_length]) << 8) |
                                              static_cast<uint8_t>(head[3 + topic_length]));
        AppendAck(qos == 1 ? kPuback : kPubrec, id, out_);
        if (qos == 2) qos2_received_[id] = true;
      }
      m_too_large_->Add();
      spdlog::warn("{}: skipped a {} byte message (max_message is {})", options_.log_name,
                   h.remaining, options_.max_message_bytes);
      const size_t available = data.size();
      if (available >= h.total()) {
        in_begin_ += h.total();
      } else {
        in_begin_ = in_end_;
        skip_bytes_ = h.total() - available;
      }
      continue;
    }
    if (data.size() < h.total()) {
      // Grow the buffer for a frame larger than it (bounded by max_message).
      if (h.total() > in_.size()) in_.resize(h.total());
      break;
    }
    const std::string_view body = data.substr(h.header_size, h.remaining);
    if (h.type == kPublish) {
      PublishPacket p;
      if (!ParsePublish(version_, h.flags, body, &p)) {
        m_protocol_errors_->Add();
        Disconnected("malformed PUBLISH from the broker");
        return ReadOutcome::kBroken;
      }
      if (p.qos == 2 && qos2_received_.count(p.packet_id) > 0) {
        // A resent QoS 2 message we already took: confirm again, deliver once.
        if (qos2_received_[p.packet_id]) AppendAck(kPubrec, p.packet_id, out_);
      } else {
        if (on_message_ && !on_message_(p, p.qos == 0 ? 0 : MessageTag(p.qos, p.packet_id))) {
          return ReadOutcome::kBlocked;  // offered again later
        }
        if (p.qos == 2) qos2_received_[p.packet_id] = false;
        m_received_->Add();
        ++delivered_;
      }
    } else if (!HandlePacket(h, body)) {
      return ReadOutcome::kBroken;
    }
    in_begin_ += h.total();
  }
  return ReadOutcome::kOk;
}

bool Client::HandlePacket(const FrameHeader& h, std::string_view body) {
  switch (h.type) {
    case kPuback:
    case kPubcomp: {
      Ack ack;
      if (!ParseAck(body, &ack)) break;
      if (ack.reason >= 0x80) {
        spdlog::warn("{}: the broker refused message {} (reason 0x{:02x})", options_.log_name,
                     ack.packet_id, ack.reason);
      }
      if (auto it = inflight_.find(ack.packet_id); it != inflight_.end()) {
        Report(it->second.message.token, ack.reason < 0x80,
               ack.reason < 0x80 ? "acknowledged by the broker"
                                 : fmt::format("refused by the broker (reason 0x{:02x})", ack.reason));
      }
      inflight_.erase(ack.packet_id);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        inflight_count_ = inflight_.size();
      }
      room_.notify_all();
      return true;
    }
    case kPubrec: {
      Ack ack;
      if (!ParseAck(body, &ack)) break;
      auto it = inflight_.find(ack.packet_id);
      if (it != inflight_.end()) {
        if (ack.reason >= 0x80) {
          Report(it->second.message.token, false,
                 fmt::format("refused by the broker (reason 0x{:02x})", ack.reason));
          inflight_.erase(it);  // refused: no PUBREL follows
          return true;
        }
        it->second.released = true;
      }
      AppendAck(kPubrel, ack.packet_id, out_);
      return true;
    }
    case kPubrel: {
      Ack ack;
      if (!ParseAck(body, &ack)) break;
      qos2_received_.erase(ack.packet_id);
      AppendAck(kPubcomp, ack.packet_id, out_);
      return true;
    }
    case kSuback: {
      Suback s;
      if (!ParseSuback(version_, body, &s)) break;
      for (size_t i = 0; i < s.reasons.size() && i < options_.subscriptions.size(); ++i) {
        if (s.reasons[i] >= 0x80) {
          spdlog::error("{}: the broker refused the subscription to '{}' (reason 0x{:02x}; not "
                        "authorized?)",
                        options_.log_name, options_.subscriptions[i].filter, s.reasons[i]);
        }
      }
      return true;
    }
    case kPingresp: ping_sent_ = 0; return true;
    case kUnsuback: return true;
    case kDisconnect:
      Disconnected("the broker sent DISCONNECT (reason 0x" +
                   fmt::format("{:02x}", ParseDisconnectReason(body)) + ")");
      return false;
    default: break;
  }
  m_protocol_errors_->Add();
  Disconnected("unexpected or malformed packet of type " + std::to_string(h.type));
  return false;
}

void Client::Session() {
  bool blocked = false;  // the handler refused a message: stop reading for now
  while (true) {
    if (stop_.load()) {
      // Last acknowledgements and queued messages, then a clean DISCONNECT.
      const TimeMicros deadline = Now() + drain_;
      do {
        QueueAcks();
        SendPending();
        if (!FlushOut()) return;
        bool idle;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          idle = queue_.empty() && inflight_.empty();
        }
        if (idle || Now() >= deadline) break;
        pollfd p{connection_->fd(), POLLIN, 0};
        ::poll(&p, 1, 5);
        if (ReadAvailable() == ReadOutcome::kBroken || ProcessFrames() == ReadOutcome::kBroken) return;
      } while (true);
      AppendDisconnect(version_, out_);
      FlushOut();
      return;
    }
    QueueAcks();
    SendPending();
    if (!FlushOut()) return;

    const TimeMicros now = Now();
    if (keepalive_ > 0) {
      if (ping_sent_ != 0 && now - ping_sent_ > keepalive_) {
        Disconnected("no answer to PINGREQ within the keepalive (" +
                     std::to_string(keepalive_ / kMicrosPerSecond) + " s): link dead?");
        return;
      }
      if (ping_sent_ == 0 && now - last_sent_ >= keepalive_ * 3 / 4) {
        AppendPingreq(out_);
        ping_sent_ = now;
        if (!FlushOut()) return;
      }
    }

    pollfd fds[2] = {{connection_->fd(), 0, 0}, {wake_fd_, POLLIN, 0}};
    if (!blocked) fds[0].events |= POLLIN;
    if (out_begin_ < out_.size()) fds[0].events |= POLLOUT;
    TimeMicros timeout = keepalive_ > 0 ? keepalive_ / 4 : kMicrosPerSecond;
    if (blocked) timeout = kMicrosPerMilli;
    if (!blocked && connection_->HasBufferedData()) timeout = 0;
    io_sleeping_.store(true);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const bool window_open = inflight_.size() < std::min<size_t>(options_.max_inflight,
                                                                   server_receive_maximum_);
      if (!acks_.empty() || (!queue_.empty() && window_open)) timeout = 0;
    }
    const int n = ::poll(fds, 2, static_cast<int>(timeout / 1000));
    io_sleeping_.store(false);
    if (n > 0 && (fds[1].revents & POLLIN) != 0) {
      uint64_t drained = 0;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &drained, sizeof drained);
    }
    if (n > 0 && (fds[0].revents & (POLLERR | POLLHUP)) != 0 && (fds[0].revents & POLLIN) == 0) {
      Disconnected("socket error");
      return;
    }
    const bool readable =
        !blocked && ((n > 0 && (fds[0].revents & POLLIN) != 0) || connection_->HasBufferedData());
    if (readable && ReadAvailable() == ReadOutcome::kBroken) return;
    const ReadOutcome outcome = ProcessFrames();
    if (outcome == ReadOutcome::kBroken) return;
    blocked = outcome == ReadOutcome::kBlocked;
    // Let messages accumulate so that the next read brings many at once.
    if (readable && !blocked && options_.read_batch_delay > 0) {
      QueueAcks();
      SendPending();
      if (!FlushOut()) return;
      WaitInterruptible(options_.read_batch_delay);
    }
  }
}

}  // namespace edgeflow::mqtt
