#include "analytics/nab/scorer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

namespace edgeflow::analytics::nab {
namespace {

// A file of `rows` rows, one per minute from t0.
DataFile MinuteFile(size_t rows) {
  DataFile f;
  f.relative_path = "test/file.csv";
  for (size_t i = 0; i < rows; ++i) {
    f.times_us.push_back(static_cast<int64_t>(i) * 60'000'000);
    f.timestamps.push_back(std::to_string(i));
    f.values.push_back(0);
  }
  return f;
}

Window RowWindow(size_t first, size_t last) {
  return {static_cast<int64_t>(first) * 60'000'000, static_cast<int64_t>(last) * 60'000'000};
}

TEST(NabScorer, ScaledSigmoidMatchesNabFixedPoints) {
  EXPECT_NEAR(ScaledSigmoid(-1.0), 0.98661, 1e-5);
  EXPECT_NEAR(ScaledSigmoid(-0.5), 0.84828, 1e-5);
  EXPECT_NEAR(ScaledSigmoid(0.0), 0.0, 1e-12);
  EXPECT_NEAR(ScaledSigmoid(1.0), -0.98661, 1e-5);
  EXPECT_EQ(ScaledSigmoid(3.0), -1.0);
}

TEST(NabScorer, ProbationaryIsFifteenPercentAtMost750Rows) {
  EXPECT_EQ(ProbationaryLength(100), 15);
  EXPECT_EQ(ProbationaryLength(4032), 604);
  EXPECT_EQ(ProbationaryLength(22695), 750);
}

// 100 rows: probation 15, one window on rows 50..59 (width 10).
struct OneWindow {
  DataFile file = MinuteFile(100);
  std::vector<Window> windows{RowWindow(50, 59)};
  CostMatrix cost{1.0, 0.11, 1.0};

