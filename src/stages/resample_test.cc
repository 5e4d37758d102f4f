#include "stages/resample.h"

#include <gtest/gtest.h>

#include <set>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

// A minute boundary (1'700'000'040 s = 28'333'334 min).
constexpr TimeMicros kT0 = 1'700'000'040LL * kMicrosPerSecond;
constexpr TimeMicros kS = kMicrosPerSecond;
constexpr TimeMicros kM = kMicrosPerMinute;

using Fields = std::vector<std::pair<std::string, double>>;

class ResampleTest : public ::testing::Test {
 protected:
  void Build(const std::string& yaml, Schema input = {}) {
    stage_ = h_.BuildStage(ResampleStageDef(), yaml, std::move(input));
    ASSERT_TRUE(stage_) << h_.errors();
  }
  void Feed(const std::string& device, TimeMicros t, const Fields& fields) {
    Batch b;
    Event& e = b.Append();
    e.device = Symbol::Intern(device);
    e.time = t;
    for (const auto& [name, v] : fields) e.SetDouble(Symbol::Intern(name), v);
    CollectingEmitter out;
    stage_->Process(b, out);
    EXPECT_TRUE(out.ports.empty());  // results only come with watermarks
  }
  Batch Watermark(TimeMicros wm) {
    CollectingEmitter out;
    stage_->OnWatermark(wm, out);
    return std::move(out.main());
  }
  Batch Flush() {
    CollectingEmitter out;
    stage_->Flush(out);
    return std::move(out.main());
  }
  static std::optional<double> Get(const Event& e, const std::string& field) {
    return e.Number(Symbol::Intern(field));
  }
  uint64_t Dropped(const std::string& reason) {
    return h_.metrics().CounterValue("dropped", "stage=\"resample\",reason=\"" + reason + "\"");
  }

  TestHarness h_;
  std::unique_ptr<Stage> stage_;
};

TEST_F(ResampleTest, MeanPerPeriodAtPeriodStart) {
  Build("{ period: 1m }");
  Feed("a", kT0 + 5 * kS, {{"t", 1}, {"p", 10}});
  Feed("a", kT0 + 50 * kS, {{"t", 3}});
  Feed("a", kT0 + 70 * kS, {{"t", 7}});
  EXPECT_EQ(Watermark(kT0 + 59 * kS).size(), 0u);
  Batch r = Watermark(kT0 + kM);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].time, kT0);
  EXPECT_EQ(r[0].device, Symbol::Intern("a"));
  EXPECT_EQ(Get(r[0], "t"), 2.0);
  EXPECT_EQ(Get(r[0], "p"), 10.0);
  EXPECT_EQ(Get(r[0], "count"), 2.0);
  EXPECT_EQ(r[0].Find(Symbol::Intern("count"))->type, ValueType::kInt);
  r = Flush();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].time, kT0 + kM);
  EXPECT_EQ(Get(r[0], "t"), 7.0);
  EXPECT_EQ(Get(r[0], "p"), std::nullopt);  // no value of p in that period
  EXPECT_EQ(Get(r[0], "count"), 1.0);
  EXPECT_EQ(Flush().size(), 0u);
}

TEST_F(ResampleTest, AllFieldsModeSkipsTextAndBools) {
  Build("{ period: 10s, aggregate: max }");
  Batch b;
  Event& e = b.Append();
  e.device = Symbol::Intern("a");
  e.time = kT0;
  e.SetInt(Symbol::Intern("n"), 4);
  e.SetString(Symbol::Intern("s"), "x");
  e.SetBool(Symbol::Intern("b"), true);
  CollectingEmitter out;
  stage_->Process(b, out);
  Batch r = Flush();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].fields().size(), 2u);  // n, count
  EXPECT_EQ(Get(r[0], "n"), 4.0);
  EXPECT_EQ(r[0].Find(Symbol::Intern("n"))->type, ValueType::kDouble);
}

