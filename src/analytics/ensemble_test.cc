#include "analytics/ensemble.h"

#include <gtest/gtest.h>

#include "analytics/detector_methods.h"
#include "analytics/detector_test_util.h"

namespace edgeflow::analytics {
namespace {

using detector_testing::MaxScore;
using detector_testing::NoisyDaily;
using detector_testing::RunSeries;

// A member that always answers the same score (after `warm` values).
class FixedDetector final : public Detector {
 public:
  FixedDetector(double score, int warm) : score_(score), warm_(warm) {}
  Verdict Update(int64_t, double) override {
    Verdict v;
    if (seen_++ < warm_) return v;
    v.warming_up = false;
    v.score = score_;
    return v;
  }
  size_t StateBytes() const override { return sizeof(*this); }

 private:
  double score_;
  int warm_;
  int seen_ = 0;
};

class FixedFactory final : public DetectorFactory {
 public:
  FixedFactory(double score, int warm) : score_(score), warm_(warm) {}
  std::unique_ptr<Detector> Make(const SeriesInfo&) const override {
    return std::make_unique<FixedDetector>(score_, warm_);
  }

 private:
  double score_;
  int warm_;
};

double Combined(Combine how, std::vector<std::pair<double, int>> members, int feed = 10) {
  std::vector<std::shared_ptr<const DetectorFactory>> factories;
  for (auto [score, warm] : members) factories.push_back(std::make_shared<FixedFactory>(score, warm));
  auto d = EnsembleFactory(factories, how, 0.5).Make({});
  Verdict v;
  for (int i = 0; i < feed; ++i) v = d->Update(i, 0);
  return v.warming_up ? -1 : v.score;
}

TEST(Ensemble, CombinesByMaxMeanAndVote) {
  EXPECT_DOUBLE_EQ(Combined(Combine::kMax, {{0.2, 0}, {0.9, 0}, {0.4, 0}}), 0.9);
  EXPECT_DOUBLE_EQ(Combined(Combine::kMean, {{0.2, 0}, {0.9, 0}, {0.4, 0}}), 0.5);
  EXPECT_DOUBLE_EQ(Combined(Combine::kVote, {{0.2, 0}, {0.9, 0}, {0.6, 0}}), 2.0 / 3);
}

TEST(Ensemble, WarmingMembersDoNotTakePart) {
  EXPECT_DOUBLE_EQ(Combined(Combine::kMean, {{0.2, 0}, {0.9, 100}}), 0.2);
  EXPECT_EQ(Combined(Combine::kMax, {{0.2, 100}, {0.9, 100}}), -1);  // all warming: ensemble warming
}

TEST(Ensemble, FlagsAnInjectedSpikeAndNotTheNormalPart) {
  auto s = NoisyDaily(2000, 300, 10, 0, 0.5, 21);
  s.values[1700] += 8;
  auto f = MakeDetectorFactory("ensemble", MethodParams(Params{{"methods", "robust_z,ewma"}, {"combine", "mean"}}));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const auto v = RunSeries(**f, s);
  EXPECT_GT(v[1700].score, 0.8);
  EXPECT_LT(MaxScore(v, 0, 1700), 0.5);
  EXPECT_FALSE(std::isnan(v[1700].expected));
}

TEST(Ensemble, MemberParametersAreScopedAndChecked) {
  EXPECT_TRUE(MakeDetectorFactory("ensemble", MethodParams(Params{{"methods", "robust_z"}, {"robust_z.window", "30"}})).ok());
  auto bad = MakeDetectorFactory("ensemble", MethodParams(Params{{"methods", "robust_z,nope"}, {"robust_z.window", "1"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("robust_z.window"), std::string::npos);
  EXPECT_NE(bad.status().message().find("unknown method 'nope'"), std::string::npos);
  EXPECT_FALSE(MakeDetectorFactory("ensemble", MethodParams(Params{{"methods", "ensemble"}})).ok());
}

}  // namespace
}  // namespace edgeflow::analytics
