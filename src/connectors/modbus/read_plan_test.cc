#include "connectors/modbus/read_plan.h"

#include <gtest/gtest.h>

namespace edgeflow {
namespace {

constexpr ModbusTable kHr = ModbusTable::kHolding;
constexpr ModbusTable kIr = ModbusTable::kInput;
constexpr ModbusTable kCoil = ModbusTable::kCoil;

ReadPlanLimits Gap(int gap) {
  ReadPlanLimits l;
  l.max_gap = gap;
  return l;
}

TEST(ReadPlanTest, AdjacentRegistersShareARequest) {
  // int16 at 0, uint32 at 1-2, float32 at 3-4, one more at 10.
  const std::vector<RegisterLocation> regs = {
      {kHr, 3, 2}, {kHr, 0, 1}, {kHr, 1, 2}, {kHr, 10, 1}};
  const std::vector<ReadRequest> plan = PlanReads(regs, Gap(0));
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0], (ReadRequest{kHr, 0, 5, {1, 2, 0}}));
  EXPECT_EQ(plan[1], (ReadRequest{kHr, 10, 1, {3}}));
}

TEST(ReadPlanTest, MaxGapBridgesUnusedAddresses) {
  const std::vector<RegisterLocation> regs = {{kHr, 0, 1}, {kHr, 4, 2}, {kHr, 10, 1}};
  EXPECT_EQ(PlanReads(regs, Gap(0)).size(), 3u);
  const std::vector<ReadRequest> gap3 = PlanReads(regs, Gap(3));
  ASSERT_EQ(gap3.size(), 2u);
  EXPECT_EQ(gap3[0], (ReadRequest{kHr, 0, 6, {0, 1}}));
  EXPECT_EQ(gap3[1], (ReadRequest{kHr, 10, 1, {2}}));
  const std::vector<ReadRequest> gap4 = PlanReads(regs, Gap(4));
  ASSERT_EQ(gap4.size(), 1u);
  EXPECT_EQ(gap4[0], (ReadRequest{kHr, 0, 11, {0, 1, 2}}));
}

TEST(ReadPlanTest, TablesAreNeverMixed) {
  const std::vector<RegisterLocation> regs = {{kIr, 0, 2}, {kHr, 0, 1}, {kCoil, 0, 1},
                                              {kCoil, 1, 1}, {kHr, 1, 1}};
  const std::vector<ReadRequest> plan = PlanReads(regs, Gap(10));
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0], (ReadRequest{kHr, 0, 2, {1, 4}}));
  EXPECT_EQ(plan[1], (ReadRequest{kIr, 0, 2, {0}}));
  EXPECT_EQ(plan[2], (ReadRequest{kCoil, 0, 2, {2, 3}}));
}

TEST(ReadPlanTest, RespectsTheProtocolLimits) {
  // 130 adjacent registers need two reads of at most 125.
  std::vector<RegisterLocation> regs;
  for (int a = 0; a < 130; ++a) regs.push_back({kHr, a, 1});
  std::vector<ReadRequest> plan = PlanReads(regs, Gap(0));
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].start, 0);
  EXPECT_EQ(plan[0].count, 125);
  EXPECT_EQ(plan[1].start, 125);
  EXPECT_EQ(plan[1].count, 5);
  // A 32-bit value is never split across two requests.
  regs = {{kHr, 0, 1}, {kHr, 124, 2}};
  plan = PlanReads(regs, Gap(124));
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[1], (ReadRequest{kHr, 124, 2, {1}}));
  // Bits allow 2000 per read.
  regs = {{kCoil, 0, 1}, {kCoil, 1999, 1}, {kCoil, 2000, 1}};
  ReadPlanLimits wide = Gap(2000);
  plan = PlanReads(regs, wide);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].count, 2000);
}

TEST(ReadPlanTest, OverlappingRegistersAreReadOnce) {
  // The same registers under two names (e.g. raw and scaled).
  const std::vector<RegisterLocation> regs = {{kHr, 5, 2}, {kHr, 5, 1}, {kHr, 6, 1}};
  const std::vector<ReadRequest> plan = PlanReads(regs, Gap(0));
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].start, 5);
  EXPECT_EQ(plan[0].count, 2);
  EXPECT_EQ(plan[0].members.size(), 3u);
}

TEST(ReadPlanTest, EmptyMapNeedsNoRequests) {
  EXPECT_TRUE(PlanReads({}, Gap(0)).empty());
}

}  // namespace
}  // namespace edgeflow
