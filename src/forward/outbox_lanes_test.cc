// The outbox's live lane: records appended while a backlog drains are handed
// out alongside it; the lanes meet without gap or duplicate; acks that are
// not a prefix survive a restart in a bounded checkpoint; segments go only
// once every record in them is done; eviction still works with two lanes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "forward/outbox.h"
#include "forward/outbox_test_util.h"
#include "forward/crc32c.h"
#include "forward/outbox_checkpoint.h"

namespace edgeflow {
namespace {

namespace fs = std::filesystem;

using outbox_testing::kStart;
constexpr Priority kTel = Priority::kTelemetry;

class OutboxLanesTest : public outbox_testing::OutboxFixture {
 protected:
  // Appends `n` records of class `p`; returns their seqs.
  static std::vector<uint64_t> AddN(Outbox& outbox, Priority p, int n, size_t payload = 100) {
    std::vector<uint64_t> seqs;
    for (int i = 0; i < n; ++i) {
      auto seq = outbox.Append(p, "dev-" + std::to_string(i % 3), kStart, std::string(payload, 'x'));
      EXPECT_TRUE(seq.ok()) << seq.status().ToString();
      if (seq.ok()) seqs.push_back(*seq);
    }
    return seqs;
  }
  static std::vector<uint64_t> PeekSeqs(Outbox& outbox, Priority p, size_t n, Lane lane) {
    std::vector<OutboxRecord> out;
    outbox.Peek(p, n, 1 << 20, out, lane);
    std::vector<uint64_t> seqs;
    for (const auto& r : out) seqs.push_back(r.seq);
    return seqs;
  }
  static void AckAll(Outbox& outbox, const std::vector<uint64_t>& seqs) { outbox.Ack(seqs); }
  // Drains the class through the backlog lane, acking as it goes.
  static std::vector<uint64_t> DrainBacklog(Outbox& outbox, Priority p) {
    std::vector<uint64_t> all;
    for (;;) {
      auto seqs = PeekSeqs(outbox, p, 1000, Lane::kBacklog);
      if (seqs.empty()) return all;
      outbox.Ack(seqs);
      all.insert(all.end(), seqs.begin(), seqs.end());
    }
  }
  size_t SegmentFiles(const std::string& cls) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_ / cls)) n += e.path().extension() == ".seg" ? 1 : 0;
    return n;
  }
  std::string ReadAcks() {
    std::ifstream in(dir_ / "acks");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
};

