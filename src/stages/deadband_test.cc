#include "stages/deadband.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

constexpr TimeMicros kT0 = 1'700'000'000LL * kMicrosPerSecond;

using Fields = std::vector<std::pair<std::string, double>>;

Event& AddEvent(Batch& b, const std::string& device, TimeMicros t, const Fields& fields) {
  Event& e = b.Append();
  e.device = Symbol::Intern(device);
  e.time = t;
  for (const auto& [name, v] : fields) e.SetDouble(Symbol::Intern(name), v);
  return e;
}

class DeadbandTest : public ::testing::Test {
 protected:
  void Build(const std::string& yaml, Schema input = {}) {
    stage_ = h_.BuildStage(DeadbandStageDef(), yaml, std::move(input));
    ASSERT_TRUE(stage_) << h_.errors();
  }
  // Feeds one event and returns whether it passed.
  bool Feed(const std::string& device, TimeMicros t, const Fields& fields) {
    Batch b;
    AddEvent(b, device, t, fields);
    CollectingEmitter out;
    stage_->Process(b, out);
    return out.main().size() == 1;
  }
  uint64_t Dropped(const std::string& reason) {
    return h_.metrics().CounterValue("dropped", "stage=\"deadband\",reason=\"" + reason + "\"");
  }

  TestHarness h_;
  std::unique_ptr<Stage> stage_;
};

TEST_F(DeadbandTest, PassesOnlyChangesBeyondDelta) {
  Build("{ fields: [t], delta: 0.5 }");
  EXPECT_TRUE(Feed("a", kT0, {{"t", 10.0}}));  // first event always passes
  EXPECT_FALSE(Feed("a", kT0 + 1, {{"t", 10.4}}));
  EXPECT_FALSE(Feed("a", kT0 + 2, {{"t", 10.5}}));  // exactly delta: not "more than"
  EXPECT_TRUE(Feed("a", kT0 + 3, {{"t", 10.6}}));
  // Compared with the last passed value (10.6), not the last seen one.
  EXPECT_FALSE(Feed("a", kT0 + 4, {{"t", 10.2}}));
  EXPECT_FALSE(Feed("a", kT0 + 5, {{"t", 10.9}}));
  EXPECT_TRUE(Feed("a", kT0 + 6, {{"t", 10.0}}));
  EXPECT_EQ(Dropped("deadband"), 4u);
}

TEST_F(DeadbandTest, AnyFieldSuffices) {
  Build("{ fields: [t, p], delta: 1 }");
  EXPECT_TRUE(Feed("a", kT0, {{"t", 0}, {"p", 0}}));
  EXPECT_FALSE(Feed("a", kT0 + 1, {{"t", 0.5}, {"p", 0.5}}));
  EXPECT_TRUE(Feed("a", kT0 + 2, {{"t", 0}, {"p", 2}}));
}

TEST_F(DeadbandTest, PercentIsRelativeToLastPassedValue) {
  Build("{ fields: [p], percent: 2 }");
  EXPECT_TRUE(Feed("a", kT0, {{"p", 100}}));
  EXPECT_FALSE(Feed("a", kT0 + 1, {{"p", 101.5}}));
  EXPECT_TRUE(Feed("a", kT0 + 2, {{"p", 97.5}}));
  EXPECT_FALSE(Feed("a", kT0 + 3, {{"p", 99}}));  // 1.5 < 2% of 97.5
}

TEST_F(DeadbandTest, PercentFromZeroPassesAnyChange) {
  Build("{ fields: [p], percent: 50 }");
  EXPECT_TRUE(Feed("a", kT0, {{"p", 0}}));
  EXPECT_FALSE(Feed("a", kT0 + 1, {{"p", 0}}));
  EXPECT_TRUE(Feed("a", kT0 + 2, {{"p", 0.001}}));
}