  std::vector<ThresholdScore> Score(const std::vector<double>& scores) {
    std::vector<SweepPoint> points;
    int32_t ids = 0;
    EXPECT_TRUE(AppendSweepPoints(file, windows, scores, cost, &ids, &points).ok());
    EXPECT_EQ(points.size(), 85u);
    return ScoresByThreshold(points, ids, cost);
  }
};

TEST(NabScorer, FirstDetectionInWindowEarnsThePositionalRewardLaterOnesNothing) {
  OneWindow t;
  std::vector<double> scores(100, 0.0);
  scores[50] = 0.9;  // left edge: full reward
  scores[55] = 0.8;  // same window, later: ignored
  const auto rows = t.Score(scores);
  ASSERT_GE(rows.size(), 3u);
  EXPECT_DOUBLE_EQ(rows[0].threshold, 1.1);
  EXPECT_DOUBLE_EQ(rows[0].score, -1.0);  // missed window
  EXPECT_DOUBLE_EQ(rows[1].threshold, 0.9);
  EXPECT_NEAR(rows[1].score, 1.0, 1e-12);  // detection at the left edge
  EXPECT_DOUBLE_EQ(rows[2].threshold, 0.8);
  EXPECT_NEAR(rows[2].score, 1.0, 1e-12);
  EXPECT_EQ(rows[2].tp, 2);
}

TEST(NabScorer, LateDetectionEarnsLess) {
  OneWindow t;
  std::vector<double> scores(100, 0.0);
  scores[58] = 0.9;  // position -(59-58+1)/10 = -0.2
  const auto rows = t.Score(scores);
  EXPECT_NEAR(rows[1].score, ScaledSigmoid(-0.2) / ScaledSigmoid(-1.0), 1e-12);
}

TEST(NabScorer, FalsePositiveCostGrowsWithDistanceFromThePrecedingWindow) {
  OneWindow t;
  std::vector<double> near(100, 0.0), far(100, 0.0), before(100, 0.0), probation(100, 0.0);
  near[60] = 0.9;       // 1 row after the window: (60-59)/(10-1)
  far[95] = 0.9;        // 36/9 = 4 >= 3: full cost
  before[20] = 0.9;     // before any window: full cost
  probation[10] = 0.9;  // probationary: not scored
  EXPECT_NEAR(t.Score(near)[1].score, -1.0 + 0.11 * ScaledSigmoid(1.0 / 9), 1e-12);
  EXPECT_NEAR(t.Score(far)[1].score, -1.0 - 0.11, 1e-12);
  EXPECT_NEAR(t.Score(before)[1].score, -1.0 - 0.11, 1e-12);
  const auto rows = t.Score(probation);
  ASSERT_EQ(rows.size(), 2u);  // 1.1 and 0.0: the probationary 0.9 is no candidate
  EXPECT_DOUBLE_EQ(rows[0].score, -1.0);
  EXPECT_DOUBLE_EQ(rows[1].threshold, 0.0);
}

TEST(NabScorer, DetectionIsScoreAtOrAboveThreshold) {
  OneWindow t;
  std::vector<double> scores(100, 0.2);
  scores[50] = 0.7;
  scores[51] = 0.7;  // same score: one threshold row, both counted
  const auto rows = t.Score(scores);
  ASSERT_EQ(rows.size(), 3u);  // 1.1, 0.7, 0.2
  EXPECT_DOUBLE_EQ(rows[1].threshold, 0.7);
  EXPECT_EQ(rows[1].tp, 2);
  EXPECT_EQ(rows[1].fp, 0);
}

TEST(NabScorer, WindowEndMissingFromTheFileIsAnError) {
  DataFile file = MinuteFile(100);
  std::vector<Window> windows{{RowWindow(50, 50).start_us, 123}};
  std::vector<SweepPoint> points;
  int32_t ids = 0;
  const Status s = AppendSweepPoints(file, windows, std::vector<double>(100, 0), {}, &ids, &points);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("window ends"), std::string::npos);
}

TEST(NabScorer, RowCountMismatchIsAnError) {
  DataFile file = MinuteFile(100);
  std::vector<SweepPoint> points;
  int32_t ids = 0;
  EXPECT_FALSE(AppendSweepPoints(file, {}, std::vector<double>(99, 0), {}, &ids, &points).ok());
}

TEST(NabScorer, CorpusNormalisesBetweenNullAndPerfect) {
  Corpus corpus;
  corpus.files.push_back(MinuteFile(100));
  corpus.windows.push_back({RowWindow(50, 59)});
  corpus.profiles.push_back({"standard", {1.0, 0.11, 1.0}});
  corpus.total_windows = 1;
  std::vector<double> perfect(100, 0.0);
  perfect[50] = 1.0;
  auto scores = ScoreCorpus(corpus, {perfect});
  ASSERT_TRUE(scores.ok());
  EXPECT_NEAR((*scores)[0].normalized, 100.0, 1e-9);
  EXPECT_DOUBLE_EQ((*scores)[0].best.threshold, 1.0);
  auto null = ScoreCorpus(corpus, {std::vector<double>(100, 0.0)});
  ASSERT_TRUE(null.ok());
  EXPECT_NEAR((*null)[0].normalized, 0.0, 1e-9);
}

// The published scores of three NAB detectors on the shared subset.
TEST(NabScorerGolden, ReproducesNabReferenceTable) {
  const std::string dir = EDGEFLOW_NAB_DIR;
  if (!std::filesystem::exists(dir + "/reference_results")) {
    GTEST_SKIP() << "NAB data not found at " << dir << " (expected shared/data/nab beside the clone)";
  }
  auto corpus = LoadCorpus(dir);
  ASSERT_TRUE(corpus.ok()) << corpus.status().ToString();
  EXPECT_EQ(corpus->files.size(), 18u);
  EXPECT_EQ(corpus->total_windows, 25u);
  struct Expected {
    const char* detector;
    double standard, low_fp, low_fn;
  };
  for (const Expected& e : {Expected{"numenta", 61.30, 54.31, 66.20}, Expected{"randomCutForest", 47.06, 34.71, 56.70},
                            Expected{"windowedGaussian", 12.07, 4.81, 16.04}}) {
    std::vector<std::vector<double>> results;
    for (const DataFile& f : corpus->files) {
      auto scores = ReadResultScores(dir + "/reference_results/" + e.detector, f);
      ASSERT_TRUE(scores.ok()) << scores.status().ToString();
      results.push_back(std::move(*scores));
    }
    auto scored = ScoreCorpus(*corpus, results);
    ASSERT_TRUE(scored.ok()) << scored.status().ToString();
    for (const ProfileScore& s : *scored) {
      const double want = s.profile == "standard" ? e.standard : s.profile == "reward_low_FP_rate" ? e.low_fp : e.low_fn;
      EXPECT_NEAR(s.normalized, want, 0.1) << e.detector << " " << s.profile;
    }
  }
}

}  // namespace
}  // namespace edgeflow::analytics::nab
