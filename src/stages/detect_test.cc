#include "stages/detect.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

constexpr TimeMicros kT0 = 1'700'000'000LL * kMicrosPerSecond;

class DetectTest : public ::testing::Test {
 protected:
  void Build(const std::string& yaml) {
    stage_ = h_.BuildStage(DetectStageDef(), yaml, {});
    ASSERT_TRUE(stage_) << h_.errors();
  }
  static std::string BuildError(const std::string& yaml) {
    TestHarness h;  // fresh: only this config's errors
    EXPECT_FALSE(h.BuildStage(DetectStageDef(), yaml, {}));
    return h.errors();
  }
  // Feeds one event; returns the output event.
  Event Feed(double v, const std::string& device = "a", std::optional<std::string> zone = std::nullopt) {
    Batch b;
    Event& e = b.Append();
    e.device = Symbol::Intern(device);
    e.time = kT0 + (n_++) * 60 * kMicrosPerSecond;
    e.SetDouble(Symbol::Intern("v"), v);
    if (zone) e.SetString(Symbol::Intern("zone"), *zone);
    CollectingEmitter out;
    stage_->Process(b, out);
    EXPECT_EQ(out.main().size(), 1u);
    Event result;
    if (!out.main().empty()) result.CopyFrom(out.main()[0]);
    return result;
  }
  static double Num(const Event& e, const char* f) { return e.Number(Symbol::Intern(f)).value_or(-1); }
  static bool Flag(const Event& e, const char* f) {
    const Value* v = e.Find(Symbol::Intern(f));
    return v != nullptr && v->type == ValueType::kBool && v->b;
  }

  TestHarness h_;
  std::unique_ptr<Stage> stage_;
  int64_t n_ = 0;
  std::mt19937 rng_{11};
  std::normal_distribution<double> noise_{0.0, 1.0};
};

TEST_F(DetectTest, FlagsASpikeWithScoreAndExplanation) {
  Build("{ field: v, method: robust_z, window: 50, explain: true }");
  for (int i = 0; i < 300; ++i) {
    const Event e = Feed(20 + noise_(rng_));
    EXPECT_FALSE(Flag(e, "anomaly")) << i;
  }
  const Event spike = Feed(40);
  EXPECT_TRUE(Flag(spike, "anomaly"));
  EXPECT_GT(Num(spike, "anomaly_score"), 0.9);
  EXPECT_NEAR(Num(spike, "anomaly_expected"), 20, 0.5);
  EXPECT_NEAR(Num(spike, "anomaly_deviation"), 20, 0.5);
}

TEST_F(DetectTest, SeriesAreIndependentPerDevice) {
  Build("{ field: v, method: robust_z, min_samples: 5 }");
  for (int i = 0; i < 100; ++i) {
    Feed(10 + noise_(rng_), "a");
    Feed(1000 + noise_(rng_), "b");
  }
  // 1000 is normal for b but far off for a.
  EXPECT_FALSE(Flag(Feed(1000 + noise_(rng_), "b"), "anomaly"));
  EXPECT_TRUE(Flag(Feed(1000, "a"), "anomaly"));
}

TEST_F(DetectTest, KeyByAFieldSplitsSeries) {
  Build("{ field: v, method: robust_z, key_by: zone, min_samples: 5 }");
  for (int i = 0; i < 100; ++i) {
    Feed(10 + noise_(rng_), "same", "north");
    Feed(500 + noise_(rng_), "same", "south");
  }
  EXPECT_FALSE(Flag(Feed(500 + noise_(rng_), "same", "south"), "anomaly"));
  EXPECT_TRUE(Flag(Feed(500, "same", "north"), "anomaly"));
}

TEST_F(DetectTest, WarmupKeepsFlagsOffAndScoreZero) {
  Build("{ field: v, method: ewma, min_samples: 5, warmup: 10 }");
  for (int i = 0; i < 15; ++i) {
    const Event e = Feed(i == 12 ? 1e6 : 1.0 + 0.01 * i);
    EXPECT_FALSE(Flag(e, "anomaly")) << i;
    EXPECT_EQ(Num(e, "anomaly_score"), 0.0) << i;
  }
}