TEST_F(ResampleTest, PerFieldAggregates) {
  Build("{ period: 1m, aggregate: { t: max, p: first, v: count, w: sum } }");
  Feed("a", kT0 + 1 * kS, {{"t", 1}, {"p", 5}, {"v", 1}, {"x", 9}});
  Feed("a", kT0 + 2 * kS, {{"t", 4}, {"p", 6}, {"w", 2}});
  Feed("a", kT0 + 3 * kS, {{"t", 2}, {"v", 1}, {"w", 3}});
  Batch r = Watermark(kT0 + kM);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(Get(r[0], "t"), 4.0);
  EXPECT_EQ(Get(r[0], "p"), 5.0);
  EXPECT_EQ(Get(r[0], "v"), 2.0);
  EXPECT_EQ(r[0].Find(Symbol::Intern("v"))->type, ValueType::kInt);
  EXPECT_EQ(Get(r[0], "w"), 5.0);
  EXPECT_EQ(Get(r[0], "x"), std::nullopt);  // not listed
  EXPECT_EQ(Get(r[0], "count"), 3.0);
}

TEST_F(ResampleTest, OrdersByPeriodThenDeviceFirstSeen) {
  Build("{ period: 1m, fields: [t] }");
  Feed("b", kT0 + kM, {{"t", 1}});
  Feed("a", kT0, {{"t", 2}});
  Feed("b", kT0, {{"t", 3}});
  Feed("a", kT0 + kM + 1, {{"t", 4}});
  Batch r = Watermark(kT0 + 2 * kM);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].device, Symbol::Intern("b"));
  EXPECT_EQ(r[0].time, kT0);
  EXPECT_EQ(r[1].device, Symbol::Intern("a"));
  EXPECT_EQ(r[1].time, kT0);
  EXPECT_EQ(r[2].device, Symbol::Intern("b"));
  EXPECT_EQ(r[2].time, kT0 + kM);
  EXPECT_EQ(Get(r[3], "t"), 4.0);
}

TEST_F(ResampleTest, LateEventsAreDroppedAndCounted) {
  Build("{ period: 1m }");
  Feed("a", kT0 + kM + 10 * kS, {{"t", 1}});
  Watermark(kT0 + kM + 30 * kS);
  Feed("a", kT0 + 59 * kS, {{"t", 5}});       // period [kT0, kT0 + 1m) is closed
  Feed("a", kT0 + kM + 20 * kS, {{"t", 3}});  // behind the watermark, period still open
  EXPECT_EQ(Dropped("late"), 1u);
  EXPECT_EQ(h_.CounterTotal("late"), 1u);
  Batch r = Watermark(kT0 + 2 * kM);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(Get(r[0], "t"), 2.0);
}

TEST_F(ResampleTest, EventsBeforeTheEpochAlignDown) {
  Build("{ period: 1m }");
  Feed("a", -30 * kS, {{"t", 1}});
  Batch r = Flush();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].time, -kM);
}

TEST_F(ResampleTest, FillPreviousRepeatsValuesBetweenPeriods) {
  Build("{ period: 1m, fill: previous, max_fill: 2 }");
  Feed("a", kT0, {{"t", 1}});
  Feed("a", kT0 + 3 * kM, {{"t", 4}});  // periods 1 and 2 empty
  Feed("a", kT0 + 8 * kM, {{"t", 8}});  // 4..7 empty, only 2 filled
  Batch r = Watermark(kT0 + 10 * kM);
  ASSERT_EQ(r.size(), 7u);
  const std::vector<std::pair<TimeMicros, double>> expected = {
      {0, 1}, {1, 1}, {2, 1}, {3, 4}, {4, 4}, {5, 4}, {8, 8}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(r[i].time, kT0 + expected[i].first * kM) << i;
    EXPECT_EQ(Get(r[i], "t"), expected[i].second) << i;
  }
  EXPECT_EQ(Get(r[1], "count"), 0.0);
  EXPECT_EQ(Get(r[3], "count"), 1.0);
}

TEST_F(ResampleTest, FillAcrossWatermarksAndNotAfterLastPeriod) {
  Build("{ period: 1m, fill: previous }");
  Feed("a", kT0, {{"t", 1}});
  EXPECT_EQ(Watermark(kT0 + 3 * kM).size(), 1u);  // trailing empty periods: not filled
  Feed("a", kT0 + 3 * kM, {{"t", 2}});
  Batch r = Watermark(kT0 + 4 * kM);
  ASSERT_EQ(r.size(), 3u);  // the gap is filled once it is known to be one
  EXPECT_EQ(r[0].time, kT0 + kM);
  EXPECT_EQ(r[1].time, kT0 + 2 * kM);
  EXPECT_EQ(r[2].time, kT0 + 3 * kM);
  EXPECT_EQ(Get(r[2], "t"), 2.0);
}

