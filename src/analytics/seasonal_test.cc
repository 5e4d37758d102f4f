#include "analytics/seasonal.h"

#include <gtest/gtest.h>

#include "analytics/detector_methods.h"
#include "analytics/detector_test_util.h"

namespace edgeflow::analytics {
namespace {

using detector_testing::MaxScore;
using detector_testing::NoisyDaily;
using detector_testing::RunSeries;
using detector_testing::Series;

std::shared_ptr<const DetectorFactory> Make(std::map<std::string, std::string> params = {}) {
  return detector_testing::MakeMethod("seasonal", std::move(params));
}

TEST(Seasonal, FlagsAValueNormalForTheDayButWrongForTheHour) {
  // Daily sine 100 +- 50, noise 2, every 10 minutes for 10 days.
  Series s = NoisyDaily(1440, 600, 100, 50, 2.0, 9);
  // Day 8, 06:00 (the daily peak ~150): a trough value, normal at 18:00.
  const size_t at = 8 * 144 + 36;
  s.values[at] = 55;
  const auto v = RunSeries(*Make({{"bins", "48"}}), s);
  EXPECT_GT(v[at].score, 0.8);
  EXPECT_LT(MaxScore(v, 3 * 144, at), 0.5);  // after the first days, normal rows stay low
  // A plain z-score over the whole day cannot tell: 55 is within the daily range.
  EXPECT_GT(s.values[at], 40);
}

TEST(Seasonal, CopesWithGapsAndIrregularSteps) {
  Series s;
  std::mt19937 rng(4);
  std::uniform_int_distribution<int64_t> step(60, 1800);  // 1 to 30 minutes
  std::normal_distribution<double> noise(0, 1);
  int64_t t = 0;
  for (int i = 0; i < 4000; ++i) {
    t += step(rng);
    if (i == 2000) t += 2 * 86400;  // a two-day gap
    s.times_us.push_back(t * 1'000'000);
    s.values.push_back(20 + 10 * std::sin(2 * M_PI * static_cast<double>(t) / 86400) + noise(rng));
  }
  s.values[3500] += 15;
  const auto v = RunSeries(*Make(), s);
  EXPECT_GT(v[3500].score, 0.8);
  EXPECT_LT(MaxScore(v, 1000, 3500), 0.6);  // including right after the gap
}

TEST(Seasonal, WarmsUpForOnePeriod) {
  Series s = NoisyDaily(300, 600, 10, 1, 0.1, 1);  // 50 hours
  const auto v = RunSeries(*Make(), s);
  EXPECT_TRUE(v[100].warming_up);   // < 1 day
  EXPECT_FALSE(v[150].warming_up);  // 25 h
}

TEST(Seasonal, ParsesPeriods) {
  int64_t us = 0;
  EXPECT_TRUE(ParsePeriod("1d", &us));
  EXPECT_EQ(us, 86'400'000'000);
  EXPECT_TRUE(ParsePeriod("7d", &us));
  EXPECT_EQ(us, 7 * 86'400'000'000LL);
  EXPECT_TRUE(ParsePeriod("3600", &us));
  EXPECT_EQ(us, 3'600'000'000);
  EXPECT_FALSE(ParsePeriod("1y", &us));
  EXPECT_FALSE(ParsePeriod("0", &us));
  EXPECT_FALSE(MakeDetectorFactory("seasonal", MethodParams(Params{{"period", "soon"}})).ok());
}

}  // namespace
}  // namespace edgeflow::analytics