TEST_F(DeadbandTest, PerFieldThresholds) {
  Build("{ fields: { t: { delta: 5 }, p: { percent: 10 }, v: 0.1 } }");
  EXPECT_TRUE(Feed("a", kT0, {{"t", 0}, {"p", 100}, {"v", 1}}));
  EXPECT_FALSE(Feed("a", kT0 + 1, {{"t", 4}, {"p", 109}, {"v", 1.05}}));
  EXPECT_TRUE(Feed("a", kT0 + 2, {{"t", 6}, {"p", 100}, {"v", 1}}));
  EXPECT_TRUE(Feed("a", kT0 + 3, {{"t", 6}, {"p", 111}, {"v", 1}}));
  EXPECT_TRUE(Feed("a", kT0 + 4, {{"t", 6}, {"p", 111}, {"v", 1.2}}));
}

TEST_F(DeadbandTest, FieldDefaultsToStageThreshold) {
  Build("{ fields: { t: , p: { percent: 10 } }, delta: 1 }");
  EXPECT_TRUE(Feed("a", kT0, {{"t", 0}, {"p", 100}}));
  EXPECT_FALSE(Feed("a", kT0 + 1, {{"t", 0.9}, {"p", 100}}));
  EXPECT_TRUE(Feed("a", kT0 + 2, {{"t", 1.1}, {"p", 100}}));
}

TEST_F(DeadbandTest, AppearingAndDisappearingFieldsPass) {
  Build("{ fields: [t, p], delta: 1 }");
  EXPECT_TRUE(Feed("a", kT0, {{"t", 0}}));
  EXPECT_FALSE(Feed("a", kT0 + 1, {{"t", 0}}));
  EXPECT_TRUE(Feed("a", kT0 + 2, {{"t", 0}, {"p", 5}}));  // p appeared
  EXPECT_FALSE(Feed("a", kT0 + 3, {{"t", 0}, {"p", 5}}));
  EXPECT_TRUE(Feed("a", kT0 + 4, {{"t", 0}}));  // p disappeared
  EXPECT_FALSE(Feed("a", kT0 + 5, {{"t", 0}, {"p", std::nan("")}}));  // NaN counts as absent
}

TEST_F(DeadbandTest, MaxSilenceIsAHeartbeat) {
  Build("{ fields: [t], delta: 1, max_silence: 5m }");
  EXPECT_TRUE(Feed("a", kT0, {{"t", 0}}));
  EXPECT_FALSE(Feed("a", kT0 + 4 * kMicrosPerMinute, {{"t", 0}}));
  EXPECT_TRUE(Feed("a", kT0 + 5 * kMicrosPerMinute, {{"t", 0}}));
  EXPECT_FALSE(Feed("a", kT0 + 9 * kMicrosPerMinute, {{"t", 0}}));
  EXPECT_TRUE(Feed("a", kT0 + 10 * kMicrosPerMinute, {{"t", 0}}));
}

TEST_F(DeadbandTest, DevicesAreIndependent) {
  Build("{ fields: [t], delta: 1 }");
  EXPECT_TRUE(Feed("a", kT0, {{"t", 0}}));
  EXPECT_TRUE(Feed("b", kT0, {{"t", 10}}));  // first of b, whatever a did
  EXPECT_FALSE(Feed("a", kT0 + 1, {{"t", 0.5}}));
  EXPECT_TRUE(Feed("b", kT0 + 1, {{"t", 0.5}}));
  EXPECT_FALSE(Feed("a", kT0 + 2, {{"t", 0.5}}));
}

TEST_F(DeadbandTest, KeepsOrderAndContentOfPassedEventsInABatch) {
  Build("{ fields: [t], delta: 1 }");
  Batch b;
  AddEvent(b, "a", kT0, {{"t", 0}, {"x", 1}});
  AddEvent(b, "a", kT0 + 1, {{"t", 0.5}});
  AddEvent(b, "b", kT0 + 2, {{"t", 3}});
  AddEvent(b, "a", kT0 + 3, {{"t", 2}, {"x", 2}});
  CollectingEmitter out;
  stage_->Process(b, out);
  ASSERT_EQ(out.main().size(), 3u);
  EXPECT_EQ(out.main()[0].time, kT0);
  EXPECT_EQ(out.main()[0].Number(Symbol::Intern("x")), 1.0);
  EXPECT_EQ(out.main()[1].device, Symbol::Intern("b"));
  EXPECT_EQ(out.main()[2].time, kT0 + 3);
}

