// DeliveryLoop: the upstream sink's drain thread. It takes records from the
// outbox (alerts first, then events and telemetry shared by `ratio`), packs
// them (within a class: `live_ratio` from the live lane, the rest oldest
// first) into compressed batch frames, sends them through a BatchTransport,
// deletes them from the outbox when the receiver acknowledges them, and
// returns them to the outbox (Nack) when a send fails or no ack comes within
// `ack_timeout` — backing off with full jitter while the link is down.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "forward/batch_codec.h"
#include "forward/batch_transport.h"
#include "forward/outbox.h"

namespace edgeflow {

struct DeliveryOptions {
  std::string node;
  std::string log_name;
  size_t batch_records = 500;
  size_t batch_bytes = size_t{256} << 10;
  int level = 3;  // zstd
  // Shares of a batch's room after alerts: events : telemetry.
  uint32_t ratio_events = 4;
  uint32_t ratio_telemetry = 1;
  // Share of each class's room in a batch taken from the outbox's live lane
  // (records appended since a backlog built up) before the backlog lane;
  // 0 = strictly oldest first.
  double live_ratio = 0.5;
  size_t max_inflight = 4;  // batches sent and not yet acknowledged
  TimeMicros ack_timeout = 10 * kMicrosPerSecond;
  TimeMicros linger = 100 * kMicrosPerMilli;  // wait for more records before a partial batch
  TimeMicros backoff_min = 100 * kMicrosPerMilli;
  TimeMicros backoff_max = 30 * kMicrosPerSecond;
};

class DeliveryLoop {
 public:
  // `metrics` may be null.
  DeliveryLoop(Outbox* outbox, BatchTransport* transport, DeliveryOptions options, MetricsRegistry* metrics,
               const std::string& labels);
  ~DeliveryLoop();

  void Start();
  // Keeps delivering up to `drain` until the outbox is empty and every batch
  // acknowledged, then stops the thread. What is left stays in the outbox
  // for the next run.
  void Stop(TimeMicros drain);
  // A record was appended; `urgent` (an alert) wakes the loop at once.
  void Notify(bool urgent);
  // Any thread: the receiver committed these seqs.
  void OnAck(const AckMessage& ack);

  // Test hooks.
  size_t inflight_batches() const;

 private:
  struct InFlight {
    std::vector<uint64_t> seqs;  // ascending
    TimeMicros deadline = 0;     // monotonic
  };

  void Run();
  // Builds and sends one batch; false when there was nothing to send or the
  // send failed (then the loop backs off).
  enum class SendOutcome { kSent, kNothing, kFailed };
  SendOutcome SendOne();
  void TakeRecords();
  void ExpireLocked(TimeMicros now);
  // Stop's test: no batch awaits its ack and the outbox has nothing ready
  // or handed out (mutex_ held).
  bool DrainedLocked() const;
  void Backoff();
  void UpdateGauges(TimeMicros now);
  TimeMicros Now() const { return clock_.Monotonic(); }

  Outbox* outbox_;
  BatchTransport* transport_;
  const DeliveryOptions options_;
  SystemClock clock_;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool urgent_ = false;  // wake the loop now (alert appended, ack received)
  std::atomic<int> failures_{0};  // consecutive failed sends / timeouts
  std::deque<InFlight> inflight_;

  // Delivery thread only.
  BatchEncoder encoder_;
  std::vector<OutboxRecord> records_;
  std::string frame_;
  uint64_t rng_ = 0x2545F4914F6CDD1Dull;
  TimeMicros last_gauges_ = 0;
  uint64_t last_acked_records_ = 0;
  RateLimitedLog log_;

  Counter* batches_sent_;
  Counter* bytes_sent_;
  Counter* records_sent_;
  Counter* acks_;
  Counter* records_acked_;
  Counter* timeouts_;
  Counter* send_failures_;
  Gauge* backlog_;
  Gauge* inflight_gauge_;
  Gauge* drain_rate_;
};

}  // namespace edgeflow