TEST_F(OutboxLanesTest, LiveLaneOpensOnlyOverABacklogAndOtherwiseReadsOldestFirst) {
  auto outbox = Open(Options());
  AddN(*outbox, kTel, 3);
  // Three waiting, five asked for: no backlog worth overtaking.
  EXPECT_EQ(PeekSeqs(*outbox, kTel, 5, Lane::kLive), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_FALSE(outbox->Stats().classes[2].live_lane_open);
  AddN(*outbox, kTel, 20);  // 4..23: 20 waiting, not more than 4 x 5
  EXPECT_EQ(PeekSeqs(*outbox, kTel, 5, Lane::kLive), (std::vector<uint64_t>{4, 5, 6, 7, 8}));
  EXPECT_FALSE(outbox->Stats().classes[2].live_lane_open);
  AddN(*outbox, kTel, 10);  // 24..33: 25 waiting
  EXPECT_TRUE(PeekSeqs(*outbox, kTel, 5, Lane::kLive).empty());  // opens at the tail: nothing newer yet
  EXPECT_TRUE(outbox->Stats().classes[2].live_lane_open);
  AddN(*outbox, kTel, 2);  // 34, 35: live
  EXPECT_EQ(PeekSeqs(*outbox, kTel, 5, Lane::kLive), (std::vector<uint64_t>{34, 35}));
  EXPECT_EQ(PeekSeqs(*outbox, kTel, 3, Lane::kBacklog), (std::vector<uint64_t>{9, 10, 11}));
}

TEST_F(OutboxLanesTest, BacklogLaneStopsAtTheMarkUntilItMerges) {
  auto outbox = Open(Options());
  AddN(*outbox, kTel, 30);
  ASSERT_TRUE(PeekSeqs(*outbox, kTel, 5, Lane::kLive).empty());
  AddN(*outbox, kTel, 5);  // 31..35
  auto backlog = PeekSeqs(*outbox, kTel, 1000, Lane::kBacklog);
  // The backlog lane hands out 1..30, merges at the mark and then goes on
  // with what the live lane had not taken: here all of 31..35.
  std::vector<uint64_t> all(35);
  for (uint64_t i = 0; i < 35; ++i) all[i] = i + 1;
  EXPECT_EQ(backlog, all);
  EXPECT_FALSE(outbox->Stats().classes[2].live_lane_open);
  EXPECT_TRUE(PeekSeqs(*outbox, kTel, 1000, Lane::kLive).empty());
}

TEST_F(OutboxLanesTest, LanesMeetWithoutGapOrDuplicate) {
  auto outbox = Open(Options());
  const auto backlog = AddN(*outbox, kTel, 200);  // several 4 KB segments
  ASSERT_TRUE(PeekSeqs(*outbox, kTel, 10, Lane::kLive).empty());
  std::vector<uint64_t> live_seqs, backlog_seqs;
  std::set<uint64_t> in_flight;
  // Appends keep coming while both lanes drain, nothing acked yet: no record
  // may be handed out twice while in flight.
  for (int round = 0; round < 60; ++round) {
    AddN(*outbox, kTel, 3);
    AddN(*outbox, Priority::kEvent, 1);  // other classes share the seq counter
    for (uint64_t s : PeekSeqs(*outbox, kTel, 4, Lane::kLive)) {
      EXPECT_TRUE(in_flight.insert(s).second) << "seq " << s << " handed out twice";
      live_seqs.push_back(s);
    }
    for (uint64_t s : PeekSeqs(*outbox, kTel, 5, Lane::kBacklog)) {
      EXPECT_TRUE(in_flight.insert(s).second) << "seq " << s << " handed out twice";
      backlog_seqs.push_back(s);
    }
  }
  // Each lane is in seq order; the live lane started after the backlog.
  EXPECT_TRUE(std::is_sorted(live_seqs.begin(), live_seqs.end()));
  EXPECT_TRUE(std::is_sorted(backlog_seqs.begin(), backlog_seqs.end()));
  ASSERT_FALSE(live_seqs.empty());
  EXPECT_GT(live_seqs.front(), backlog.back());
  // By now the backlog lane caught up: one lane again, and it carries on
  // after the last live record, oldest first.
  EXPECT_FALSE(outbox->Stats().classes[2].live_lane_open);
  const auto late = AddN(*outbox, kTel, 5);
  for (uint64_t s : PeekSeqs(*outbox, kTel, 100, Lane::kBacklog)) EXPECT_TRUE(in_flight.insert(s).second);
  for (uint64_t s : late) EXPECT_EQ(in_flight.count(s), 1u);
  // Every telemetry record exactly once, none missing.
  EXPECT_EQ(in_flight.size(), 200u + 60u * 3u + 5u);
  EXPECT_EQ(outbox->Stats().classes[2].in_flight, in_flight.size());
  std::vector<uint64_t> all(in_flight.begin(), in_flight.end());
  outbox->Ack(all);
  EXPECT_EQ(outbox->Stats().classes[2].backlog_records, 0u);
  EXPECT_TRUE(PeekSeqs(*outbox, kTel, 100, Lane::kBacklog).empty());
  EXPECT_TRUE(PeekSeqs(*outbox, kTel, 100, Lane::kLive).empty());
}

TEST_F(OutboxLanesTest, NackedLiveRecordsComeBackInTheLiveLane) {
  auto outbox = Open(Options());
  AddN(*outbox, kTel, 50);
  ASSERT_TRUE(PeekSeqs(*outbox, kTel, 5, Lane::kLive).empty());
  AddN(*outbox, kTel, 4);  // 51..54
  auto live = PeekSeqs(*outbox, kTel, 4, Lane::kLive);
  ASSERT_EQ(live, (std::vector<uint64_t>{51, 52, 53, 54}));
  std::vector<uint64_t> back = {52, 53};
  outbox->Nack(back);
  EXPECT_EQ(PeekSeqs(*outbox, kTel, 1, Lane::kBacklog), (std::vector<uint64_t>{1}));
  EXPECT_EQ(PeekSeqs(*outbox, kTel, 10, Lane::kLive), (std::vector<uint64_t>{52, 53}));
  outbox->NackAllInFlight();
  EXPECT_EQ(PeekSeqs(*outbox, kTel, 10, Lane::kLive), (std::vector<uint64_t>{51, 52, 53, 54}));
  EXPECT_EQ(PeekSeqs(*outbox, kTel, 2, Lane::kBacklog), (std::vector<uint64_t>{1, 2}));
}

TEST_F(OutboxLanesTest, AckedLiveRecordsAreNotDeliveredAgainAfterReopen) {
  std::vector<uint64_t> backlog;
  {
    auto outbox = Open(Options());
    backlog = AddN(*outbox, kTel, 100);
    ASSERT_TRUE(PeekSeqs(*outbox, kTel, 10, Lane::kLive).empty());
    AddN(*outbox, kTel, 50);
    auto live = PeekSeqs(*outbox, kTel, 1000, Lane::kLive);
    ASSERT_EQ(live.size(), 50u);
    outbox->Ack(live);
    auto first = PeekSeqs(*outbox, kTel, 10, Lane::kBacklog);
    ASSERT_EQ(first.size(), 10u);
    outbox->Ack(first);
  }  // close writes the checkpoint
  EXPECT_NE(ReadAcks().find("edgeflow-outbox-acks 2"), std::string::npos);
  auto outbox = Open(Options());
  // Only the unacknowledged backlog comes again, none of the live records.
  EXPECT_EQ(DrainBacklog(*outbox, kTel), std::vector<uint64_t>(backlog.begin() + 10, backlog.end()));
  EXPECT_EQ(outbox->Stats().classes[2].backlog_records, 0u);
}

TEST_F(OutboxLanesTest, CheckpointStaysSmallWith100kAckedLiveRecordsAboveABacklog) {
  auto o = Options();
  o.segment_bytes = 1 << 20;
  o.max_bytes = 64 << 20;
  std::vector<uint64_t> backlog;
  {
    auto outbox = Open(o);
    backlog = AddN(*outbox, kTel, 1000, 16);
    ASSERT_TRUE(PeekSeqs(*outbox, kTel, 10, Lane::kLive).empty());
    for (int chunk = 0; chunk < 100; ++chunk) {
      AddN(*outbox, kTel, 1000, 16);
      AddN(*outbox, Priority::kEvent, 10, 16);  // interleaved seqs of another class
      auto live = PeekSeqs(*outbox, kTel, 1000, Lane::kLive);
      ASSERT_EQ(live.size(), 1000u);
      outbox->Ack(live);
    }
    EXPECT_EQ(outbox->Stats().classes[2].acked, 100000u);
    clock_.Advance(10 * kMicrosPerSecond);
    ASSERT_TRUE(outbox->Maintain().ok());  // checkpoint due
    // One range for 100,000 acked seqs (other classes' seqs inside it are not
    // this class's): the file stays tiny.
    EXPECT_LT(ReadAcks().size(), 512u) << ReadAcks();
    // The fully acknowledged live segments are gone although the backlog before them is not.
    EXPECT_LE(SegmentFiles("telemetry"), 2u);
  }
  auto outbox = Open(o);
  EXPECT_EQ(DrainBacklog(*outbox, kTel), backlog);
}

TEST_F(OutboxLanesTest, SegmentIsDeletedOnlyWhenEveryRecordInItIsDone) {
  auto outbox = Open(Options());
  AddN(*outbox, kTel, 100);  // ~3 segments of 4 KB
  const size_t backlog_files = SegmentFiles("telemetry");
  ASSERT_GE(backlog_files, 3u);
  ASSERT_TRUE(PeekSeqs(*outbox, kTel, 10, Lane::kLive).empty());
  AddN(*outbox, kTel, 200);  // ~6 more segments, all live
  auto live = PeekSeqs(*outbox, kTel, 1000, Lane::kLive);
  ASSERT_EQ(live.size(), 200u);
  const size_t all_files = SegmentFiles("telemetry");
  // Everything live acknowledged except one record in the middle.
  const uint64_t held = live[100];
  std::vector<uint64_t> acks;
  for (uint64_t s : live) {
    if (s != held) acks.push_back(s);
  }
  outbox->Ack(acks);
  ASSERT_TRUE(outbox->Maintain().ok());
  const size_t after_acks = SegmentFiles("telemetry");
  // Fully acked live segments went; the backlog's, the one holding `held`,
  // the one shared with the backlog (the mark) and the active one stayed.
  EXPECT_LT(after_acks, all_files);
  EXPECT_GE(after_acks, backlog_files + 1);
  std::vector<uint64_t> last = {held};
  outbox->Ack(last);
  ASSERT_TRUE(outbox->Maintain().ok());
  EXPECT_EQ(SegmentFiles("telemetry"), after_acks - 1);
  // The backlog is intact and still delivered in full.
  EXPECT_EQ(DrainBacklog(*outbox, kTel).size(), 100u);
  ASSERT_TRUE(outbox->Maintain().ok());
  EXPECT_EQ(SegmentFiles("telemetry"), 1u);  // only the active segment
  EXPECT_EQ(outbox->Stats().classes[2].backlog_records, 0u);
}

TEST_F(OutboxLanesTest, OverflowEvictionWithBothLanesLosesNothingElse) {
  auto o = Options();
  o.max_bytes = 6 * 4096;  // about 6 segments in all
  auto outbox = Open(o);
  AddN(*outbox, kTel, 100);
  ASSERT_TRUE(PeekSeqs(*outbox, kTel, 10, Lane::kLive).empty());
  std::set<uint64_t> delivered;
  std::vector<uint64_t> live_seen;
  for (int round = 0; round < 40; ++round) {
    AddN(*outbox, kTel, 10);  // overflows: the oldest segments go
    auto live = PeekSeqs(*outbox, kTel, 3, Lane::kLive);
    auto old = PeekSeqs(*outbox, kTel, 2, Lane::kBacklog);
    live_seen.insert(live_seen.end(), live.begin(), live.end());
    for (uint64_t s : live) EXPECT_TRUE(delivered.insert(s).second);
    for (uint64_t s : old) EXPECT_TRUE(delivered.insert(s).second);
    outbox->Ack(live);
    outbox->Ack(old);
  }
  for (uint64_t s : DrainBacklog(*outbox, kTel)) EXPECT_TRUE(delivered.insert(s).second);
  EXPECT_TRUE(std::is_sorted(live_seen.begin(), live_seen.end()));
  const auto stats = outbox->Stats().classes[2];
  EXPECT_GT(stats.evicted_overflow, 0u);
  // Every record was delivered once or evicted (counted), nothing else.
  EXPECT_EQ(delivered.size() + stats.evicted_overflow, 500u);
  EXPECT_EQ(stats.acked, delivered.size());
  EXPECT_EQ(stats.backlog_records, 0u);
  EXPECT_EQ(stats.in_flight, 0u);
}

TEST_F(OutboxLanesTest, AgeEvictionDropsInFlightLiveRecordsAndEmptiesBothLanes) {
  auto o = Options();
  o.max_age = 60 * kMicrosPerSecond;
  auto outbox = Open(o);
  AddN(*outbox, kTel, 100);
  ASSERT_TRUE(PeekSeqs(*outbox, kTel, 10, Lane::kLive).empty());
  AddN(*outbox, kTel, 100);
  auto live = PeekSeqs(*outbox, kTel, 10, Lane::kLive);
  ASSERT_EQ(live.size(), 10u);
  clock_.Advance(120 * kMicrosPerSecond);
  AddN(*outbox, kTel, 1);  // keeps the active segment young
  ASSERT_TRUE(outbox->Maintain().ok());
  outbox->Ack(live);  // late acks for evicted records are ignored
  EXPECT_EQ(outbox->Stats().classes[2].in_flight, 0u);
  // The young record is the only one left, and every lane gives only it.
  std::vector<uint64_t> rest = PeekSeqs(*outbox, kTel, 100, Lane::kLive);
  auto more = PeekSeqs(*outbox, kTel, 100, Lane::kBacklog);
  rest.insert(rest.end(), more.begin(), more.end());
  EXPECT_EQ(rest, (std::vector<uint64_t>{201}));
  const auto stats = outbox->Stats().classes[2];
  EXPECT_EQ(stats.evicted_age + stats.acked + 1, 201u);
}

TEST_F(OutboxLanesTest, VersionOneCheckpointIsStillHonouredAtOpen) {
  {
    auto outbox = Open(Options());
    AddN(*outbox, kTel, 6);
  }
  // An outbox left by the previous release: single acked seqs above the floor.
  const std::string v1 =
      "edgeflow-outbox-acks 1\nnext_seq 7\nclass alert floor 0 acked\nclass event floor 0 acked\n"
      "class telemetry floor 1 acked 2 4\n";
  char crc[16];
  std::snprintf(crc, sizeof(crc), "%08x", Crc32c(v1.data(), v1.size()));
  {
    std::ofstream out(dir_ / "acks", std::ios::trunc);
    out << v1 << "crc32c " << crc << "\n";
  }
  auto outbox = Open(Options());
  EXPECT_EQ(DrainBacklog(*outbox, kTel), (std::vector<uint64_t>{1, 3, 5, 6}));
}

}  // namespace
}  // namespace edgeflow
