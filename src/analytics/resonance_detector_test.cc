#include "analytics/resonance_detector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace edgeflow::analytics {
namespace {

// A daily-like cycle (288 points, like a day of 5-minute samples) with a
// little deterministic jitter.
double Normal(int i) { return 50.0 + 20.0 * std::sin(i * 2.0 * M_PI / 288.0) + ((i * 7919) % 11) * 0.05; }

std::vector<double> ScoresOf(const std::vector<double>& values, SeriesInfo info = SeriesInfo{0.0, 100.0, 0}) {
  auto d = ResonanceFactory(ResonanceParams{}).Make(info);
  std::vector<double> scores;
  for (size_t i = 0; i < values.size(); ++i) scores.push_back(d->Update(static_cast<int64_t>(i), values[i]).score);
  return scores;
}

TEST(ResonanceDetectorTest, SameInputSameScores) {
  std::vector<double> values;
  for (int i = 0; i < 4000; ++i) values.push_back(Normal(i) + (i == 3000 ? 30.0 : 0.0));
  EXPECT_EQ(ScoresOf(values), ScoresOf(values));
}

// One detector (scales 1, phases 1): the original single-scale resonance.
ResonanceParams SingleScale() {
  ResonanceParams p;
  p.scales = 1;
  p.phases = 1;
  p.votes = 1;
  return p;
}

TEST(ResonanceDetectorTest, WarmUpLastsWarmupBlocks) {
  const ResonanceParams p = SingleScale();
  auto d = ResonanceFactory(p).Make(SeriesInfo{0.0, 100.0, 0});
  int warming = 0;
  for (int i = 0; i < 2000; ++i) {
    const Verdict v = d->Update(i, Normal(i));
    if (v.warming_up) ++warming;
    EXPECT_GE(v.score, 0.0);
    EXPECT_LE(v.score, 1.0);
  }
  // The block that ends the warm-up is still a warm-up block.
  EXPECT_EQ(warming, p.warmup_blocks * p.block);
}

// An injected spike is flagged, and scored above anything in the normal part
// after warm-up (which is learned and stays silent).
TEST(ResonanceDetectorTest, SpikeIsFlaggedNormalPartIsNot) {
  std::vector<double> values;
  for (int i = 0; i < 4000; ++i) values.push_back(Normal(i));
  for (int i = 3000; i < 3004; ++i) values[i] += 35.0;
  const auto scores = ScoresOf(values);
  const double normal_max = *std::max_element(scores.begin() + 1500, scores.begin() + 3000);
  const double spike_max = *std::max_element(scores.begin() + 3000, scores.begin() + 3048);
  EXPECT_GT(spike_max, 0.0);
  EXPECT_GT(spike_max, normal_max);
}

TEST(ResonanceDetectorTest, LevelShiftIsFlagged) {
  std::vector<double> values;
  for (int i = 0; i < 4000; ++i) values.push_back(Normal(i) + (i >= 3000 ? 20.0 : 0.0));
  const auto scores = ScoresOf(values);
  const double normal_max = *std::max_element(scores.begin() + 1500, scores.begin() + 3000);
  const double shift_max = *std::max_element(scores.begin() + 3000, scores.begin() + 3100);
  EXPECT_GT(shift_max, normal_max);
}

TEST(ResonanceDetectorTest, WorksWithoutDeclaredRange) {
  std::vector<double> values;
  for (int i = 0; i < 4000; ++i) values.push_back(Normal(i));
  for (int i = 3000; i < 3004; ++i) values[i] += 35.0;
  const auto scores = ScoresOf(values, SeriesInfo{});
  EXPECT_GT(*std::max_element(scores.begin() + 3000, scores.begin() + 3048), 0.0);
}

// Noise forces the category memory to fill up; it then recycles categories
// instead of growing.
TEST(ResonanceDetectorTest, StateBytesBoundedAfter100kPoints) {
  ResonanceParams p = SingleScale();
  p.max_categories = 20;  // fills early; keeps the test fast
  auto d = ResonanceFactory(p).Make(SeriesInfo{0.0, 1.0, 0});
  uint64_t x = 12345;
  auto noise = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(x >> 11) * 0x1.0p-53;
  };
  for (int i = 0; i < 1000; ++i) d->Update(i, noise());
  const size_t after_warmup = d->StateBytes();
  for (int i = 1000; i < 100000; ++i) d->Update(i, noise());
  EXPECT_EQ(d->StateBytes(), after_warmup);
  // Documented bound: per category 4*window float weights + norm + last-use
  // stamp, plus the novelty history and fixed parts.
  const size_t bound = p.max_categories * (4 * p.window * 4 + 8) + p.history_blocks * 4 + 1024;
  EXPECT_LE(d->StateBytes(), bound);
}

