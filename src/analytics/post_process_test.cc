#include "analytics/post_process.h"

#include <gtest/gtest.h>

#include "analytics/detector_methods.h"
#include "analytics/detector_test_util.h"

namespace edgeflow::analytics {
namespace {

using detector_testing::MaxScore;
using detector_testing::NoisyDaily;
using detector_testing::RunSeries;

std::shared_ptr<const DetectorFactory> Make(const std::string& method, Params params) {
  return detector_testing::MakeMethod(method, std::move(params));
}

TEST(AnomalyLikelihood, RareAverageScoresHighCommonOneZero) {
  AnomalyLikelihood likelihood(1000, 1);
  // A raw score that wobbles between 0.2 and 0.4: mean 0.3.
  for (int i = 0; i < 1000; ++i) likelihood.Update(i % 2 == 0 ? 0.2 : 0.4);
  EXPECT_LT(likelihood.Update(0.3), 0.05);  // at the mean: tail 0.5, score 0.03
  EXPECT_EQ(likelihood.Update(0.05), 0.0);  // below: never an anomaly
  const double mild = likelihood.Update(0.45);
  const double strong = likelihood.Update(0.9);
  EXPECT_GT(mild, 0.0);
  EXPECT_GT(strong, mild);
  EXPECT_GT(strong, 0.5);  // 6 standard deviations: rarer than 1 in 100,000
}

TEST(AnomalyLikelihood, SaysNothingBeforeEnoughHistory) {
  AnomalyLikelihood likelihood(1000, 1);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(likelihood.Update(i == 49 ? 1.0 : 0.1), 0.0);
}

TEST(AnomalyLikelihood, FlatZeroHistoryDoesNotMakeTinyScoresExtreme) {
  AnomalyLikelihood likelihood(500, 1);
  for (int i = 0; i < 500; ++i) likelihood.Update(0.0);
  // The mean/variance floors keep a small raw score unremarkable.
  // (Without them a zero variance would make it score 1.)
  EXPECT_LT(likelihood.Update(0.05), 0.2);
}

TEST(PostProcess, SameThresholdMeansSameRarityOnCalmAndNoisySeries) {
  // ewma's raw score on a noisy series is often high; on a calm one rarely.
  // With likelihood, both series' normal parts stay low and a shift scores high.
  for (double noise : {0.5, 5.0}) {
    auto s = NoisyDaily(4000, 300, 100, 0, noise, 7);
    for (size_t i = 3000; i < s.values.size(); ++i) s.values[i] += 20 * noise;
    const auto v = RunSeries(*Make("ewma", {{"likelihood", "1000"}}), s);
    EXPECT_LT(MaxScore(v, 0, 3000), 0.5) << "noise " << noise;
    EXPECT_GT(MaxScore(v, 3000, 3020), 0.5) << "noise " << noise;
  }
}

TEST(PostProcess, RefractoryZeroesRepeatsUnlessHigher) {
  auto s = NoisyDaily(2000, 300, 100, 0, 1.0, 11);
  for (size_t i = 1500; i < 1510; ++i) s.values[i] += 30;  // a 10-value burst
  const auto plain = RunSeries(*Make("ewma", {}), s);
  const auto masked = RunSeries(*Make("ewma", {{"refractory", "50"}}), s);
  int plain_high = 0, masked_high = 0;
  for (size_t i = 1500; i < 1560; ++i) {
    plain_high += plain[i].score > 0.1;
    masked_high += masked[i].score > 0.1;
    // Passed on unchanged or zeroed, never altered.
    EXPECT_TRUE(masked[i].score == 0.0 || masked[i].score == plain[i].score) << i;
  }
  EXPECT_GT(plain_high, 3);
  EXPECT_GE(masked_high, 1);
  EXPECT_LT(masked_high, plain_high);
  EXPECT_EQ(masked[1500].score, plain[1500].score);  // the first one goes through
}

TEST(PostProcess, EnsembleMembersAcceptThePostProcessingParameters) {
  auto f = MakeDetectorFactory("ensemble", MethodParams(Params{{"methods", "ewma,seasonal"},
                                                               {"ewma.likelihood", "500"},
                                                               {"refractory", "20"}}));
  EXPECT_TRUE(f.ok()) << f.status().ToString();
}

TEST(PostProcess, BadValuesAreErrorsNamingTheKey) {
  auto f = MakeDetectorFactory("ewma", MethodParams(Params{{"likelihood", "10"}}));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().ToString().find("likelihood"), std::string::npos);
  auto g = MakeDetectorFactory("ewma", MethodParams(Params{{"refractory", "-1"}}));
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().ToString().find("refractory"), std::string::npos);
}

TEST(PostProcess, StateIsBoundedByTheHistoryLength) {
  auto f = Make("ewma", {{"likelihood", "1000"}});
  auto d = f->Make({});
  for (int i = 0; i < 3000; ++i) d->Update(i, i % 7);
  const size_t after_3000 = d->StateBytes();
  for (int i = 0; i < 30000; ++i) d->Update(i, i % 7);
  EXPECT_EQ(d->StateBytes(), after_3000);
  EXPECT_LT(after_3000, 12000u);
}

}  // namespace
}  // namespace edgeflow::analytics
