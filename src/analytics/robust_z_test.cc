#include "analytics/robust_z.h"

#include <gtest/gtest.h>

#include "analytics/detector_methods.h"
#include "analytics/detector_test_util.h"

namespace edgeflow::analytics {
namespace {

using detector_testing::MaxScore;
using detector_testing::NoisyDaily;
using detector_testing::RunSeries;

std::shared_ptr<const DetectorFactory> Make(std::map<std::string, std::string> params = {}) {
  return detector_testing::MakeMethod("robust_z", std::move(params));
}

TEST(RobustZ, FlagsAnInjectedSpikeAndNotTheNormalPart) {
  auto s = NoisyDaily(2000, 300, 50, 0, 1.0, 7);  // flat level, noise sigma 1
  s.values[1500] += 12;                            // a 12-sigma spike
  const auto v = RunSeries(*Make(), s);
  EXPECT_GT(v[1500].score, 0.8);
  EXPECT_LT(MaxScore(v, 0, 1500), 0.5);
  EXPECT_NEAR(v[1500].expected, 50, 0.5);
  EXPECT_DOUBLE_EQ(v[1500].deviation, s.values[1500] - v[1500].expected);
  EXPECT_GT(v[1500].deviation, 8);
}

TEST(RobustZ, WarmsUpForMinSamples) {
  auto s = NoisyDaily(30, 60, 10, 0, 1.0, 1);
  const auto v = RunSeries(*Make({{"min_samples", "10"}}), s);
  for (size_t i = 0; i < 10; ++i) EXPECT_TRUE(v[i].warming_up) << i;
  EXPECT_FALSE(v[10].warming_up);
  EXPECT_EQ(v[0].score, 0.0);
}

TEST(RobustZ, MedianAndMadAreRobustToOutliersInTheWindow) {
  // A window of 0..9 with two huge outliers: median/MAD barely move.
  auto f = Make({{"window", "11"}, {"min_samples", "11"}, {"min_spread", "0"}});
  auto d = f->Make({});
  for (double x : {0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1e6, -1e6}) d->Update(0, x);
  const Verdict v = d->Update(0, 4.0);
  EXPECT_DOUBLE_EQ(v.expected, 4.0);  // median of the 11 values
  EXPECT_LT(v.score, 0.01);
}

TEST(RobustZ, FlatSeriesUsesTheRangeFloorNotInfinity) {
  detector_testing::Series s;
  for (int i = 0; i < 200; ++i) {
    s.times_us.push_back(i);
    s.values.push_back(5.0);
  }
  s.values[150] = 5.001;  // tiny wiggle on a flat line, range 10
  SeriesInfo info;
  info.min = 0;
  info.max = 10;
  const auto v = RunSeries(*Make(), s, info);
  EXPECT_LT(v[150].score, 0.01);
  EXPECT_EQ(MaxScore(v, 0, 150), 0.0);
}

TEST(RobustZ, StateIsBoundedByTheWindow) {
  auto d = Make({{"window", "50"}})->Make({});
  const size_t before = d->StateBytes();
  for (int i = 0; i < 10000; ++i) d->Update(i, i % 7);
  EXPECT_EQ(d->StateBytes(), before);
}

TEST(RobustZ, RejectsBadParameters) {
  auto bad = MakeDetectorFactory("robust_z", MethodParams(Params{{"window", "1"}, {"bogus", "3"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("window"), std::string::npos);
  EXPECT_NE(bad.status().message().find("bogus: unknown parameter"), std::string::npos);
}

}  // namespace
}  // namespace edgeflow::analytics
