#include "analytics/ewma_detector.h"

#include <gtest/gtest.h>

#include "analytics/detector_methods.h"
#include "analytics/detector_test_util.h"

namespace edgeflow::analytics {
namespace {

using detector_testing::MaxScore;
using detector_testing::NoisyDaily;
using detector_testing::RunSeries;

std::shared_ptr<const DetectorFactory> Make(std::map<std::string, std::string> params = {}) {
  return detector_testing::MakeMethod("ewma", std::move(params));
}

TEST(EwmaDetector, FlagsAnInjectedLevelShiftAndNotTheNormalPart) {
  auto s = NoisyDaily(3000, 300, 100, 0, 2.0, 3);
  for (size_t i = 2000; i < s.values.size(); ++i) s.values[i] += 20;  // a 10-sigma shift
  const auto v = RunSeries(*Make(), s);
  EXPECT_GT(v[2000].score, 0.8);
  EXPECT_LT(MaxScore(v, 0, 2000), 0.5);
  EXPECT_NEAR(v[2000].expected, 100, 1.0);
  // The shift is absorbed: much later the new level is normal again.
  EXPECT_LT(v[2990].score, 0.5);
}

TEST(EwmaDetector, ScoreGrowsWithDeviation) {
  auto s = NoisyDaily(500, 60, 0, 0, 1.0, 5);
  auto d = Make()->Make({});
  for (double x : s.values) d->Update(0, x);
  auto d2 = Make()->Make({});
  for (double x : s.values) d2->Update(0, x);
  EXPECT_LT(d->Update(0, 3).score, d2->Update(0, 6).score);
}

TEST(EwmaDetector, WarmUpThenScores) {
  auto s = NoisyDaily(40, 60, 10, 0, 1.0, 2);
  const auto v = RunSeries(*Make({{"min_samples", "5"}}), s);
  for (size_t i = 0; i < 5; ++i) EXPECT_TRUE(v[i].warming_up);
  EXPECT_FALSE(v[5].warming_up);
}

TEST(EwmaDetector, RejectsAlphaOutOfRange) {
  EXPECT_FALSE(MakeDetectorFactory("ewma", MethodParams(Params{{"alpha", "0"}})).ok());
  EXPECT_FALSE(MakeDetectorFactory("ewma", MethodParams(Params{{"alpha", "x"}})).ok());
}

}  // namespace
}  // namespace edgeflow::analytics