TEST(ResonanceDetectorTest, NonFiniteValuesAreSkipped) {
  std::vector<double> values;
  for (int i = 0; i < 2000; ++i) values.push_back(Normal(i));
  const auto clean = ScoresOf(values);
  auto d = ResonanceFactory(ResonanceParams{}).Make(SeriesInfo{0.0, 100.0, 0});
  std::vector<double> scores;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i == 900) {
      EXPECT_EQ(d->Update(0, std::numeric_limits<double>::quiet_NaN()).score, 0.0);
    }
    scores.push_back(d->Update(static_cast<int64_t>(i), values[i]).score);
  }
  EXPECT_EQ(scores, clean);
}

TEST(FuzzyArtTest, IdenticalInputResonatesDifferentInputCreates) {
  FuzzyArt art(2, 4, 0.9, 0.001);
  const float a[4] = {0.1f, 0.2f, 0.9f, 0.8f};
  const float b[4] = {0.9f, 0.9f, 0.1f, 0.1f};
  EXPECT_TRUE(art.Learn(a).created);
  const FuzzyArt::Result again = art.Learn(a);
  EXPECT_FALSE(again.created);
  EXPECT_NEAR(again.best_match, 1.0, 1e-6);
  EXPECT_TRUE(art.Learn(b).created);
  EXPECT_EQ(art.categories(), 2);
}

// Several time scales: a spike every scale sees is flagged once (not once
// per scale), and a detection needs `votes` scales to agree, so more votes
// flag no more.
TEST(ResonanceDetectorTest, MultiScaleFlagsTheSpikeOnceAndVotesOnlyRemove) {
  std::vector<double> values;
  for (int i = 0; i < 4000; ++i) values.push_back(Normal(i));
  for (int i = 3000; i < 3012; ++i) values[i] += 35.0;  // long enough for every block size
  auto run = [&](int scales, int votes) {
    ResonanceParams p;
    p.scales = scales;
    p.phases = 1;
    p.votes = votes;
    auto d = ResonanceFactory(p).Make(SeriesInfo{0.0, 100.0, 0});
    std::vector<int> flagged;
    for (int i = 0; i < 4000; ++i) {
      const Verdict v = d->Update(i, values[i]);
      EXPECT_GE(v.score, 0.0);
      EXPECT_LE(v.score, 1.0);
      if (v.score > 0.0) flagged.push_back(i);
    }
    return flagged;
  };
  const std::vector<int> one_vote = run(3, 1);
  const std::vector<int> two_votes = run(3, 2);
  const auto near_spike = [](const std::vector<int>& f) {
    return std::count_if(f.begin(), f.end(), [](int i) { return i >= 3000 && i < 3000 + 24 * 6; });
  };
  EXPECT_EQ(near_spike(one_vote), 1);  // the shared mask: one alarm, not one per scale
  EXPECT_LE(two_votes.size(), one_vote.size());
}

TEST(ResonanceDetectorTest, VotesBeyondScalesIsAnError) {
  MethodParams params(std::map<std::string, std::string>{{"scales", "3"}, {"phases", "1"}, {"votes", "4"}});
  MakeResonance(params);
  ASSERT_FALSE(params.errors().empty());
  EXPECT_EQ(params.errors()[0].key, "votes");
  MethodParams bad_flag(std::map<std::string, std::string>{{"new_category_only", "maybe"}});
  MakeResonance(bad_flag);
  ASSERT_FALSE(bad_flag.errors().empty());
  EXPECT_EQ(bad_flag.errors()[0].key, "new_category_only");
}

// probation_windows: the time scale follows the declared warm-up (NAB's
// probationary period), so a longer file is watched at a coarser block.
TEST(ResonanceDetectorTest, ProbationWindowsDerivesBlockAndWarmup) {
  ResonanceParams p;
  p.probation_windows = 13;
  SeriesInfo info;
  info.warmup_values = 604;  // NAB: 15% of a 4032-row file
  ResonanceParams own = ResolveForSeries(p, info);
  EXPECT_EQ(own.block, 5);  // 604 / (8 * 13)
  EXPECT_EQ(own.warmup_blocks, 120);
  info.warmup_values = 750;  // NAB's cap, long files
  own = ResolveForSeries(p, info);
  EXPECT_EQ(own.block, 7);
  EXPECT_EQ(own.warmup_blocks, 107);
  info.warmup_values = 5;  // tiny: block at least 1, warm-up at least one window
  own = ResolveForSeries(p, info);
  EXPECT_EQ(own.block, 1);
  EXPECT_EQ(own.warmup_blocks, p.window);
  // Unknown warm-up, or the option off: the configured block and warm-up.
  info.warmup_values = 0;
  EXPECT_EQ(ResolveForSeries(p, info).block, p.block);
  p.probation_windows = 0;
  info.warmup_values = 750;
  EXPECT_EQ(ResolveForSeries(p, info).block, ResonanceParams{}.block);
  EXPECT_EQ(ResolveForSeries(p, info).warmup_blocks, ResonanceParams{}.warmup_blocks);
}

