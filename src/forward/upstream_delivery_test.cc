#include "forward/upstream_delivery.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "forward/seq_range_set.h"

namespace edgeflow {
namespace {

namespace fs = std::filesystem;

// What the fake receiver saw of one frame.
struct SentFrame {
  std::vector<uint64_t> seqs;
  std::vector<uint8_t> priorities;
};

// An in-process BatchTransport: decodes every frame, records it and
// acknowledges it (or not) as the test says. The DeliveryLoop's seam to the
// network; the real transports are covered by tests/fault and tests/integration.
class FakeTransport final : public BatchTransport {
 public:
  void Start(AckHandler on_ack) override { on_ack_ = std::move(on_ack); }
  void Stop() override {}
  bool Ready() const override {
    std::lock_guard lock(mutex_);
    ++ready_calls_;
    return up_;
  }
  Status Send(const std::string& frame) override {
    std::string reason;
    Result<DecodedBatch> batch = DecodeBatch(frame, size_t{16} << 20, &reason);
    EXPECT_TRUE(batch.ok()) << reason;
    if (!batch.ok()) return InvalidData(reason);
    SentFrame sent;
    for (const BatchRecord& r : batch->records) {
      sent.seqs.push_back(r.seq);
      sent.priorities.push_back(r.priority);
    }
    bool ack = false;
    {
      std::lock_guard lock(mutex_);
      if (fail_sends_) {
        ++failed_sends_;
        return Unavailable("fake: link down");
      }
      frames_.push_back(sent);
      ack = drop_acks_ == 0;
      if (drop_acks_ > 0) --drop_acks_;
    }
    // Acked inside Send, as the HTTP transport does.
    if (ack) on_ack_({batch->node, SeqRangeSet::ToRanges(sent.seqs)});
    return Status::Ok();
  }

  void set_up(bool up) {
    std::lock_guard lock(mutex_);
    up_ = up;
  }
  void set_fail_sends(bool fail) {
    std::lock_guard lock(mutex_);
    fail_sends_ = fail;
  }
  void drop_next_acks(int n) {
    std::lock_guard lock(mutex_);
    drop_acks_ = n;
  }
  std::vector<SentFrame> frames() const {
    std::lock_guard lock(mutex_);
    return frames_;
  }
  int ready_calls() const {
    std::lock_guard lock(mutex_);
    return ready_calls_;
  }
  int failed_sends() const {
    std::lock_guard lock(mutex_);
    return failed_sends_;
  }

 private:
  mutable std::mutex mutex_;
  AckHandler on_ack_;
  bool up_ = true;
  bool fail_sends_ = false;
  int drop_acks_ = 0;
  mutable int ready_calls_ = 0;
  int failed_sends_ = 0;
  std::vector<SentFrame> frames_;
};

class DeliveryLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("delivery_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    OutboxOptions o;
    o.path = dir_.string();
    o.fsync = FsyncPolicy::kNever;  // every appended record is ready for Peek
    o.background_thread = false;
    auto outbox = Outbox::Open(o);
    ASSERT_TRUE(outbox.ok()) << outbox.status().ToString();
    outbox_ = std::move(outbox).value();
    options_.node = "node-t";
    options_.log_name = "test";
    options_.batch_records = 10;
    options_.linger = 1 * kMicrosPerMilli;
    options_.backoff_min = 1 * kMicrosPerMilli;
    options_.backoff_max = 5 * kMicrosPerMilli;
  }
  void TearDown() override {
    if (loop_) loop_->Stop(0);
    loop_.reset();
    outbox_.reset();
    fs::remove_all(dir_);
  }

  void Append(Priority p, int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(outbox_->Append(p, "dev-" + std::to_string(i % 3), 0, "payload").ok());
    }
  }
  void StartLoop() {
    loop_ = std::make_unique<DeliveryLoop>(outbox_.get(), &transport_, options_, &metrics_, "");
    transport_.Start([this](const AckMessage& ack) { loop_->OnAck(ack); });
    loop_->Start();
  }
  uint64_t Backlog() const {
    uint64_t n = 0;
    for (const OutboxClassStats& c : outbox_->Stats().classes) n += c.backlog_records;
    return n;
  }
  // Waits for a condition the loop must reach; the bound only keeps a
  // broken build from hanging (it is not a speed assertion).
  static bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 10000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done();
  }
  uint64_t CounterValue(const std::string& name) {
    return metrics_.GetCounter(name, "", "")->value();
  }
  static std::map<uint64_t, int> TimesSent(const std::vector<SentFrame>& frames) {
    std::map<uint64_t, int> times;
    for (const SentFrame& f : frames) {
      for (uint64_t s : f.seqs) ++times[s];
    }
    return times;
  }

  fs::path dir_;
  std::unique_ptr<Outbox> outbox_;
  FakeTransport transport_;
  MetricsRegistry metrics_;
  DeliveryOptions options_;
  std::unique_ptr<DeliveryLoop> loop_;
};

