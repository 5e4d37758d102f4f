#include "forward/outbox.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "forward/outbox_format.h"
#include "forward/outbox_test_util.h"

namespace edgeflow {
namespace {

namespace fs = std::filesystem;

using outbox_testing::kStart;

class OutboxTest : public outbox_testing::OutboxFixture {
 protected:
  static uint64_t Add(Outbox& outbox, Priority p, const std::string& device, const std::string& payload) {
    auto seq = outbox.Append(p, device, kStart, payload);
    EXPECT_TRUE(seq.ok()) << seq.status().ToString();
    return seq.ok() ? *seq : 0;
  }
  static std::vector<uint64_t> Seqs(const std::vector<OutboxRecord>& records) {
    std::vector<uint64_t> seqs;
    for (const auto& r : records) seqs.push_back(r.seq);
    return seqs;
  }
  static std::vector<uint64_t> Drain(Outbox& outbox, Priority p) {
    std::vector<OutboxRecord> out;
    while (outbox.Peek(p, 1000, 1 << 20, out) > 0) {
    }
    return Seqs(out);
  }
  std::vector<fs::path> Segments(const std::string& cls) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir_ / cls)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
  }
  // Runs `body` in a forked child (a node that dies without closing its
  // outbox when `body` calls _exit); returns the child's exit status.
  static int RunChild(const std::function<int()>& body) {
    const pid_t pid = fork();
    if (pid == 0) _exit(body());
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status));
    return WEXITSTATUS(status);
  }
  // A run that appends seqs 1..10 (telemetry), commits them and crashes
  // before any checkpoint: 0 when it did.
  static int AppendTenThenCrash(const OutboxOptions& o) {
    return RunChild([&]() -> int {
      auto outbox = Outbox::Open(o);
      if (!outbox.ok()) _exit(2);
      for (int i = 0; i < 10; ++i) {
        if (!(*outbox)->Append(Priority::kTelemetry, "d", kStart, std::string(100, 'x')).ok()) _exit(3);
      }
      _exit((*outbox)->Commit().ok() ? 0 : 4);
    });
  }
};

