#include "stages/smooth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <set>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

constexpr TimeMicros kT0 = 1'700'000'000LL * kMicrosPerSecond;

class SmoothTest : public ::testing::Test {
 protected:
  void Build(const std::string& yaml, Schema input = {}) {
    stage_ = h_.BuildStage(SmoothStageDef(), yaml, std::move(input));
    ASSERT_TRUE(stage_) << h_.errors();
  }
  // Feeds one event with field `v` (absent when nullopt); returns the output
  // event's `out` field (nullopt when absent).
  std::optional<double> Feed(std::optional<double> v, const std::string& device = "a",
                             TimeMicros t = kT0, const std::string& out_field = "v_smooth") {
    Batch b;
    Event& e = b.Append();
    e.device = Symbol::Intern(device);
    e.time = t;
    if (v) e.SetDouble(Symbol::Intern("v"), *v);
    CollectingEmitter out;
    stage_->Process(b, out);
    EXPECT_EQ(out.main().size(), 1u);
    if (out.main().empty()) return std::nullopt;
    return out.main()[0].Number(Symbol::Intern(out_field));
  }

  TestHarness h_;
  std::unique_ptr<Stage> stage_;
};

TEST_F(SmoothTest, MovingAverageFillsThenSlides) {
  Build("{ fields: [v], window: 3 }");
  EXPECT_EQ(Feed(3), 3.0);
  EXPECT_EQ(Feed(6), 4.5);
  EXPECT_EQ(Feed(9), 6.0);
  EXPECT_EQ(Feed(12), 9.0);
  EXPECT_EQ(Feed(0), 7.0);
  EXPECT_EQ(Feed(0), 4.0);
  EXPECT_EQ(Feed(0), 0.0);
}

TEST_F(SmoothTest, MovingAverageStaysAccurateOverManySamples) {
  Build("{ fields: [v], window: 7 }");
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  std::vector<double> history;
  for (int i = 0; i < 20000; ++i) {
    const double x = dist(rng) + 1e9;  // large offset: worst case for a running sum
    history.push_back(x);
    double sum = 0;
    const size_t n = std::min<size_t>(history.size(), 7);
    for (size_t k = history.size() - n; k < history.size(); ++k) sum += history[k];
    const std::optional<double> got = Feed(x);
    ASSERT_TRUE(got);
    ASSERT_NEAR(*got, sum / static_cast<double>(n), 1e-4) << i;
  }
}

TEST_F(SmoothTest, MovingMedianMatchesSorting) {
  Build("{ fields: [v], method: moving_median, window: 5 }");
  EXPECT_EQ(Feed(5), 5.0);
  EXPECT_EQ(Feed(1), 3.0);  // even count: mean of the middle two
  EXPECT_EQ(Feed(100), 5.0);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> dist(0, 20);  // many ties
  std::vector<double> history = {5, 1, 100};
  for (int i = 0; i < 2000; ++i) {
    const double x = dist(rng);
    history.push_back(x);
    std::vector<double> w(history.end() - std::min<ptrdiff_t>(5, std::ssize(history)),
                          history.end());
    std::sort(w.begin(), w.end());
    const double expected =
        w.size() % 2 == 1 ? w[w.size() / 2] : (w[w.size() / 2 - 1] + w[w.size() / 2]) / 2;
    ASSERT_EQ(Feed(x), expected) << i;
  }
}

TEST_F(SmoothTest, EwmaWithAlpha) {
  Build("{ fields: [v], method: ewma, alpha: 0.5 }");
  EXPECT_EQ(Feed(8), 8.0);  // starts at the first sample
  EXPECT_EQ(Feed(0), 4.0);
  EXPECT_EQ(Feed(0), 2.0);
  EXPECT_EQ(Feed(4), 3.0);
}

TEST_F(SmoothTest, EwmaWithHalfLifeUsesEventTime) {
  Build("{ fields: [v], method: ewma, half_life: 10s }");
  EXPECT_EQ(Feed(0, "a", kT0), 0.0);
  EXPECT_EQ(Feed(16, "a", kT0 + 10 * kMicrosPerSecond), 8.0);   // one half-life: half-way
  EXPECT_EQ(Feed(16, "a", kT0 + 30 * kMicrosPerSecond), 14.0);  // two: three quarters
  EXPECT_EQ(Feed(100, "a", kT0 + 30 * kMicrosPerSecond), 14.0);  // same time: weight 0
  EXPECT_EQ(Feed(100, "a", kT0 + 20 * kMicrosPerSecond), 14.0);  // earlier: weight 0
  const double expected = 14.0 + (1 - std::exp(-std::log(2.0) * 5 / 10)) * (4 - 14.0);
  EXPECT_NEAR(*Feed(4, "a", kT0 + 35 * kMicrosPerSecond), expected, 1e-12);
}

TEST_F(SmoothTest, MissingAndNanValuesAreNotFed) {
  Build("{ fields: [v], window: 2 }");
  EXPECT_EQ(Feed(2), 2.0);
  EXPECT_EQ(Feed(std::nullopt), std::nullopt);
  EXPECT_EQ(Feed(std::nan("")), std::nullopt);
  EXPECT_EQ(Feed(INFINITY), std::nullopt);
  EXPECT_EQ(Feed(4), 3.0);
  Batch b;
  Event& e = b.Append();
  e.device = Symbol::Intern("a");
  e.SetString(Symbol::Intern("v"), "high");
  CollectingEmitter out;
  stage_->Process(b, out);
  ASSERT_EQ(out.main().size(), 1u);
  EXPECT_EQ(out.main()[0].Find(Symbol::Intern("v_smooth")), nullptr);
  EXPECT_EQ(Feed(6), 5.0);
}

