#include "connectors/sim/fault_scenario.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace edgeflow::sim {
namespace {

constexpr int kVibration = 1;
constexpr int kTemperature = 0;

TEST(FaultScenarioTest, NamesRoundTrip) {
  for (const std::string& name : FaultKindNames()) {
    auto kind = ParseFaultKind(name);
    ASSERT_TRUE(kind) << name;
    EXPECT_EQ(FaultKindNames()[static_cast<size_t>(*kind)], name);
  }
  EXPECT_FALSE(ParseFaultKind("bearing"));
  EXPECT_EQ(DefaultFaultField(FaultKind::kBearingWear), "vibration_rms");
  EXPECT_EQ(DefaultFaultField(FaultKind::kOverheating), "temperature_f");
  EXPECT_EQ(DefaultFaultField(FaultKind::kCommsLoss), "");
}

TEST(FaultScenarioTest, ActiveBetweenStartAndStartPlusDuration) {
  FaultSpec f;
  f.start = 10;
  EXPECT_FALSE(f.ActiveAt(9));
  EXPECT_TRUE(f.ActiveAt(10));
  EXPECT_TRUE(f.ActiveAt(1'000'000'000));
  f.duration = 5;
  EXPECT_TRUE(f.ActiveAt(14));
  EXPECT_FALSE(f.ActiveAt(15));
}

TEST(FaultScenarioTest, BearingWearRampsVibrationAndTemperature) {
  FaultSpec f;
  f.kind = FaultKind::kBearingWear;
  f.field = kVibration;
  f.secondary_field = kTemperature;
  f.start = kMicrosPerMinute;
  f.ramp = 4 * kMicrosPerMinute;
  f.factor = 5;
  f.temperature_rise = 8;
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kVibration, 0.3, 0), 0.3);
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kVibration, 0.3, kMicrosPerMinute), 0.3);
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kVibration, 0.3, 3 * kMicrosPerMinute), 0.3 * 3);  // halfway
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kVibration, 0.3, 5 * kMicrosPerMinute), 0.3 * 5);
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kVibration, 0.3, kMicrosPerHour), 0.3 * 5);  // stays worn
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kTemperature, 160, 3 * kMicrosPerMinute), 164);
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kTemperature, 160, kMicrosPerHour), 168);
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, 2, 101, kMicrosPerHour), 101);  // other fields untouched
}

TEST(FaultScenarioTest, OverheatingClimbsLinearlyUpToMaxRise) {
  FaultSpec f;
  f.kind = FaultKind::kOverheating;
  f.field = kTemperature;
  f.start = 30 * kMicrosPerSecond;
  f.rate_per_hour = 120;  // 2 per minute
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kTemperature, 160, 0), 160);
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kTemperature, 160, 90 * kMicrosPerSecond), 162);
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kTemperature, 160, 630 * kMicrosPerSecond), 180);
  f.max_rise = 15;
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kTemperature, 160, 630 * kMicrosPerSecond), 175);
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kVibration, 0.3, 630 * kMicrosPerSecond), 0.3);
}

TEST(FaultScenarioTest, DriftFaultAddsAGrowingBias) {
  FaultSpec f;
  f.kind = FaultKind::kDriftFault;
  f.field = kTemperature;
  f.rate_per_hour = 3;
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kTemperature, 50, 0), 50);
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kTemperature, 50, 2 * kMicrosPerHour), 56);
  f.duration = kMicrosPerHour;  // recalibrated after an hour
  EXPECT_DOUBLE_EQ(ApplyValueFault(f, kTemperature, 50, 2 * kMicrosPerHour), 50);
}

TEST(FaultScenarioTest, SensorStuckHoldsTheLastValueBeforeStart) {
  FaultSpec f;
  f.kind = FaultKind::kSensorStuck;
  f.start = 3;
  f.duration = 3;
  FaultState state;
  EXPECT_EQ(ApplyStuck(f, state, 10, 0), 10);
  EXPECT_EQ(ApplyStuck(f, state, 11, 1), 11);
  EXPECT_EQ(ApplyStuck(f, state, 12, 2), 12);
  EXPECT_EQ(ApplyStuck(f, state, 13, 3), 12);
  EXPECT_EQ(ApplyStuck(f, state, 14, 5), 12);
  EXPECT_EQ(ApplyStuck(f, state, 15, 6), 15);  // unstuck

  FaultSpec from_start;
  from_start.kind = FaultKind::kSensorStuck;
  FaultState fresh;
  EXPECT_EQ(ApplyStuck(from_start, fresh, 7, 0), 7);
  EXPECT_EQ(ApplyStuck(from_start, fresh, 8, 1), 7);
}

TEST(FaultScenarioTest, GlitchReplacesValuesWithGarbageAtItsRate) {
  FaultSpec f;
  f.kind = FaultKind::kGlitch;
  f.probability = 0.1;
  int glitches = 0;
  for (uint64_t i = 0; i < 20000; ++i) {
    const double v = ApplyGlitch(f, 77, i, 160, 0);
    if (v == 160) continue;
    ++glitches;
    ASSERT_NE(std::find(f.values.begin(), f.values.end(), v), f.values.end()) << v;
  }
  EXPECT_NEAR(glitches, 2000, 150);
  // Deterministic per (stream, index).
  for (uint64_t i = 0; i < 100; ++i)
    EXPECT_EQ(ApplyGlitch(f, 77, i, 1, 0), ApplyGlitch(f, 77, i, 1, 0));
  f.start = 10;
  for (uint64_t i = 0; i < 1000; ++i) ASSERT_EQ(ApplyGlitch(f, 77, i, 160, 9), 160);
}

}  // namespace
}  // namespace edgeflow::sim