TEST_F(OutboxTest, AppendPeekAckAndRestartResumesWhereAcksStopped) {
  {
    auto outbox = Open(Options());
    for (int i = 0; i < 10; ++i) EXPECT_EQ(Add(*outbox, Priority::kTelemetry, "d1", "payload-" + std::to_string(i)), i + 1u);
    std::vector<OutboxRecord> out;
    ASSERT_EQ(outbox->Peek(Priority::kTelemetry, 4, 1 << 20, out), 4u);
    EXPECT_EQ(Seqs(out), (std::vector<uint64_t>{1, 2, 3, 4}));
    EXPECT_EQ(out[2].payload, "payload-2");
    EXPECT_EQ(out[2].device, "d1");
    EXPECT_EQ(out[2].time, kStart);
    // In flight records are not handed out twice.
    std::vector<OutboxRecord> more;
    outbox->Peek(Priority::kTelemetry, 2, 1 << 20, more);
    EXPECT_EQ(Seqs(more), (std::vector<uint64_t>{5, 6}));
    std::vector<uint64_t> acks = {1, 2, 3, 4};
    outbox->Ack(acks);
    auto stats = outbox->Stats();
    EXPECT_EQ(stats.classes[2].backlog_records, 6u);
    EXPECT_EQ(stats.classes[2].acked, 4u);
    EXPECT_EQ(stats.classes[2].in_flight, 2u);
    EXPECT_EQ(metrics_.CounterValue("outbox.acked", "outbox=\"outbox\",class=\"telemetry\""), 4u);
  }
  auto outbox = Open(Options());
  // 5 and 6 were in flight, not acked: delivered again (at-least-once).
  EXPECT_EQ(Drain(*outbox, Priority::kTelemetry), (std::vector<uint64_t>{5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(Add(*outbox, Priority::kTelemetry, "d1", "x"), 11u);
}

TEST_F(OutboxTest, OutOfOrderAcksSurviveRestart) {
  {
    auto outbox = Open(Options());
    for (int i = 0; i < 6; ++i) Add(*outbox, Priority::kEvent, "d", "p");
    std::vector<OutboxRecord> out;
    outbox->Peek(Priority::kEvent, 5, 1 << 20, out);
    std::vector<uint64_t> acks = {1, 2, 4};
    outbox->Ack(acks);
  }
  auto outbox = Open(Options());
  EXPECT_EQ(Drain(*outbox, Priority::kEvent), (std::vector<uint64_t>{3, 5, 6}));
  EXPECT_EQ(outbox->Stats().classes[1].backlog_records, 3u);
}

TEST_F(OutboxTest, SeqContinuesAfterEverySegmentWasAckedAndDeleted) {
  auto o = Options();
  {
    auto outbox = Open(o);
    for (int i = 0; i < 200; ++i) Add(*outbox, Priority::kTelemetry, "d", std::string(100, 'x'));
    std::vector<OutboxRecord> out;
    while (outbox->Peek(Priority::kTelemetry, 1000, 1 << 20, out) > 0) {
    }
    auto seqs = Seqs(out);
    outbox->Ack(seqs);
    ASSERT_TRUE(outbox->Maintain().ok());
    EXPECT_EQ(Segments("telemetry").size(), 1u);  // sealed, fully acked segments are deleted
  }
  auto outbox = Open(o);
  EXPECT_TRUE(Drain(*outbox, Priority::kTelemetry).empty());
  EXPECT_EQ(Add(*outbox, Priority::kAlert, "d", "x"), 201u);
}

// Segments named by consecutive seqs (one record each: large records, or a
// run that appended one record before a restart): reading on from one to
// the next starts at the next one's first record, not at the offset where
// the previous one ended.
TEST_F(OutboxTest, ReadsEverySegmentWhenSegmentIdsAreConsecutive) {
  auto o = Options();
  {
    auto outbox = Open(o);
    Add(*outbox, Priority::kEvent, "d", std::string(100, 'a'));  // segment 1: seq 1 only
  }
  auto outbox = Open(o);  // a new active segment: 2
  std::vector<uint64_t> expected{1};
  for (int i = 0; i < 3; ++i) expected.push_back(Add(*outbox, Priority::kEvent, "d", std::string(100, 'b')));
  for (int i = 0; i < 4; ++i) {  // one record a segment
    expected.push_back(Add(*outbox, Priority::kEvent, "d", std::string(2500, 'c')));
  }
  EXPECT_EQ(Drain(*outbox, Priority::kEvent), expected);
  EXPECT_EQ(outbox->Stats().classes[1].corrupt, 0u);
}

TEST_F(OutboxTest, KeepsPerDeviceOrderWithinAClassAcrossSegments) {
  auto outbox = Open(Options());
  std::map<std::string, std::vector<std::string>> appended;
  for (int i = 0; i < 300; ++i) {
    std::string device = "dev-" + std::to_string(i % 7);
    std::string payload = device + "#" + std::to_string(i);
    Add(*outbox, Priority::kTelemetry, device, payload);
    appended[device].push_back(payload);
  }
  std::vector<OutboxRecord> out;
  while (outbox->Peek(Priority::kTelemetry, 13, 1 << 20, out) > 0) {
  }
  std::map<std::string, std::vector<std::string>> delivered;
  for (const auto& r : out) delivered[r.device].push_back(r.payload);
  EXPECT_EQ(delivered, appended);
  EXPECT_TRUE(std::is_sorted(out.begin(), out.end(), [](auto& a, auto& b) { return a.seq < b.seq; }));
}

TEST_F(OutboxTest, PeekAnyDrainsAlertsThenEventsThenTelemetry) {
  auto outbox = Open(Options());
  Add(*outbox, Priority::kTelemetry, "d", "t1");  // 1
  Add(*outbox, Priority::kEvent, "d", "e1");      // 2
  Add(*outbox, Priority::kAlert, "d", "a1");      // 3
  Add(*outbox, Priority::kTelemetry, "d", "t2");  // 4
  Add(*outbox, Priority::kAlert, "d", "a2");      // 5
  std::vector<OutboxRecord> out;
  EXPECT_EQ(outbox->PeekAny(3, 1 << 20, out), 3u);
  EXPECT_EQ(Seqs(out), (std::vector<uint64_t>{3, 5, 2}));
  EXPECT_EQ(out[0].priority, Priority::kAlert);
  out.clear();
  outbox->PeekAny(10, 1 << 20, out);
  EXPECT_EQ(Seqs(out), (std::vector<uint64_t>{1, 4}));
}

TEST_F(OutboxTest, NackedRecordsComeBackBeforeNewerOnes) {
  auto outbox = Open(Options());
  for (int i = 0; i < 6; ++i) Add(*outbox, Priority::kEvent, "d", "p");
  std::vector<OutboxRecord> out;
  outbox->Peek(Priority::kEvent, 3, 1 << 20, out);  // 1 2 3
  std::vector<uint64_t> ack = {1}, nack = {2, 3};
  outbox->Ack(ack);
  outbox->Nack(nack);
  out.clear();
  outbox->Peek(Priority::kEvent, 4, 1 << 20, out);
  EXPECT_EQ(Seqs(out), (std::vector<uint64_t>{2, 3, 4, 5}));
  outbox->NackAllInFlight();
  out.clear();
  outbox->Peek(Priority::kEvent, 10, 1 << 20, out);
  EXPECT_EQ(Seqs(out), (std::vector<uint64_t>{2, 3, 4, 5, 6}));
}

TEST_F(OutboxTest, MaxInFlightBoundsTheWindow) {
  auto o = Options();
  o.max_in_flight = 3;
  auto outbox = Open(o);
  for (int i = 0; i < 5; ++i) Add(*outbox, Priority::kEvent, "d", "p");
  std::vector<OutboxRecord> out;
  EXPECT_EQ(outbox->Peek(Priority::kEvent, 10, 1 << 20, out), 3u);
  EXPECT_EQ(outbox->Peek(Priority::kEvent, 10, 1 << 20, out), 0u);
  std::vector<uint64_t> ack = {1};
  outbox->Ack(ack);
  EXPECT_EQ(outbox->Peek(Priority::kEvent, 10, 1 << 20, out), 1u);
  EXPECT_EQ(out.back().seq, 4u);
}

TEST_F(OutboxTest, IntervalPolicyHandsOutOnlyCommittedRecords) {
  auto o = Options();
  o.fsync = FsyncPolicy::kInterval;
  o.fsync_interval = 100 * kMicrosPerMilli;
  auto outbox = Open(o);
  Add(*outbox, Priority::kAlert, "d", "a");
  std::vector<OutboxRecord> out;
  EXPECT_EQ(outbox->Peek(Priority::kAlert, 10, 1 << 20, out), 0u);
  EXPECT_FALSE(outbox->HasPending());
  ASSERT_TRUE(outbox->Maintain().ok());  // interval not elapsed: no commit
  EXPECT_EQ(outbox->Peek(Priority::kAlert, 10, 1 << 20, out), 0u);
  clock_.Advance(100 * kMicrosPerMilli);
  ASSERT_TRUE(outbox->Maintain().ok());  // group commit
  EXPECT_TRUE(outbox->HasPending());
  EXPECT_EQ(outbox->Peek(Priority::kAlert, 10, 1 << 20, out), 1u);
  EXPECT_EQ(outbox->Stats().durable_seq, 1u);
  Add(*outbox, Priority::kAlert, "d", "b");
  ASSERT_TRUE(outbox->Commit().ok());
  EXPECT_EQ(outbox->Peek(Priority::kAlert, 10, 1 << 20, out), 1u);
  EXPECT_GE(outbox->Stats().fsyncs, 2u);
}

TEST_F(OutboxTest, OverflowEvictsOldestOfLeastImportantClassAndReportsIt) {
  auto o = Options();
  o.segment_bytes = 4096;
  o.max_bytes = 4 * 4096;
  auto outbox = Open(o);
  std::string payload(200, 'p');  // 248 bytes a record: 16 per segment
  std::vector<uint64_t> alerts;
  for (int i = 0; i < 10; ++i) alerts.push_back(Add(*outbox, Priority::kAlert, "alarm", payload));
  uint64_t first_telemetry = 0;
  for (int i = 0; i < 60; ++i) {
    uint64_t seq = Add(*outbox, Priority::kTelemetry, "dev-" + std::to_string(i % 2), payload);
    if (i == 0) first_telemetry = seq;
  }
  auto stats = outbox->Stats();
  EXPECT_LE(stats.disk_bytes, o.max_bytes);
  EXPECT_EQ(stats.classes[0].evicted_overflow, 0u);  // alerts are not touched by telemetry
  ASSERT_GT(stats.classes[2].evicted_overflow, 0u);
  EXPECT_EQ(stats.classes[2].refused, 0u);
  ASSERT_FALSE(stats.recent_drops.empty());
  const OutboxDrop& drop = stats.recent_drops.front();
  EXPECT_EQ(drop.priority, Priority::kTelemetry);
  EXPECT_EQ(drop.reason, "overflow");
  EXPECT_EQ(drop.first_seq, first_telemetry);  // the oldest went first
  EXPECT_EQ(drop.last_seq - drop.first_seq + 1, drop.records);
  EXPECT_EQ(drop.devices, (std::vector<std::string>{"dev-0", "dev-1"}));
  EXPECT_EQ(metrics_.CounterValue("outbox.evicted", "outbox=\"outbox\",class=\"telemetry\",reason=\"overflow\""),
            stats.classes[2].evicted_overflow);
  // Every alert is still delivered; telemetry resumes after the evicted range.
  EXPECT_EQ(Drain(*outbox, Priority::kAlert), alerts);
  auto telemetry = Drain(*outbox, Priority::kTelemetry);
  ASSERT_FALSE(telemetry.empty());
  EXPECT_GT(telemetry.front(), drop.last_seq);
  EXPECT_EQ(telemetry.size() + stats.classes[2].evicted_overflow, 60u);
}

// Eviction takes the evicted segment's slots out of the delivery window even
// when the window starts with an acknowledged slot of an already deleted
// segment; a slot left behind would stay "in flight" and, once returned, be
// reported as a corrupt record (it was already counted as evicted).
TEST_F(OutboxTest, EvictionEmptiesTheWindowOfTheEvictedSegmentBehindAnAckedSlot) {
  auto o = Options();
  o.max_bytes = 4 * 4096;
  auto outbox = Open(o);
  const std::string payload(200, 'p');  // 16 records a segment
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 48; ++i) seqs.push_back(Add(*outbox, Priority::kTelemetry, "dev-0", payload));
  std::vector<OutboxRecord> out;
  ASSERT_EQ(outbox->Peek(Priority::kTelemetry, 1000, 1 << 20, out), 48u);
  // Segments S1 = seqs[0..15], S2 = [16..31], S3 = [32..47]: everything is
  // acked but the first record of S1 and the first of S3.
  const uint64_t in_s1 = seqs[0], in_s3 = seqs[32];
  std::vector<uint64_t> acks;
  for (uint64_t s : seqs) {
    if (s != in_s1 && s != in_s3) acks.push_back(s);
  }
  outbox->Ack(acks);
  auto evicted = [&] { return outbox->Stats().classes[2].evicted_overflow; };
  while (evicted() == 0) Add(*outbox, Priority::kTelemetry, "dev-0", payload);
  ASSERT_EQ(evicted(), 1u);  // S1 went; the window now starts with S2's acked slots
  ASSERT_TRUE(outbox->Maintain().ok());  // S2, all acked, is deleted
  while (evicted() == 1) Add(*outbox, Priority::kTelemetry, "dev-0", payload);
  ASSERT_EQ(evicted(), 2u);  // S3 went, with in_s3
  EXPECT_EQ(outbox->Stats().classes[2].in_flight, 0u);
  outbox->NackAllInFlight();
  const std::vector<uint64_t> rest = Drain(*outbox, Priority::kTelemetry);
  EXPECT_EQ(std::count(rest.begin(), rest.end(), in_s3), 0);
  EXPECT_EQ(outbox->Stats().classes[2].corrupt, 0u);
}

TEST_F(OutboxTest, AlertsEvictTelemetryButTelemetryNeverEvictsAlerts) {
  auto o = Options();
  o.max_bytes = 3 * 4096;
  auto outbox = Open(o);
  std::string payload(200, 'p');
  int alerts = 0;
  while (outbox->Stats().disk_bytes + 300 < o.max_bytes) {
    Add(*outbox, Priority::kAlert, "a", payload);
    ++alerts;
  }
  // Full of alerts: telemetry is refused, not given room.
  auto refused = outbox->Append(Priority::kTelemetry, "t", kStart, payload);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  auto stats = outbox->Stats();
  EXPECT_EQ(stats.classes[2].refused, 1u);
  EXPECT_EQ(stats.classes[0].evicted_overflow, 0u);
  EXPECT_EQ(Drain(*outbox, Priority::kAlert).size(), static_cast<size_t>(alerts));
}

TEST_F(OutboxTest, DropNewestRefusesSameClassButLetsAlertsEvictTelemetry) {
  auto o = Options();
  o.max_bytes = 4 * 4096;
  o.overflow = OverflowPolicy::kDropNewest;
  auto outbox = Open(o);
  std::string payload(200, 'p');
  std::vector<uint64_t> telemetry;
  for (;;) {
    auto seq = outbox->Append(Priority::kTelemetry, "t", kStart, payload);
    if (!seq.ok()) {
      EXPECT_EQ(seq.status().code(), StatusCode::kResourceExhausted);
      break;
    }
    telemetry.push_back(*seq);
  }
  auto stats = outbox->Stats();
  EXPECT_EQ(stats.classes[2].refused, 1u);
  EXPECT_EQ(stats.classes[2].evicted_overflow, 0u);  // the old data is kept
  // An alert still gets in, by evicting the oldest telemetry segment.
  auto alert = outbox->Append(Priority::kAlert, "a", kStart, payload);
  ASSERT_TRUE(alert.ok()) << alert.status().ToString();
  stats = outbox->Stats();
  EXPECT_GT(stats.classes[2].evicted_overflow, 0u);
  auto left = Drain(*outbox, Priority::kTelemetry);
  EXPECT_EQ(left.back(), telemetry.back());
  EXPECT_EQ(left.size() + stats.classes[2].evicted_overflow, telemetry.size());
}

TEST_F(OutboxTest, AgeBoundEvictsOldRecords) {
  auto o = Options();
  o.max_age = 10 * kMicrosPerSecond;
  auto outbox = Open(o);
  for (int i = 0; i < 40; ++i) Add(*outbox, Priority::kTelemetry, "old", std::string(200, 'o'));  // 3 segments
  clock_.Advance(11 * kMicrosPerSecond);
  Add(*outbox, Priority::kTelemetry, "new", "fresh");
  ASSERT_TRUE(outbox->Maintain().ok());  // sealed old segments go
  std::vector<OutboxRecord> out;
  while (outbox->Peek(Priority::kTelemetry, 100, 1 << 20, out) > 0) {
  }
  ASSERT_EQ(out.size(), 1u);  // old records left in the active segment are skipped at read
  EXPECT_EQ(out[0].device, "new");
  auto stats = outbox->Stats();
  EXPECT_EQ(stats.classes[2].evicted_age, 40u);
  EXPECT_EQ(stats.classes[2].backlog_records, 1u);
}

// A crash right after age eviction removed every segment must not let the
// next run reuse the evicted records' seqs: the receiver would take new
// records for duplicates of old ones and drop them.
TEST_F(OutboxTest, AgeEvictionKeepsTheSeqsUsedAcrossACrash) {
  auto o = Options();
  o.max_age = 10 * kMicrosPerSecond;
  o.checkpoint_interval = 3600 * kMicrosPerSecond;  // no periodic checkpoint to hide the gap
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the node that crashes: no destructor, no closing checkpoint
    auto outbox = Outbox::Open(o);
    if (!outbox.ok()) _exit(2);
    for (int i = 0; i < 40; ++i) {
      if (!(*outbox)->Append(Priority::kTelemetry, "old", kStart, std::string(200, 'o')).ok()) _exit(3);
    }
    clock_.Advance(11 * kMicrosPerSecond);
    if (!(*outbox)->Maintain().ok()) _exit(4);
    if ((*outbox)->Stats().classes[2].evicted_age != 40) _exit(5);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto outbox = Open(o);
  ASSERT_NE(outbox, nullptr);
  EXPECT_GT(Add(*outbox, Priority::kTelemetry, "new", "fresh"), 40u);
}

TEST_F(OutboxTest, OverflowEvictionKeepsTheSeqsUsedAcrossACrash) {
  auto o = Options();
  o.segment_bytes = 4096;
  o.max_bytes = 2 * 4096;
  o.checkpoint_interval = 3600 * kMicrosPerSecond;  // no periodic checkpoint to hide the gap
  // The node dies the instant an evicted segment file is gone.
  o.after_segment_delete_for_test = [] { _exit(0); };
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto outbox = Outbox::Open(o);
    if (!outbox.ok()) _exit(2);
    // Events get seqs 1..14, then telemetry 15..28 (the newest) in one
    // active segment; 7 KB of the 8 KB used.
    for (int i = 0; i < 14; ++i) {
      if (!(*outbox)->Append(Priority::kEvent, "dev", kStart, std::string(200, 'e')).ok()) _exit(3);
    }
    for (int i = 0; i < 14; ++i) {
      if (!(*outbox)->Append(Priority::kTelemetry, "dev", kStart, std::string(200, 't')).ok()) _exit(3);
    }
    // An alert that needs their room: telemetry's segment is evicted.
    (void)(*outbox)->Append(Priority::kAlert, "alarm", kStart, std::string(1500, 'a'));
    _exit(4);  // not reached: the hook exits first
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  o.after_segment_delete_for_test = nullptr;
  auto outbox = Open(o);
  ASSERT_NE(outbox, nullptr);
  EXPECT_TRUE(Segments("telemetry").empty());
  EXPECT_GT(Add(*outbox, Priority::kTelemetry, "dev", "fresh"), 28u);
}

// A node that appended without ever writing a checkpoint (no acks yet: the
// link was down) crashes; the next run delivers and acks everything, but its
// checkpoint cannot be written (full disk, I/O error): the acknowledged
// segment, which holds the newest seqs, must not be deleted, or a crash then
// makes the run after it hand out those seqs again.
TEST_F(OutboxTest, DoneSegmentIsKeptWhileTheCheckpointCannotBeWritten) {
  auto o = Options();
  o.checkpoint_interval = 3600 * kMicrosPerSecond;  // no periodic checkpoint to hide the gap
  // First run: seqs 1..10, written, no checkpoint, crash.
  ASSERT_EQ(AppendTenThenCrash(o), 0);
  ASSERT_FALSE(fs::exists(dir_ / "acks"));
  // Second run: everything acked, the checkpoint write fails (acks.tmp is
  // a directory), Maintain deletes what it may, crash.
  fs::create_directory(dir_ / "acks.tmp");
  o.after_segment_delete_for_test = [] { _exit(0); };
  ASSERT_EQ(RunChild([&] {
              auto outbox = Outbox::Open(o);
              if (!outbox.ok()) return 2;
              std::vector<OutboxRecord> out;
              while ((*outbox)->Peek(Priority::kTelemetry, 1000, 1 << 20, out) > 0) {
              }
              if (out.size() != 10) _exit(3);
              std::vector<uint64_t> seqs;
              for (const auto& r : out) seqs.push_back(r.seq);
              (*outbox)->Ack(seqs);
              (void)(*outbox)->Maintain();
              _exit(0);
            }),
            0);
  fs::remove(dir_ / "acks.tmp");
  o.after_segment_delete_for_test = nullptr;
  auto outbox = Open(o);
  ASSERT_NE(outbox, nullptr);
  EXPECT_GT(Add(*outbox, Priority::kTelemetry, "d", "fresh"), 10u);  // not a reused seq
}

TEST_F(OutboxTest, AgedSegmentIsKeptWhileTheCheckpointCannotBeWritten) {
  auto o = Options();
  o.max_age = 10 * kMicrosPerSecond;
  o.checkpoint_interval = 3600 * kMicrosPerSecond;  // no periodic checkpoint to hide the gap
  // First run: seqs 1..10 written, no checkpoint, crash.
  ASSERT_EQ(AppendTenThenCrash(o), 0);
  ASSERT_FALSE(fs::exists(dir_ / "acks"));
  // Second run: the records age out while the checkpoint cannot be written
  // (acks.tmp is a directory); a deletion would end the child at once.
  fs::create_directory(dir_ / "acks.tmp");
  o.after_segment_delete_for_test = [] { _exit(9); };
  ASSERT_EQ(RunChild([&]() -> int {
              auto outbox = Outbox::Open(o);
              if (!outbox.ok()) return 2;
              clock_.Advance(11 * kMicrosPerSecond);
              (void)(*outbox)->Maintain();
              _exit(0);
            }),
            0);
  fs::remove(dir_ / "acks.tmp");
  o.after_segment_delete_for_test = nullptr;
  auto outbox = Open(o);
  ASSERT_NE(outbox, nullptr);
  EXPECT_GT(Add(*outbox, Priority::kTelemetry, "d", "fresh"), 10u);  // not a reused seq
}

TEST_F(OutboxTest, TornTailIsTruncatedAndTheRestDelivered) {
  {
    auto outbox = Open(Options());
    for (int i = 0; i < 5; ++i) Add(*outbox, Priority::kEvent, "d", "payload");
  }
  auto segment = Segments("event").back();
  auto good_size = fs::file_size(segment);
  {
    // Half a record, as a crash in the middle of write() leaves it.
    std::string partial;
    std::string payload(100, 'z');
    outbox_format::AppendRecord(partial, 6, kStart, kStart, "d",
                                {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()});
    std::ofstream f(segment, std::ios::app | std::ios::binary);
    f.write(partial.data(), 60);
  }
  auto outbox = Open(Options());
  EXPECT_EQ(fs::file_size(segment), good_size);
  EXPECT_EQ(Drain(*outbox, Priority::kEvent), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(outbox->Stats().classes[1].corrupt, 0u);
  EXPECT_EQ(Add(*outbox, Priority::kEvent, "d", "next"), 6u);
}

TEST_F(OutboxTest, CorruptRecordIsReportedAndSkippedTheRestDelivered) {
  {
    auto outbox = Open(Options());
    for (int i = 0; i < 5; ++i) Add(*outbox, Priority::kEvent, "d", "payload-" + std::to_string(i));
  }
  auto segment = Segments("event").back();
  {
    // Flip one payload byte of record 3.
    size_t record = outbox_format::EncodedSize(1, 9);
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(outbox_format::kHeaderSize + 2 * record + record - 2));
    f.put('#');
  }
  auto outbox = Open(Options());
  EXPECT_EQ(Drain(*outbox, Priority::kEvent), (std::vector<uint64_t>{1, 2, 4, 5}));
  auto stats = outbox->Stats();
  EXPECT_EQ(stats.classes[1].corrupt, 1u);
  ASSERT_EQ(stats.recent_drops.size(), 1u);
  EXPECT_EQ(stats.recent_drops[0].reason, "corrupt");
  EXPECT_EQ(stats.recent_drops[0].first_seq, 3u);
  EXPECT_EQ(stats.recent_drops[0].last_seq, 3u);
  EXPECT_EQ(Add(*outbox, Priority::kEvent, "d", "next"), 6u);
}

// A damaged length field makes a record in the middle of a segment look as
// if it ran past the end of the file. That is not a torn tail: the valid
// records after it must not be truncated away (nor their seqs reused).
TEST_F(OutboxTest, DamagedLengthInTheMiddleIsSkippedNotTruncatedAsATornTail) {
  {
    auto outbox = Open(Options());
    for (int i = 0; i < 5; ++i) Add(*outbox, Priority::kEvent, "d", "payload-" + std::to_string(i));
  }
  auto segment = Segments("event").back();
  const auto size = fs::file_size(segment);
  {
    // Record 3's body_len (bytes 4..7 of the record) now claims 1 MB.
    size_t record = outbox_format::EncodedSize(1, 9);
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(outbox_format::kHeaderSize + 2 * record + 4));
    const uint32_t huge = 1 << 20;
    f.write(reinterpret_cast<const char*>(&huge), sizeof(huge));
  }
  auto outbox = Open(Options());
  EXPECT_EQ(fs::file_size(segment), size);
  EXPECT_EQ(Drain(*outbox, Priority::kEvent), (std::vector<uint64_t>{1, 2, 4, 5}));
  EXPECT_EQ(outbox->Stats().classes[1].corrupt, 1u);
  EXPECT_EQ(Add(*outbox, Priority::kEvent, "d", "next"), 6u);
}

TEST_F(OutboxTest, CorruptStretchThatWipedMarkersCountsEveryLostRecord) {
  {
    auto outbox = Open(Options());
    for (int i = 0; i < 10; ++i) Add(*outbox, Priority::kEvent, "d", "payload-" + std::to_string(i));
  }
  auto segment = Segments("event").back();
  {
    // Zero records 4, 5 and 6 entirely, their markers included: no marker
    // is left to count them by.
    const size_t record = outbox_format::EncodedSize(1, 9);
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(outbox_format::kHeaderSize + 3 * record));
    f.write(std::string(3 * record, '\0').data(), static_cast<std::streamsize>(3 * record));
  }
  auto outbox = Open(Options());
  EXPECT_EQ(Drain(*outbox, Priority::kEvent), (std::vector<uint64_t>{1, 2, 3, 7, 8, 9, 10}));
  const OutboxStats stats = outbox->Stats();
  EXPECT_EQ(stats.classes[1].corrupt, 3u);
  ASSERT_EQ(stats.recent_drops.size(), 1u);
  EXPECT_EQ(stats.recent_drops[0].records, 3u);
  EXPECT_EQ(stats.recent_drops[0].first_seq, 4u);
  EXPECT_EQ(stats.recent_drops[0].last_seq, 6u);
}