TEST_F(DetectTest, MaxSeriesEvictsTheLeastRecentlySeenAndCounts) {
  Build("{ field: v, method: ewma, max_series: 2, min_samples: 3 }");
  for (int i = 0; i < 10; ++i) {
    Feed(5, "a");
    Feed(5, "b");
  }
  Feed(5, "a");  // b is now the least recently seen
  Feed(5, "c");  // evicts b
  EXPECT_EQ(h_.metrics().CounterTotal("detect_series_evicted"), 1u);
  // a kept its history (past warm-up: scored); b starts afresh (warming up).
  EXPECT_FALSE(Flag(Feed(5, "a"), "anomaly"));
  EXPECT_EQ(Num(Feed(500, "b"), "anomaly_score"), 0.0);
  EXPECT_EQ(h_.metrics().CounterTotal("detect_series_evicted"), 2u);  // b evicted c
}

TEST_F(DetectTest, EnsembleFromMethodsList) {
  Build("{ field: v, methods: [robust_z, {method: ewma, alpha: 0.1}], combine: max }");
  for (int i = 0; i < 200; ++i) EXPECT_FALSE(Flag(Feed(3 + noise_(rng_)), "anomaly"));
  EXPECT_TRUE(Flag(Feed(30), "anomaly"));
}

TEST_F(DetectTest, FieldsListNamesOutputsPerField) {
  Build("{ fields: [v], output: odd }");
  const Event e = Feed(1);
  EXPECT_NE(e.Find(Symbol::Intern("v_odd_score")), nullptr);
  EXPECT_NE(e.Find(Symbol::Intern("v_odd")), nullptr);
}

TEST_F(DetectTest, MissingValueIsSkippedAndCounted) {
  Build("{ field: v }");
  Batch b;
  Event& e = b.Append();
  e.device = Symbol::Intern("a");
  e.SetString(Symbol::Intern("v"), "oops");
  CollectingEmitter out;
  stage_->Process(b, out);
  ASSERT_EQ(out.main().size(), 1u);
  EXPECT_EQ(out.main()[0].Find(Symbol::Intern("anomaly_score")), nullptr);
  EXPECT_EQ(h_.metrics().CounterTotal("detect_values_skipped"), 1u);
}

TEST_F(DetectTest, SameSeedSameOutput) {
  std::vector<double> first, second;
  for (auto* out : {&first, &second}) {
    Build("{ field: v, methods: [robust_z, seasonal], seed: 42 }");
    std::mt19937 rng(5);
    std::normal_distribution<double> g(0, 1);
    for (int i = 0; i < 500; ++i) out->push_back(Num(Feed(g(rng)), "anomaly_score"));
  }
  EXPECT_EQ(first, second);
}

TEST_F(DetectTest, ConfigErrorsAreReported) {
  EXPECT_NE(BuildError("{ field: v, method: nope }").find("unknown method 'nope'"), std::string::npos);
  EXPECT_NE(BuildError("{ field: v, windw: 5 }").find("'windw' is neither a detect option"), std::string::npos);
  EXPECT_NE(BuildError("{ field: v, method: robust_z, window: 1 }").find("window: must be between"), std::string::npos);
  EXPECT_NE(BuildError("{ field: v, threshold: 2 }").find("threshold"), std::string::npos);
  EXPECT_NE(BuildError("{ method: ewma }").find("give the value to watch"), std::string::npos);
  EXPECT_NE(BuildError("{ field: v, methods: [robust_z, {method: ewma, alpha: 5}] }").find("ewma.alpha"),
            std::string::npos);
  EXPECT_NE(BuildError("{ field: v, max_series: 0 }").find("max_series"), std::string::npos);
}

}  // namespace
}  // namespace edgeflow
