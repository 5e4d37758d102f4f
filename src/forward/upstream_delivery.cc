#include "forward/upstream_delivery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "common/thread_name.h"
#include "forward/event_codec.h"

namespace edgeflow {
namespace {

MetricsRegistry& Unexported() {
  static MetricsRegistry registry;
  return registry;
}

// The most seqs one ack may name (acks cover one batch each).
constexpr uint64_t kMaxAckedSeqs = 1000000;

}  // namespace

DeliveryLoop::DeliveryLoop(Outbox* outbox, BatchTransport* transport, DeliveryOptions options,
                           MetricsRegistry* metrics, const std::string& labels)
    : outbox_(outbox), transport_(transport), options_(std::move(options)) {
  MetricsRegistry& m = metrics != nullptr ? *metrics : Unexported();
  batches_sent_ = m.GetCounter("upstream_batches_sent", labels, "Batch frames sent (resends included)");
  bytes_sent_ = m.GetCounter("upstream_bytes_sent", labels, "Bytes of batch frames sent (compressed)");
  records_sent_ = m.GetCounter("upstream_records_sent", labels, "Records sent (resends included)");
  acks_ = m.GetCounter("upstream_acks", labels, "Batches acknowledged by the receiver");
  records_acked_ = m.GetCounter("upstream_records_acked", labels, "Records acknowledged by the receiver");
  timeouts_ = m.GetCounter("upstream_ack_timeouts", labels, "Batches resent for want of an ack");
  send_failures_ = m.GetCounter("upstream_send_failures", labels, "Sends that failed (link down, 503, 400)");
  backlog_ = m.GetGauge("upstream_backlog_records", labels, "Records in the outbox not yet acknowledged");
  inflight_gauge_ = m.GetGauge("upstream_inflight_batches", labels, "Batches sent, not yet acknowledged");
  drain_rate_ = m.GetGauge("upstream_drain_rate", labels, "Records acknowledged per second (last second)");
  rng_ ^= static_cast<uint64_t>(clock_.Monotonic());
}

DeliveryLoop::~DeliveryLoop() { Stop(0); }

void DeliveryLoop::Start() {
  stop_ = false;
  thread_ = std::thread([this] {
    NameThisThread("ef-upstream-tx");
    Run();
  });
}

void DeliveryLoop::Stop(TimeMicros drain) {
  if (!thread_.joinable()) return;
  {
    // Keep draining until the outbox is empty and acknowledged, or `drain`.
    const TimeMicros deadline = Now() + drain;
    std::unique_lock lock(mutex_);
    while (Now() < deadline && !DrainedLocked()) {
      wake_.wait_for(lock, std::chrono::milliseconds(10));
    }
  }
  stop_ = true;
  wake_.notify_all();
  thread_.join();
  last_gauges_ = 0;  // final figures for --stats
  UpdateGauges(Now());
}

bool DeliveryLoop::DrainedLocked() const {
  if (!inflight_.empty() || outbox_->HasPending()) return false;
  // A batch being built holds records that are neither pending in the
  // outbox nor in inflight_ yet: they count as in flight in the outbox.
  const OutboxStats stats = outbox_->Stats();
  for (const OutboxClassStats& c : stats.classes) {
    if (c.in_flight > 0) return false;
  }
  return true;
}

void DeliveryLoop::Notify(bool urgent) {
  if (!urgent) return;  // the loop looks every `linger`
  {
    std::lock_guard lock(mutex_);
    urgent_ = true;
  }
  wake_.notify_all();
}

size_t DeliveryLoop::inflight_batches() const {
  std::lock_guard lock(mutex_);
  return inflight_.size();
}

void DeliveryLoop::OnAck(const AckMessage& ack) {
  if (ack.node != options_.node) return;
  std::vector<uint64_t> seqs;
  for (const auto& [first, last] : ack.ranges) {
    if (last - first >= kMaxAckedSeqs - seqs.size()) break;
    for (uint64_t s = first;; ++s) {  // not `s <= last`: it never fails when last is UINT64_MAX
      seqs.push_back(s);
      if (s == last) break;
    }
  }
  // Every acked seq leaves the outbox, whether its batch is still in flight
  // or was already given back after a timeout (it is committed either way).
  outbox_->Ack(seqs);
  std::sort(seqs.begin(), seqs.end());
  size_t batches = 0, records = 0;
  {
    std::lock_guard lock(mutex_);
    for (auto it = inflight_.begin(); it != inflight_.end();) {
      const bool covered = std::all_of(it->seqs.begin(), it->seqs.end(), [&](uint64_t s) {
        return std::binary_search(seqs.begin(), seqs.end(), s);
      });
      if (covered) {
        ++batches;
        records += it->seqs.size();
        it = inflight_.erase(it);
      } else {
        ++it;
      }
    }
    if (batches > 0) failures_ = 0;
    urgent_ = true;  // room for the next batch
  }
  acks_->Add(batches);
  records_acked_->Add(records);
  wake_.notify_all();
}

void DeliveryLoop::TakeRecords() {
  records_.clear();
  const size_t max_records = options_.batch_records;
  size_t bytes_left = options_.batch_bytes;
  const auto take = [&](Priority p, size_t n, Lane lane) {
    if (n == 0 || bytes_left == 0) return;
    const size_t before = records_.size();
    outbox_->Peek(p, n, bytes_left, records_, lane);
    for (size_t i = before; i < records_.size(); ++i) {
      bytes_left -= std::min(bytes_left, records_[i].payload.size());
    }
  };
  const auto left_of = [&](size_t target) { return target - std::min(target, records_.size()); };
  // Up to `n` records of one class: the live share first, then the oldest,
  // then live again if the backlog had fewer. live_ratio 0 never opens the
  // live lane: strictly oldest first.
  const auto take_class = [&](Priority p, size_t n) {
    if (n == 0) return;
    const size_t target = records_.size() + n;
    if (options_.live_ratio > 0) {
      const auto live = static_cast<size_t>(std::ceil(static_cast<double>(n) * options_.live_ratio));
      take(p, std::min(live, n), Lane::kLive);
    }
    take(p, left_of(target), Lane::kBacklog);
    if (options_.live_ratio > 0) take(p, left_of(target), Lane::kLive);
  };
  take_class(Priority::kAlert, max_records);
  // The room left is shared so a telemetry backlog cannot starve events.
  const size_t room = left_of(max_records);
  const uint32_t total = options_.ratio_events + options_.ratio_telemetry;
  const size_t event_room = total == 0 ? room : (room * options_.ratio_events + total - 1) / total;
  take_class(Priority::kEvent, event_room);
  take_class(Priority::kTelemetry, left_of(max_records));
  take_class(Priority::kEvent, left_of(max_records));  // telemetry left room
}

DeliveryLoop::SendOutcome DeliveryLoop::SendOne() {
  TakeRecords();
  if (records_.empty()) return SendOutcome::kNothing;
  std::sort(records_.begin(), records_.end(),
            [](const OutboxRecord& a, const OutboxRecord& b) { return a.seq < b.seq; });
  InFlight batch;
  for (const OutboxRecord& r : records_) {
    encoder_.Add(r.seq, static_cast<uint8_t>(r.priority), r.payload);
    batch.seqs.push_back(r.seq);
  }
  Status st = encoder_.Finish(options_.node, BatchCodec::kZstd, options_.level, frame_);
  if (st.ok()) {
    batch.deadline = Now() + options_.ack_timeout;
    {
      // In flight before sending: an HTTP ack arrives inside Send.
      std::lock_guard lock(mutex_);
      inflight_.push_back(batch);
    }
    batches_sent_->Add();
    bytes_sent_->Add(frame_.size());
    records_sent_->Add(batch.seqs.size());
    st = transport_->Send(frame_);
  }
  if (st.ok()) return SendOutcome::kSent;
  send_failures_->Add();
  if (log_.Admit(clock_)) {
    spdlog::warn("{}: sending a batch of {} records failed: {} (kept in the outbox, retrying)",
                 options_.log_name, batch.seqs.size(), st.ToString());
  }
  {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(inflight_.begin(), inflight_.end(),
                           [&](const InFlight& f) { return f.seqs == batch.seqs; });
    if (it != inflight_.end()) inflight_.erase(it);
  }
  outbox_->Nack(batch.seqs);
  return SendOutcome::kFailed;
}

void DeliveryLoop::ExpireLocked(TimeMicros now) {
  if (inflight_.empty() || inflight_.front().deadline > now) return;
  // Give back every unacknowledged batch, not only the late one, so they
  // go again in seq order (per-device order at the receiver).
  timeouts_->Add(inflight_.size());
  if (log_.Admit(clock_)) {
    spdlog::warn("{}: no ack within {} ms for {} batch(es): sending again", options_.log_name,
                 options_.ack_timeout / kMicrosPerMilli, inflight_.size());
  }
  for (const InFlight& f : inflight_) outbox_->Nack(f.seqs);
  inflight_.clear();
  ++failures_;
}

void DeliveryLoop::Backoff() {
  const int exponent = std::min(failures_.load(), 20);
  TimeMicros cap = options_.backoff_min << std::min(exponent, 16);
  cap = std::min(cap, options_.backoff_max);
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  const TimeMicros span = std::max<TimeMicros>(cap - options_.backoff_min, 1);
  const TimeMicros wait = options_.backoff_min + static_cast<TimeMicros>(rng_ % static_cast<uint64_t>(span));
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, std::chrono::microseconds(wait), [&] { return stop_.load(); });
}