TEST_F(OutboxTest, CorruptionAfterOpenIsCaughtWhenRead) {
  auto outbox = Open(Options());
  for (int i = 0; i < 5; ++i) Add(*outbox, Priority::kEvent, "d", "payload-" + std::to_string(i));
  ASSERT_TRUE(outbox->Commit().ok());  // in the file, not yet read
  {
    size_t record = outbox_format::EncodedSize(1, 9);
    std::fstream f(Segments("event").back(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(outbox_format::kHeaderSize + 3 * record + 20));
    f.put('\x7f');
  }
  EXPECT_EQ(Drain(*outbox, Priority::kEvent), (std::vector<uint64_t>{1, 2, 3, 5}));
  auto stats = outbox->Stats();
  EXPECT_EQ(stats.classes[1].corrupt, 1u);
  EXPECT_EQ(stats.classes[1].backlog_records, 4u);
  ASSERT_EQ(stats.recent_drops.size(), 1u);
  EXPECT_EQ(stats.recent_drops[0].first_seq, 4u);
  EXPECT_EQ(stats.recent_drops[0].last_seq, 4u);
}

TEST_F(OutboxTest, CorruptAckCheckpointIsIgnoredAndEverythingResent) {
  {
    auto outbox = Open(Options());
    for (int i = 0; i < 4; ++i) Add(*outbox, Priority::kEvent, "d", "p");
    std::vector<OutboxRecord> out;
    outbox->Peek(Priority::kEvent, 2, 1 << 20, out);
    std::vector<uint64_t> acks = {1, 2};
    outbox->Ack(acks);
  }
  {
    std::fstream f(dir_ / "acks", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);
    f.put('9');  // breaks its checksum
  }
  auto outbox = Open(Options());
  EXPECT_EQ(Drain(*outbox, Priority::kEvent), (std::vector<uint64_t>{1, 2, 3, 4}));  // at-least-once
  EXPECT_EQ(Add(*outbox, Priority::kEvent, "d", "p"), 5u);
}

TEST_F(OutboxTest, SegmentOfAnUnknownVersionIsSetAsideNotDelivered) {
  {
    auto outbox = Open(Options());
    Add(*outbox, Priority::kAlert, "d", "p");
  }
  auto segment = Segments("alert").back();
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    f.put('\x02');  // version 2 (and the header CRC no longer matches)
  }
  auto outbox = Open(Options());
  EXPECT_TRUE(Drain(*outbox, Priority::kAlert).empty());
  EXPECT_TRUE(fs::exists(segment.string() + ".corrupt"));
  EXPECT_EQ(outbox->Stats().classes[0].corrupt, 1u);
}