// A phase shortens only the first block, so the warm-up ends `phase` values
// earlier and every later block boundary moves by the same amount.
TEST(ResonanceDetectorTest, PhaseShiftsBlockBoundaries) {
  ResonanceParams p = SingleScale();
  p.phase = 2;
  auto d = ResonanceFactory(p).Make(SeriesInfo{0.0, 100.0, 0});
  int warming = 0;
  for (int i = 0; i < 2000; ++i) warming += d->Update(i, Normal(i)).warming_up ? 1 : 0;
  EXPECT_EQ(warming, p.warmup_blocks * p.block - p.phase);
}

// phases: detectors at several block offsets vote; the spike is flagged
// once, the output is deterministic, and requiring every phase flags no more
// than requiring one.
TEST(ResonanceDetectorTest, PhasesVoteOnTheSpike) {
  std::vector<double> values;
  for (int i = 0; i < 4000; ++i) values.push_back(Normal(i));
  for (int i = 3000; i < 3012; ++i) values[i] += 35.0;
  auto run = [&](int votes) {
    MethodParams params(
        std::map<std::string, std::string>{{"scales", "1"}, {"phases", "3"}, {"votes", std::to_string(votes)}});
    auto factory = MakeResonance(params);
    EXPECT_TRUE(params.errors().empty());
    auto d = factory->Make(SeriesInfo{0.0, 100.0, 0});
    std::vector<int> flagged;
    for (int i = 0; i < 4000; ++i) {
      const Verdict v = d->Update(i, values[i]);
      EXPECT_LE(v.score, 1.0);
      if (v.score > 0.0) flagged.push_back(i);
    }
    return flagged;
  };
  const std::vector<int> one = run(1);
  const std::vector<int> all = run(3);
  EXPECT_EQ(run(3), all);
  const auto near_spike = [](const std::vector<int>& f) {
    return std::count_if(f.begin(), f.end(), [](int i) { return i >= 3000 && i < 3000 + 24 * 6; });
  };
  EXPECT_EQ(near_spike(all), 1);
  EXPECT_LE(all.size(), one.size());
  // votes may count every scale x phase detector, no more.
  MethodParams too_many(std::map<std::string, std::string>{{"scales", "1"}, {"phases", "3"}, {"votes", "4"}});
  MakeResonance(too_many);
  ASSERT_FALSE(too_many.errors().empty());
  EXPECT_EQ(too_many.errors()[0].key, "votes");
  // A phase is an offset inside one block.
  MethodParams bad_phase(std::map<std::string, std::string>{{"block", "6"}, {"phase", "6"}});
  MakeResonance(bad_phase);
  ASSERT_FALSE(bad_phase.errors().empty());
  EXPECT_EQ(bad_phase.errors()[0].key, "phase");
}

// The defaults run 3 scales x 4 phases; the warm-up lasts until the
// coarsest scale (block + 1) has learned warmup_blocks blocks, and an unset
// `votes` means half of the detectors.
TEST(ResonanceDetectorTest, DefaultsAreTwelveDetectorsHalfMustAgree) {
  const ResonanceParams p;
  auto d = ResonanceFactory(p).Make(SeriesInfo{0.0, 100.0, 0});
  int warming = 0;
  for (int i = 0; i < 2000; ++i) warming += d->Update(i, Normal(i)).warming_up ? 1 : 0;
  EXPECT_EQ(warming, p.warmup_blocks * (p.block + 1));
  MethodParams unset;
  MakeResonance(unset);
  EXPECT_TRUE(unset.errors().empty());
  // votes left unset with one detector: 1, not the 12-detector default.
  MethodParams one(std::map<std::string, std::string>{{"scales", "1"}, {"phases", "1"}});
  EXPECT_NE(MakeResonance(one), nullptr);
  EXPECT_TRUE(one.errors().empty());
  MethodParams seven(std::map<std::string, std::string>{{"scales", "1"}, {"phases", "1"}, {"votes", "7"}});
  MakeResonance(seven);
  EXPECT_FALSE(seven.errors().empty());
}

}  // namespace
}  // namespace edgeflow::analytics