void DeliveryLoop::UpdateGauges(TimeMicros now) {
  if (last_gauges_ != 0 && now - last_gauges_ < kMicrosPerSecond) return;
  const OutboxStats stats = outbox_->Stats();
  uint64_t backlog = 0;
  for (const OutboxClassStats& c : stats.classes) backlog += c.backlog_records;
  backlog_->Set(static_cast<double>(backlog));
  const uint64_t acked = records_acked_->value();
  if (last_gauges_ != 0 && now > last_gauges_) {
    drain_rate_->Set(static_cast<double>(acked - last_acked_records_) * kMicrosPerSecond /
                     static_cast<double>(now - last_gauges_));
  }
  last_acked_records_ = acked;
  last_gauges_ = now;
  std::lock_guard lock(mutex_);
  inflight_gauge_->Set(static_cast<double>(inflight_.size()));
}

void DeliveryLoop::Run() {
  TimeMicros link_down_since = 0;
  while (!stop_.load()) {
    const TimeMicros now = Now();
    UpdateGauges(now);
    if (!transport_->Ready()) {
      // The ack clock stops while the link is down: the transport resends
      // what it has in flight once it reconnects.
      if (link_down_since == 0) link_down_since = now;
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(20), [&] { return stop_.load(); });
      continue;
    }
    if (link_down_since != 0) {
      std::lock_guard lock(mutex_);
      for (InFlight& f : inflight_) f.deadline += now - link_down_since;
      link_down_since = 0;
    }
    bool room = false;
    {
      std::lock_guard lock(mutex_);
      ExpireLocked(now);
      room = inflight_.size() < options_.max_inflight;
      urgent_ = false;
    }
    SendOutcome outcome = SendOutcome::kNothing;
    if (room) outcome = SendOne();
    if (outcome == SendOutcome::kFailed) {
      ++failures_;
      Backoff();
      continue;
    }
    if (outcome == SendOutcome::kSent) continue;  // maybe more ready
    std::unique_lock lock(mutex_);
    const TimeMicros wait = inflight_.empty() ? options_.linger
                                              : std::min(options_.linger, inflight_.front().deadline - now);
    wake_.wait_for(lock, std::chrono::microseconds(std::max<TimeMicros>(wait, 1000)),
                   [&] { return stop_.load() || urgent_; });
  }
}

}  // namespace edgeflow