TEST_F(ResampleTest, DevicesAreIndependent) {
  Build("{ period: 1m, fields: [t], aggregate: sum }");
  Feed("a", kT0, {{"t", 1}});
  Feed("b", kT0, {{"t", 10}});
  Feed("a", kT0 + 1, {{"t", 2}});
  Batch r = Flush();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(Get(r[0], "t"), 3.0);
  EXPECT_EQ(Get(r[1], "t"), 10.0);
}

TEST_F(ResampleTest, Bounds) {
  Build("{ period: 1m, max_keys: 1, max_periods_per_key: 2 }");
  Feed("a", kT0, {{"t", 1}});
  Feed("b", kT0, {{"t", 1}});
  Feed("a", kT0 + kM, {{"t", 1}});
  Feed("a", kT0 + 2 * kM, {{"t", 1}});
  Feed("a", kT0 + 1, {{"t", 1}});  // an open period still takes events
  EXPECT_EQ(Dropped("max_keys"), 1u);
  EXPECT_EQ(Dropped("max_periods_per_key"), 1u);
  Batch r = Flush();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(Get(r[0], "count"), 2.0);
}

TEST_F(ResampleTest, OutputSchema) {
  Build("{ period: 1m, fields: [t] }", Schema{true, {"t", "p"}});
  EXPECT_EQ(h_.last_output_schema.fields, (std::set<std::string>{"t", "count"}));
  TestHarness h;
  ASSERT_TRUE(h.BuildStage(ResampleStageDef(), "{ period: 1m }", Schema{true, {"t", "p"}}));
  EXPECT_EQ(h.last_output_schema.fields, (std::set<std::string>{"t", "p", "count"}));
}

TEST(ResampleDefTest, ExampleBuilds) {
  const ComponentDef def = ResampleStageDef();
  const YAML::Node example = YAML::Load(def.example);
  TestHarness h;
  EXPECT_TRUE(h.BuildStage(def, YAML::Dump(example[def.type]))) << h.errors();
}

struct ConfigErrorCase {
  std::string yaml;
  std::string expected;
  friend void PrintTo(const ConfigErrorCase& c, std::ostream* os) { *os << c.yaml; }
};

class ResampleConfigErrorTest : public ::testing::TestWithParam<ConfigErrorCase> {};

TEST_P(ResampleConfigErrorTest, Reports) {
  TestHarness h;
  auto stage = h.BuildStage(ResampleStageDef(), GetParam().yaml, Schema{true, {"t", "p"}});
  EXPECT_FALSE(stage);
  EXPECT_NE(h.errors().find(GetParam().expected), std::string::npos) << h.errors();
}

INSTANTIATE_TEST_SUITE_P(
    Resample, ResampleConfigErrorTest,
    ::testing::Values(
        ConfigErrorCase{"{ fields: [t] }", "missing required key 'period'"},
        ConfigErrorCase{"{ period: 0s }", "resample.period: must be > 0"},
        ConfigErrorCase{"{ period: 1m, aggregate: average }", "unknown aggregate 'average'"},
        ConfigErrorCase{"{ period: 1m, aggregate: { t: mx } }", "resample.aggregate.t: unknown aggregate"},
        ConfigErrorCase{"{ period: 1m, aggregate: { t: max }, fields: [p] }",
                        "resample.fields: not used when aggregate is a map"},
        ConfigErrorCase{"{ period: 1m, fields: [tt] }", "unknown field 'tt'"},
        ConfigErrorCase{"{ period: 1m, fields: [t, t] }", "listed twice"},
        ConfigErrorCase{"{ period: 1m, fill: linear }", "allowed: none, previous"},
        ConfigErrorCase{"{ period: 1m, max_fill: 5 }", "only used with fill: previous"},
        ConfigErrorCase{"{ period: 1m, fill: previous, max_fill: -1 }", "must be >= 0"},
        ConfigErrorCase{"{ period: 1m, max_keys: 0 }", "resample.max_keys: must be > 0"}));

}  // namespace
}  // namespace edgeflow