TEST_F(DeliveryLoopTest, AckedRecordsLeaveTheOutboxAndAreSentOnce) {
  Append(Priority::kEvent, 35);
  StartLoop();
  ASSERT_TRUE(Eventually([&] { return Backlog() == 0; }));
  loop_->Stop(0);
  const std::vector<SentFrame> frames = transport_.frames();
  ASSERT_GE(frames.size(), 4u);  // 35 records, batches of at most 10
  for (const SentFrame& f : frames) {
    EXPECT_LE(f.seqs.size(), 10u);
    EXPECT_TRUE(std::is_sorted(f.seqs.begin(), f.seqs.end()));
  }
  const std::map<uint64_t, int> times = TimesSent(frames);
  ASSERT_EQ(times.size(), 35u);
  for (const auto& [seq, n] : times) EXPECT_EQ(n, 1) << "seq " << seq;
  EXPECT_EQ(CounterValue("upstream_records_acked"), 35u);
  EXPECT_FALSE(outbox_->HasPending());
}

TEST_F(DeliveryLoopTest, AckForAnotherNodeIsIgnored) {
  Append(Priority::kEvent, 3);
  transport_.drop_next_acks(1000);
  options_.ack_timeout = 3600 * kMicrosPerSecond;  // no resend during the test
  StartLoop();
  ASSERT_TRUE(Eventually([&] { return loop_->inflight_batches() == 1; }));
  loop_->OnAck({"someone-else", {{1, 3}}});
  EXPECT_EQ(Backlog(), 3u);
  EXPECT_EQ(loop_->inflight_batches(), 1u);
  loop_->OnAck({"node-t", {{1, 3}}});
  EXPECT_EQ(Backlog(), 0u);
  EXPECT_EQ(loop_->inflight_batches(), 0u);
}

// An ack is network input: a range ending at the largest seq must not make
// the expansion wrap around to 0 and run (and allocate) forever.
TEST_F(DeliveryLoopTest, AckRangeEndingAtTheLargestSeqDoesNotWrapAround) {
  Append(Priority::kEvent, 3);
  transport_.drop_next_acks(1000);
  options_.ack_timeout = 3600 * kMicrosPerSecond;  // no resend during the test
  StartLoop();
  ASSERT_TRUE(Eventually([&] { return loop_->inflight_batches() == 1; }));
  loop_->OnAck({"node-t", {{1, 3}, {UINT64_MAX - 2, UINT64_MAX}}});
  EXPECT_EQ(Backlog(), 0u);
  EXPECT_EQ(loop_->inflight_batches(), 0u);
}

TEST_F(DeliveryLoopTest, MissingAckResendsAfterTheTimeout) {
  options_.ack_timeout = 20 * kMicrosPerMilli;
  transport_.drop_next_acks(1);  // the first batch's ack is lost
  Append(Priority::kEvent, 5);
  StartLoop();
  ASSERT_TRUE(Eventually([&] { return Backlog() == 0; }));
  loop_->Stop(0);
  const std::vector<SentFrame> frames = transport_.frames();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].seqs, frames[1].seqs);  // the same records again, in order
  EXPECT_EQ(frames[0].seqs.size(), 5u);
  EXPECT_EQ(CounterValue("upstream_ack_timeouts"), 1u);
}

TEST_F(DeliveryLoopTest, AlertsGoBeforeATelemetryBacklog) {
  Append(Priority::kTelemetry, 40);
  Append(Priority::kAlert, 4);
  Append(Priority::kEvent, 2);
  StartLoop();
  ASSERT_TRUE(Eventually([&] { return Backlog() == 0; }));
  loop_->Stop(0);
  const std::vector<SentFrame> frames = transport_.frames();
  ASSERT_FALSE(frames.empty());
  // The first batch carries every alert (and the events, by `ratio`), though
  // they were appended after 40 telemetry records.
  const SentFrame& first = frames.front();
  EXPECT_EQ(std::count(first.priorities.begin(), first.priorities.end(), 0), 4);
  EXPECT_EQ(std::count(first.priorities.begin(), first.priorities.end(), 1), 2);
  for (size_t i = 1; i < frames.size(); ++i) {
    for (uint8_t p : frames[i].priorities) EXPECT_EQ(p, 2) << "frame " << i;
  }
  EXPECT_EQ(TimesSent(frames).size(), 46u);
}

