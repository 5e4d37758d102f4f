#include "stages/features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <optional>
#include <string>
#include <utility>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

std::string SineText(double amplitude, double freq, size_t n) {
  std::string text = "[";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(amplitude * std::sin(2 * std::numbers::pi * freq * static_cast<double>(i) / 1000.0));
  }
  return text + "]";
}

class FeaturesTest : public ::testing::Test {
 protected:
  Batch Run(const std::string& yaml, const std::optional<std::string>& wave) {
    stage_ = h_.BuildStage(FeaturesStageDef(), yaml);
    EXPECT_TRUE(stage_) << h_.errors();
    Batch b;
    Event& e = b.Append();
    e.device = Symbol::Intern("m1");
    if (wave) e.SetString(Symbol::Intern("wave"), *wave);
    CollectingEmitter out;
    if (stage_) stage_->Process(b, out);
    return std::move(out.main());
  }
  TestHarness h_;
  std::unique_ptr<Stage> stage_;
};

TEST_F(FeaturesTest, SineWaveform) {
  // 125 Hz at 1 kHz: 8 samples per period, one of them on the peak.
  const Batch out = Run("{ field: wave, features: [rms, crest, band_energy], sample_rate: 1000, "
                        "bands: { b125: [115, 135], rest: [135, 500] } }",
                        SineText(3.0, 125, 1000));
  ASSERT_EQ(out.size(), 1u);
  const Event& e = out[0];
  // std::to_string keeps 6 decimals: allow for that rounding.
  EXPECT_NEAR(*e.Number(Symbol::Intern("wave_rms")), 3.0 / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(*e.Number(Symbol::Intern("wave_crest")), std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(*e.Number(Symbol::Intern("wave_band_b125")), 4.5, 1e-4);
  EXPECT_NEAR(*e.Number(Symbol::Intern("wave_band_rest")), 0.0, 1e-5);
  EXPECT_FALSE(e.Number(Symbol::Intern("wave_kurtosis")));
}

TEST_F(FeaturesTest, AcceptsSeparatorsAndPrefix) {
  const Batch out = Run("{ field: wave, features: [peak, p2p, zcr], prefix: v }", "1; -2 3,-4");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].Number(Symbol::Intern("v_peak")), 4.0);
  EXPECT_EQ(out[0].Number(Symbol::Intern("v_peak_to_peak")), 7.0);
  EXPECT_EQ(out[0].Number(Symbol::Intern("v_zcr")), 1.0);
}

TEST_F(FeaturesTest, MalformedAndMissingWaveformsPassThroughCounted) {
  for (const char* bad : {"[1, 2, x]", "[1, 2", "1,,2]", "", "1e999"}) {
    const Batch out = Run("{ field: wave }", std::string(bad));
    ASSERT_EQ(out.size(), 1u) << bad;
    EXPECT_FALSE(out[0].Number(Symbol::Intern("wave_rms"))) << bad;
  }
  EXPECT_EQ(h_.metrics().CounterTotal("errors"), 5u);
  const Batch none = Run("{ field: wave }", std::nullopt);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(h_.metrics().CounterTotal("features_missing_field"), 1u);
}

TEST_F(FeaturesTest, TruncatesAtMaxSamples) {
  const Batch out = Run("{ field: wave, features: [peak], max_samples: 3 }", "1 2 3 4 5");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].Number(Symbol::Intern("wave_peak")), 3.0);
  EXPECT_EQ(h_.metrics().CounterTotal("features_samples_over_cap"), 1u);
}

TEST_F(FeaturesTest, ConfigErrors) {
  EXPECT_FALSE(h_.BuildStage(FeaturesStageDef(), "{ field: wave, features: [rmss] }"));
  EXPECT_NE(h_.errors().find("did you mean 'rms'"), std::string::npos) << h_.errors();
  TestHarness h2;
  EXPECT_FALSE(h2.BuildStage(FeaturesStageDef(), "{ field: wave, features: [band_energy], bands: { a: [0, 1] } }"));
  EXPECT_NE(h2.errors().find("sample_rate"), std::string::npos) << h2.errors();
}

}  // namespace
}  // namespace edgeflow