TEST_F(DeadbandTest, MaxKeysBoundsState) {
  Build("{ fields: [t], delta: 1, max_keys: 2 }");
  EXPECT_TRUE(Feed("a", kT0, {{"t", 0}}));
  EXPECT_TRUE(Feed("b", kT0, {{"t", 0}}));
  EXPECT_FALSE(Feed("c", kT0, {{"t", 0}}));
  EXPECT_FALSE(Feed("c", kT0 + 1, {{"t", 9}}));
  EXPECT_TRUE(Feed("a", kT0 + 1, {{"t", 9}}));
  EXPECT_EQ(Dropped("max_keys"), 2u);
  EXPECT_EQ(Dropped("deadband"), 0u);
}

TEST_F(DeadbandTest, OutputSchemaIsTheInputSchema) {
  Build("{ fields: [t], delta: 1 }", Schema{true, {"t", "p"}});
  EXPECT_TRUE(h_.last_output_schema.known);
  EXPECT_EQ(h_.last_output_schema.fields, (std::set<std::string>{"t", "p"}));
}

TEST(DeadbandDefTest, ExampleBuilds) {
  const ComponentDef def = DeadbandStageDef();
  const YAML::Node example = YAML::Load(def.example);
  TestHarness h;
  EXPECT_TRUE(h.BuildStage(def, YAML::Dump(example[def.type]))) << h.errors();
}

struct ConfigErrorCase {
  std::string yaml;
  std::string expected;  // a substring of the diagnostics
  friend void PrintTo(const ConfigErrorCase& c, std::ostream* os) { *os << c.yaml; }
};

class DeadbandConfigErrorTest : public ::testing::TestWithParam<ConfigErrorCase> {};

TEST_P(DeadbandConfigErrorTest, Reports) {
  TestHarness h;
  auto stage = h.BuildStage(DeadbandStageDef(), GetParam().yaml, Schema{true, {"t", "p"}});
  EXPECT_FALSE(stage);
  EXPECT_NE(h.errors().find(GetParam().expected), std::string::npos) << h.errors();
}

INSTANTIATE_TEST_SUITE_P(
    Deadband, DeadbandConfigErrorTest,
    ::testing::Values(
        ConfigErrorCase{"{ delta: 1 }", "missing required key 'fields'"},
        ConfigErrorCase{"{ fields: [t] }", "no threshold"},
        ConfigErrorCase{"{ fields: { t: {}, p: { delta: 1 } } }", "deadband.fields.t: no threshold"},
        ConfigErrorCase{"{ fields: [t], delta: 1, percent: 2 }", "deadband.percent: give either"},
        ConfigErrorCase{"{ fields: [t], delta: -1 }", "deadband.delta: must be >= 0"},
        ConfigErrorCase{"{ fields: { t: { delta: 1, percnt: 2 } } }", "did you mean 'percent'"},
        ConfigErrorCase{"{ fields: [tt], delta: 1 }", "unknown field 'tt'"},
        ConfigErrorCase{"{ fields: [t, t], delta: 1 }", "listed twice"},
        ConfigErrorCase{"{ fields: [], delta: 1 }", "list at least one field"},
        ConfigErrorCase{"{ fields: [t], delta: 1, max_silence: often }", "deadband.max_silence"},
        ConfigErrorCase{"{ fields: [t], delta: 1, max_keys: 0 }", "deadband.max_keys: must be > 0"},
        ConfigErrorCase{"{ fields: [t], delta: 1, mode: all }", "unknown key 'mode'"}));

}  // namespace
}  // namespace edgeflow