TEST_F(DeliveryLoopTest, NothingIsSentWhileTheLinkIsDown) {
  transport_.set_up(false);
  Append(Priority::kEvent, 5);
  StartLoop();
  // The loop has asked several times and was told "down" each time.
  ASSERT_TRUE(Eventually([&] { return transport_.ready_calls() >= 5; }));
  EXPECT_TRUE(transport_.frames().empty());
  EXPECT_EQ(Backlog(), 5u);
  transport_.set_up(true);
  ASSERT_TRUE(Eventually([&] { return Backlog() == 0; }));
  EXPECT_EQ(TimesSent(transport_.frames()).size(), 5u);
}

TEST_F(DeliveryLoopTest, FailedSendBacksOffAndKeepsTheRecords) {
  options_.backoff_min = 3600 * kMicrosPerSecond;  // one failure: no second try during the test
  options_.backoff_max = 3600 * kMicrosPerSecond;
  transport_.set_fail_sends(true);
  Append(Priority::kEvent, 5);
  StartLoop();
  ASSERT_TRUE(Eventually([&] { return transport_.failed_sends() >= 1; }));
  loop_->Stop(0);  // interrupts the backoff wait
  EXPECT_EQ(transport_.failed_sends(), 1);  // backed off instead of retrying at once
  EXPECT_EQ(CounterValue("upstream_send_failures"), 1u);
  EXPECT_EQ(Backlog(), 5u);
  EXPECT_TRUE(outbox_->HasPending());  // given back (Nack): ready for the next try

  // A new loop (as after a restart) with a working link delivers them.
  transport_.set_fail_sends(false);
  options_.backoff_min = kMicrosPerMilli;
  options_.backoff_max = 5 * kMicrosPerMilli;
  StartLoop();
  ASSERT_TRUE(Eventually([&] { return Backlog() == 0; }));
  EXPECT_EQ(TimesSent(transport_.frames()).size(), 5u);
}

// A telemetry backlog of 200 builds while the link is down; the link comes
// back; 20 fresh records are appended while the first batch waits for its
// ack (max_inflight 1 makes the order of events deterministic). Returns
// every frame sent.
class DeliveryLiveLaneTest : public DeliveryLoopTest {
 protected:
  std::vector<SentFrame> Run(double live_ratio) {
    options_.live_ratio = live_ratio;
    options_.max_inflight = 1;
    options_.ack_timeout = 3600 * kMicrosPerSecond;  // acks come from the test
    transport_.set_up(false);
    Append(Priority::kTelemetry, 200);
    StartLoop();
    transport_.drop_next_acks(1);
    transport_.set_up(true);
    EXPECT_TRUE(Eventually([&] { return transport_.frames().size() == 1; }));
    Append(Priority::kTelemetry, 20);  // seqs 201..220: fresh
    loop_->OnAck({"node-t", SeqRangeSet::ToRanges(transport_.frames()[0].seqs)});
    EXPECT_TRUE(Eventually([&] { return Backlog() == 0; }));
    loop_->Stop(0);
    return transport_.frames();
  }
  static int Fresh(const SentFrame& f) {
    return static_cast<int>(std::count_if(f.seqs.begin(), f.seqs.end(), [](uint64_t s) { return s > 200; }));
  }
};

TEST_F(DeliveryLiveLaneTest, FreshRecordsOvertakeABacklogAtTheLiveRatio) {
  const std::vector<SentFrame> frames = Run(0.5);
  ASSERT_EQ(frames.size(), 22u);  // 220 records in full batches of 10
  EXPECT_EQ(frames[0].seqs, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));  // nothing fresh yet
  // The next four batches carry the 20 fresh records, half of each batch,
  // long before the backlog (up to seq 200) is through.
  for (size_t i = 1; i <= 4; ++i) EXPECT_EQ(Fresh(frames[i]), 5) << "frame " << i;
  for (size_t i = 5; i < frames.size(); ++i) EXPECT_EQ(Fresh(frames[i]), 0) << "frame " << i;
  // The backlog still goes oldest first, and everything exactly once.
  std::vector<uint64_t> backlog;
  for (const SentFrame& f : frames) {
    for (uint64_t s : f.seqs) {
      if (s <= 200) backlog.push_back(s);
    }
  }
  EXPECT_TRUE(std::is_sorted(backlog.begin(), backlog.end()));
  const std::map<uint64_t, int> times = TimesSent(frames);
  ASSERT_EQ(times.size(), 220u);
  for (const auto& [seq, n] : times) EXPECT_EQ(n, 1) << "seq " << seq;
}

TEST_F(DeliveryLiveLaneTest, LiveRatioZeroIsStrictlyOldestFirst) {
  const std::vector<SentFrame> frames = Run(0.0);
  std::vector<uint64_t> order;
  for (const SentFrame& f : frames) order.insert(order.end(), f.seqs.begin(), f.seqs.end());
  ASSERT_EQ(order.size(), 220u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));  // the fresh records come last
  EXPECT_FALSE(outbox_->Stats().classes[2].live_lane_open);
}

}  // namespace
}  // namespace edgeflow
