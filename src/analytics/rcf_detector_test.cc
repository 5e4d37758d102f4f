#include "analytics/rcf_detector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace edgeflow::analytics {
namespace {

// A daily-like cycle with a little deterministic jitter.
double Normal(int i) { return 50.0 + 20.0 * std::sin(i * 2.0 * M_PI / 96.0) + ((i * 7919) % 13) * 0.1; }

RcfParams SmallForest() {
  RcfParams p;
  p.shingle = 4;
  p.trees = 10;
  p.sample_size = 64;
  return p;
}

std::vector<double> ScoresOf(const RcfParams& p, uint64_t seed, const std::vector<double>& values) {
  SeriesInfo info{0.0, 100.0, seed};
  auto d = RcfFactory(p).Make(info);
  std::vector<double> scores;
  for (size_t i = 0; i < values.size(); ++i) scores.push_back(d->Update(static_cast<int64_t>(i), values[i]).score);
  return scores;
}

TEST(RcfDetectorTest, SameSeedSameScoresOtherSeedDiffers) {
  std::vector<double> values;
  for (int i = 0; i < 2000; ++i) values.push_back(Normal(i));
  const auto a = ScoresOf(SmallForest(), 7, values);
  const auto b = ScoresOf(SmallForest(), 7, values);
  const auto c = ScoresOf(SmallForest(), 8, values);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(RcfDetectorTest, WarmsUpThenScoresInUnitRange) {
  const RcfParams p = SmallForest();
  auto d = RcfFactory(p).Make(SeriesInfo{0.0, 100.0, 1});
  int warming = 0;
  for (int i = 0; i < 1000; ++i) {
    const Verdict v = d->Update(i, Normal(i));
    if (v.warming_up) {
      ++warming;
      EXPECT_EQ(v.score, 0.0);
    }
    EXPECT_GE(v.score, 0.0);
    EXPECT_LE(v.score, 1.0);
  }
  EXPECT_EQ(warming, p.shingle + p.sample_size - 1);
}

TEST(RcfDetectorTest, SpikeScoresAboveEveryNormalPoint) {
  std::vector<double> values;
  for (int i = 0; i < 3000; ++i) values.push_back(Normal(i));
  values[2500] = 98.0;
  const auto scores = ScoresOf(SmallForest(), 3, values);
  const double normal_max = *std::max_element(scores.begin() + 1000, scores.begin() + 2500);
  EXPECT_GT(scores[2500], normal_max);
}

TEST(RcfDetectorTest, LevelShiftScoresAboveNormal) {
  std::vector<double> values;
  for (int i = 0; i < 3000; ++i) values.push_back(Normal(i) + (i >= 2500 ? 25.0 : 0.0));
  const auto scores = ScoresOf(SmallForest(), 3, values);
  const double normal_max = *std::max_element(scores.begin() + 1000, scores.begin() + 2500);
  const double shift_max = *std::max_element(scores.begin() + 2500, scores.begin() + 2510);
  EXPECT_GT(shift_max, normal_max);
}

TEST(RcfDetectorTest, StateBytesBoundedAfter100kPoints) {
  RcfParams p = SmallForest();
  p.trees = 2;
  auto d = RcfFactory(p).Make(SeriesInfo{});  // range unknown: raw values
  for (int i = 0; i < 1000; ++i) d->Update(i, Normal(i));
  const size_t early = d->StateBytes();
  for (int i = 1000; i < 100000; ++i) d->Update(i, Normal(i) + (i % 977 == 0 ? 500.0 : 0.0));
  EXPECT_EQ(d->StateBytes(), early);
  // Documented bound: per tree 2*sample nodes of (2*shingle floats + 24 B)
  // plus 24 B per sample slot (key, leaf, heap and free-list entries), plus
  // small fixed parts.
  const size_t per_tree = 2 * p.sample_size * (2 * p.shingle * 4 + 24) + p.sample_size * 24 + 256;
  EXPECT_LE(d->StateBytes(), p.trees * per_tree + 512);
}

TEST(RcfDetectorTest, NonFiniteValuesAreSkipped) {
  const RcfParams p = SmallForest();
  std::vector<double> values;
  for (int i = 0; i < 1500; ++i) values.push_back(Normal(i));
  const auto clean = ScoresOf(p, 5, values);
  auto d = RcfFactory(p).Make(SeriesInfo{0.0, 100.0, 5});
  std::vector<double> scores;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i == 700) {
      EXPECT_EQ(d->Update(0, std::numeric_limits<double>::quiet_NaN()).score, 0.0);
      EXPECT_EQ(d->Update(0, std::numeric_limits<double>::infinity()).score, 0.0);
    }
    scores.push_back(d->Update(static_cast<int64_t>(i), values[i]).score);
  }
  EXPECT_EQ(scores, clean);
}

}  // namespace
}  // namespace edgeflow::analytics
