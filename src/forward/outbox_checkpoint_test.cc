#include "forward/outbox_checkpoint.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "forward/crc32c.h"

namespace edgeflow {
namespace {

using Ranges = std::vector<OutboxCheckpoint::Range>;

std::string WithChecksum(const std::string& text) {
  char crc[16];
  std::snprintf(crc, sizeof(crc), "%08x", Crc32c(text.data(), text.size()));
  return text + "crc32c " + crc + "\n";
}

TEST(CheckpointTest, RangesRoundTripAsVersionTwo) {
  OutboxCheckpoint c;
  c.next_seq = 500;
  c.classes[0].floor = 3;
  c.classes[2].floor = 10;
  c.classes[2].acked = {{12, 12}, {20, 400}};
  const std::string text = EncodeCheckpoint(c);
  EXPECT_EQ(text.rfind("edgeflow-outbox-acks 2\n", 0), 0u);
  EXPECT_NE(text.find("class telemetry floor 10 acked 12 20-400\n"), std::string::npos) << text;
  auto back = DecodeCheckpoint(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->next_seq, 500u);
  EXPECT_EQ(back->classes[0].floor, 3u);
  EXPECT_EQ(back->classes[2].acked, (Ranges{{12, 12}, {20, 400}}));
}

TEST(CheckpointTest, VersionOneListOfSeqsIsRead) {
  auto c = DecodeCheckpoint(WithChecksum(
      "edgeflow-outbox-acks 1\nnext_seq 9\nclass alert floor 1 acked 3 5 4\nclass event floor 1 acked\n"
      "class telemetry floor 2 acked\n"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->classes[0].acked, (Ranges{{3, 5}}));  // sorted and merged
  EXPECT_TRUE(c->classes[1].acked.empty());
}

TEST(CheckpointTest, BadRangesAreCorruption) {
  const char* bad[] = {"5-3", "4-", "x", "1-2-3", "7a"};
  for (const char* item : bad) {
    auto c = DecodeCheckpoint(WithChecksum(std::string("edgeflow-outbox-acks 2\nnext_seq 9\nclass alert floor 1 acked ") +
                                           item + "\nclass event floor 1 acked\nclass telemetry floor 2 acked\n"));
    EXPECT_FALSE(c.ok()) << item;
  }
  // A range is a version 2 item only.
  auto v1 = DecodeCheckpoint(WithChecksum(
      "edgeflow-outbox-acks 1\nnext_seq 9\nclass alert floor 1 acked 3-5\nclass event floor 1 acked\n"
      "class telemetry floor 2 acked\n"));
  EXPECT_FALSE(v1.ok());
  auto v3 = DecodeCheckpoint(WithChecksum("edgeflow-outbox-acks 3\nnext_seq 9\n"));
  EXPECT_FALSE(v3.ok());
}

TEST(CheckpointTest, NormalizeMergesOverlappingAndAdjacentRanges) {
  Ranges r = {{10, 12}, {1, 2}, {3, 3}, {11, 20}, {30, 30}};
  NormalizeRanges(r);
  EXPECT_EQ(r, (Ranges{{1, 3}, {10, 20}, {30, 30}}));
  EXPECT_TRUE(InRanges(r, 2));
  EXPECT_TRUE(InRanges(r, 20));
  EXPECT_FALSE(InRanges(r, 21));
  EXPECT_FALSE(InRanges(r, 0));
  EXPECT_TRUE(InRanges(r, 30));
  EXPECT_FALSE(InRanges(r, 31));
}

}  // namespace
}  // namespace edgeflow