TEST_F(SmoothTest, ReplaceOverwritesTheField) {
  Build("{ fields: [v], window: 2, output: replace }");
  EXPECT_EQ(Feed(2, "a", kT0, "v"), 2.0);
  EXPECT_EQ(Feed(4, "a", kT0, "v"), 3.0);
  EXPECT_EQ(Feed(4, "a", kT0, "v_smooth"), std::nullopt);
  EXPECT_TRUE(std::isnan(*Feed(std::nan(""), "a", kT0, "v")));  // left as it was
}

TEST_F(SmoothTest, DevicesAndFieldsAreIndependent) {
  Build("{ fields: [v, w], window: 2 }");
  EXPECT_EQ(Feed(10, "a"), 10.0);
  EXPECT_EQ(Feed(0, "b"), 0.0);
  EXPECT_EQ(Feed(20, "a"), 15.0);
  EXPECT_EQ(Feed(2, "b"), 1.0);
  Batch b;
  Event& e = b.Append();
  e.device = Symbol::Intern("a");
  e.SetDouble(Symbol::Intern("w"), 100);
  e.SetDouble(Symbol::Intern("v"), 30);
  CollectingEmitter out;
  stage_->Process(b, out);
  EXPECT_EQ(out.main()[0].Number(Symbol::Intern("w_smooth")), 100.0);
  EXPECT_EQ(out.main()[0].Number(Symbol::Intern("v_smooth")), 25.0);
  EXPECT_EQ(out.main()[0].Number(Symbol::Intern("v")), 30.0);
}

TEST_F(SmoothTest, MaxKeysBoundsState) {
  Build("{ fields: [v], max_keys: 1 }");
  Batch b;
  for (const char* d : {"a", "b", "a", "b"}) {
    Event& e = b.Append();
    e.device = Symbol::Intern(d);
    e.SetDouble(Symbol::Intern("v"), 1);
  }
  CollectingEmitter out;
  stage_->Process(b, out);
  EXPECT_EQ(out.main().size(), 2u);
  EXPECT_EQ(h_.metrics().CounterValue("dropped", "stage=\"smooth\",reason=\"max_keys\""), 2u);
}

TEST_F(SmoothTest, OutputSchemaAddsSuffixedFields) {
  Build("{ fields: [v] }", Schema{true, {"v", "x"}});
  EXPECT_TRUE(h_.last_output_schema.known);
  EXPECT_EQ(h_.last_output_schema.fields, (std::set<std::string>{"v", "v_smooth", "x"}));
  TestHarness h;
  ASSERT_TRUE(h.BuildStage(SmoothStageDef(), "{ fields: [v], output: replace }",
                           Schema{true, {"v", "x"}}));
  EXPECT_EQ(h.last_output_schema.fields, (std::set<std::string>{"v", "x"}));
}

TEST(SmoothDefTest, ExampleBuilds) {
  const ComponentDef def = SmoothStageDef();
  const YAML::Node example = YAML::Load(def.example);
  TestHarness h;
  EXPECT_TRUE(h.BuildStage(def, YAML::Dump(example[def.type]))) << h.errors();
}

struct ConfigErrorCase {
  std::string yaml;
  std::string expected;
  friend void PrintTo(const ConfigErrorCase& c, std::ostream* os) { *os << c.yaml; }
};

class SmoothConfigErrorTest : public ::testing::TestWithParam<ConfigErrorCase> {};

TEST_P(SmoothConfigErrorTest, Reports) {
  TestHarness h;
  auto stage = h.BuildStage(SmoothStageDef(), GetParam().yaml, Schema{true, {"v"}});
  EXPECT_FALSE(stage);
  EXPECT_NE(h.errors().find(GetParam().expected), std::string::npos) << h.errors();
}

INSTANTIATE_TEST_SUITE_P(
    Smooth, SmoothConfigErrorTest,
    ::testing::Values(
        ConfigErrorCase{"{ method: ewma }", "missing required key 'fields'"},
        ConfigErrorCase{"{ fields: [] }", "list at least one field"},
        ConfigErrorCase{"{ fields: [vv] }", "unknown field 'vv'"},
        ConfigErrorCase{"{ fields: [v, v] }", "listed twice"},
        ConfigErrorCase{"{ fields: [v], method: moving_medain }", "did you mean 'moving_median'"},
        ConfigErrorCase{"{ fields: [v], window: 0 }", "smooth.window: must be between 1 and 1000"},
        ConfigErrorCase{"{ fields: [v], window: 1001 }", "must be between 1 and 1000"},
        ConfigErrorCase{"{ fields: [v], method: ewma, window: 5 }", "smooth.window: only used"},
        ConfigErrorCase{"{ fields: [v], alpha: 0.5 }", "smooth.alpha: only used with method: ewma"},
        ConfigErrorCase{"{ fields: [v], method: ewma, alpha: 0 }", "smooth.alpha: must be > 0"},
        ConfigErrorCase{"{ fields: [v], method: ewma, alpha: 1.5 }", "must be > 0 and <= 1"},
        ConfigErrorCase{"{ fields: [v], method: ewma, half_life: 0s }", "smooth.half_life: must be > 0"},
        ConfigErrorCase{"{ fields: [v], method: ewma, alpha: 0.1, half_life: 1s }", "not both"},
        ConfigErrorCase{"{ fields: [v], output: inplace }", "allowed: suffix, replace"}));

}  // namespace
}  // namespace edgeflow