TEST_F(OutboxTest, SecondOpenOfTheSameDirectoryIsRefused) {
  auto first = Open(Options());
  auto second = Outbox::Open(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  Add(*first, Priority::kAlert, "d", "still works");
}

TEST_F(OutboxTest, RejectsRecordsLargerThanASegment) {
  auto outbox = Open(Options());
  auto seq = outbox->Append(Priority::kTelemetry, "d", kStart, std::string(5000, 'x'));
  ASSERT_FALSE(seq.ok());
  EXPECT_EQ(seq.status().code(), StatusCode::kInvalidData);
  EXPECT_EQ(outbox->Stats().classes[2].refused, 1u);
}

TEST_F(OutboxTest, AlwaysPolicyMakesEachAppendDurable) {
  auto o = Options();
  o.fsync = FsyncPolicy::kAlways;
  auto outbox = Open(o);
  Add(*outbox, Priority::kAlert, "d", "a");
  EXPECT_EQ(outbox->Stats().durable_seq, 1u);
  std::vector<OutboxRecord> out;
  EXPECT_EQ(outbox->Peek(Priority::kAlert, 10, 1 << 20, out), 1u);
}

TEST_F(OutboxTest, InvalidOptionsAreRejected) {
  auto o = Options();
  o.max_bytes = o.segment_bytes;
  auto outbox = Outbox::Open(o);
  ASSERT_FALSE(outbox.ok());
  EXPECT_EQ(outbox.status().code(), StatusCode::kInvalidConfig);
  EXPECT_FALSE(fs::exists(dir_ / "acks"));
}

TEST(OutboxPriorityTest, ParsesNames) {
  EXPECT_EQ(*ParsePriority("alert"), Priority::kAlert);
  EXPECT_EQ(*ParsePriority("bulk"), Priority::kTelemetry);
  EXPECT_FALSE(ParsePriority("urgent").ok());
}

}  // namespace
}  // namespace edgeflow
