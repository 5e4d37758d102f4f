// Signal aggregates of the window stage (rms, crest, kurtosis, band_energy...).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "pipeline/test_harness.h"
#include "stages/window.h"

namespace edgeflow {
namespace {

constexpr TimeMicros kT0 = 1'700'000'000LL * kMicrosPerSecond;

// `n` samples of A*sin(2*pi*f*t) at 1 kHz, one event each, in `order`.
Batch SineEvents(double amplitude, double freq, size_t n, bool reversed = false) {
  Batch b;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = reversed ? n - 1 - k : k;
    Event& e = b.Append();
    e.device = Symbol::Intern("pump");
    e.time = kT0 + static_cast<TimeMicros>(i) * 1000;
    e.SetDouble(Symbol::Intern("accel"),
                amplitude * std::sin(2 * std::numbers::pi * freq * static_cast<double>(i) / 1000.0));
  }
  return b;
}

double Get(const Event& e, const char* name) {
  const auto v = e.Number(Symbol::Intern(name));
  EXPECT_TRUE(v) << name;
  return v.value_or(std::nan(""));
}

TEST(WindowSignalTest, SineFeaturesOverOneWindow) {
  TestHarness h;
  auto stage = h.BuildStage(WindowStageDef(),
                            "{ size: 1s, aggregate: { accel: [mean, rms, peak, peak_to_peak, crest, kurtosis, "
                            "skewness, zcr, band_energy] }, sample_rate: 1000, "
                            "bands: { low: [0, 40], f50: [40, 60], high: [60, 500] } }");
  ASSERT_TRUE(stage) << h.errors();
  // Out of order arrival: signal features use time order.
  Batch in = SineEvents(2.0, 50, 1000, /*reversed=*/true);
  CollectingEmitter out;
  stage->Process(in, out);
  stage->Flush(out);
  ASSERT_EQ(out.main().size(), 1u);
  const Event& r = out.main()[0];
  EXPECT_NEAR(Get(r, "accel_rms"), 2.0 / std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(Get(r, "accel_peak"), 2.0, 1e-9);
  EXPECT_NEAR(Get(r, "accel_peak_to_peak"), 4.0, 1e-9);
  EXPECT_NEAR(Get(r, "accel_crest"), std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(Get(r, "accel_kurtosis"), -1.5, 1e-6);
  EXPECT_NEAR(Get(r, "accel_skewness"), 0.0, 1e-6);
  EXPECT_NEAR(Get(r, "accel_zcr"), 100.0 / 999.0, 2.0 / 999.0);
  EXPECT_NEAR(Get(r, "accel_band_f50"), 2.0, 1e-4);  // A^2 / 2
  EXPECT_NEAR(Get(r, "accel_band_low"), 0.0, 1e-5);
  EXPECT_NEAR(Get(r, "accel_band_high"), 0.0, 1e-5);
  EXPECT_NEAR(Get(r, "accel_mean"), 0.0, 1e-9);
}

TEST(WindowSignalTest, SampleCapIsCountedAndOtherAggregatesSeeEverything) {
  TestHarness h;
  auto stage = h.BuildStage(WindowStageDef(),
                            "{ size: 1s, aggregate: { accel: [max, rms] }, max_samples_per_window: 250 }");
  ASSERT_TRUE(stage) << h.errors();
  Batch in = SineEvents(1.0, 50, 1000);
  CollectingEmitter out;
  stage->Process(in, out);
  stage->Flush(out);
  ASSERT_EQ(out.main().size(), 1u);
  EXPECT_EQ(h.metrics().CounterTotal("window_samples_over_cap"), 750u);
  EXPECT_EQ(out.main()[0].Number(Symbol::Intern("count")), 1000.0);
  // 250 samples = 12.5 periods: still close to 1/sqrt(2).
  EXPECT_NEAR(Get(out.main()[0], "accel_rms"), 1 / std::sqrt(2.0), 0.02);
}

TEST(WindowSignalTest, SessionMergeKeepsSamples) {
  TestHarness h;
  auto stage = h.BuildStage(WindowStageDef(), "{ type: session, gap: 100ms, aggregate: { accel: [rms] } }");
  ASSERT_TRUE(stage) << h.errors();
  // Two sessions, then the event that bridges them.
  Batch in;
  for (TimeMicros t : {0, 50, 220, 260, 130}) {
    Event& e = in.Append();
    e.device = Symbol::Intern("pump");
    e.time = kT0 + t * 1000;
    e.SetDouble(Symbol::Intern("accel"), t == 130 ? 3.0 : 1.0);  // bridges the two sessions
  }
  CollectingEmitter out;
  stage->Process(in, out);
  stage->Flush(out);
  ASSERT_EQ(out.main().size(), 1u);
  EXPECT_NEAR(Get(out.main()[0], "accel_rms"), std::sqrt((4 * 1.0 + 9.0) / 5), 1e-12);
}

TEST(WindowSignalTest, ConfigErrors) {
  TestHarness h;
  EXPECT_FALSE(h.BuildStage(WindowStageDef(), "{ size: 1s, aggregate: { accel: [band_energy] } }"));
  EXPECT_NE(h.errors().find("sample_rate"), std::string::npos) << h.errors();
  TestHarness h2;
  EXPECT_FALSE(h2.BuildStage(WindowStageDef(),
                             "{ size: 1s, aggregate: { accel: [band_energy] }, sample_rate: 100, bands: { a: [50, 10] } }"));
  EXPECT_NE(h2.errors().find("0 <= low_hz < high_hz"), std::string::npos) << h2.errors();
  TestHarness h3;
  EXPECT_FALSE(h3.BuildStage(WindowStageDef(), "{ size: 1s, aggregate: { accel: [mean] }, sample_rate: 100 }"));
  EXPECT_NE(h3.errors().find("only used with signal aggregates"), std::string::npos) << h3.errors();
  TestHarness h4;
  EXPECT_FALSE(h4.BuildStage(WindowStageDef(), "{ size: 1s, aggregate: { accel: [kurtosiss] } }"));
  EXPECT_NE(h4.errors().find("did you mean 'kurtosis'"), std::string::npos) << h4.errors();
}

}  // namespace
}  // namespace edgeflow
