#include "stages/dedupe.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

constexpr TimeMicros kT0 = 1'700'000'000LL * kMicrosPerSecond;

using Fields = std::vector<std::pair<std::string, double>>;

class DedupeTest : public ::testing::Test {
 protected:
  void Build(const std::string& yaml, Schema input = {}) {
    stage_ = h_.BuildStage(DedupeStageDef(), yaml, std::move(input));
    ASSERT_TRUE(stage_) << h_.errors();
  }
  static Event& Add(Batch& b, const std::string& device, TimeMicros t, const Fields& fields = {}) {
    Event& e = b.Append();
    e.device = Symbol::Intern(device);
    e.time = t;
    for (const auto& [name, v] : fields) e.SetDouble(Symbol::Intern(name), v);
    return e;
  }
  // Processes `b` and returns how many events passed.
  size_t Run(Batch& b) {
    CollectingEmitter out;
    stage_->Process(b, out);
    return out.main().size();
  }
  bool Feed(const std::string& device, TimeMicros t, const Fields& fields = {}) {
    Batch b;
    Add(b, device, t, fields);
    return Run(b) == 1;
  }
  void Watermark(TimeMicros wm) {
    CollectingEmitter out;
    stage_->OnWatermark(wm, out);
    EXPECT_TRUE(out.ports.empty());
  }
  uint64_t Duplicates() {
    return h_.metrics().CounterValue("dropped", "stage=\"dedupe\",reason=\"duplicate\"");
  }

  TestHarness h_;
  std::unique_ptr<Stage> stage_;
};

TEST_F(DedupeTest, DropsSameDeviceAndTime) {
  Build("{}");
  Batch b;
  Add(b, "a", kT0, {{"t", 1}});
  Add(b, "a", kT0, {{"t", 2}});  // same identity; values are not compared
  Add(b, "a", kT0 + 1, {{"t", 1}});
  Add(b, "b", kT0, {{"t", 1}});
  CollectingEmitter out;
  stage_->Process(b, out);
  ASSERT_EQ(out.main().size(), 3u);
  EXPECT_EQ(out.main()[0].Number(Symbol::Intern("t")), 1.0);
  EXPECT_EQ(out.main()[1].time, kT0 + 1);
  EXPECT_EQ(out.main()[2].device, Symbol::Intern("b"));
  EXPECT_EQ(Duplicates(), 1u);
  // Across batches too.
  EXPECT_FALSE(Feed("b", kT0));
  EXPECT_EQ(Duplicates(), 2u);
}

TEST_F(DedupeTest, ExtraFieldsMustAlsoBeEqual) {
  Build("{ fields: [seq] }");
  EXPECT_TRUE(Feed("a", kT0, {{"seq", 1}}));
  EXPECT_TRUE(Feed("a", kT0, {{"seq", 2}}));
  EXPECT_FALSE(Feed("a", kT0, {{"seq", 2}, {"other", 5}}));
  EXPECT_TRUE(Feed("a", kT0));  // a missing field differs from every value
  EXPECT_FALSE(Feed("a", kT0));
}

TEST_F(DedupeTest, NumbersCompareByValue) {
  Build("{ key: [device], fields: [v] }");
  Batch b;
  Add(b, "a", kT0).SetInt(Symbol::Intern("v"), 1);
  Add(b, "a", kT0 + 1).SetDouble(Symbol::Intern("v"), 1.0);
  Add(b, "a", kT0 + 2).SetString(Symbol::Intern("v"), "1");
  Add(b, "a", kT0 + 3).SetBool(Symbol::Intern("v"), true);
  Add(b, "a", kT0 + 4).SetDouble(Symbol::Intern("v"), -0.0);
  Add(b, "a", kT0 + 5).SetInt(Symbol::Intern("v"), 0);
  Add(b, "a", kT0 + 6).SetString(Symbol::Intern("v"), "1");
  EXPECT_EQ(Run(b), 4u);  // 1, "1", true, -0
}

TEST_F(DedupeTest, AllFieldsInAnyOrder) {
  Build("{ key: [device], fields: all }");
  EXPECT_TRUE(Feed("a", kT0, {{"x", 1}, {"y", 2}}));
  EXPECT_FALSE(Feed("a", kT0 + 1, {{"y", 2}, {"x", 1}}));
  EXPECT_TRUE(Feed("a", kT0 + 2, {{"x", 1}}));
  EXPECT_TRUE(Feed("a", kT0 + 3, {{"x", 1}, {"y", 2}, {"z", 0}}));
  EXPECT_TRUE(Feed("a", kT0 + 4, {{"x", 2}, {"y", 1}}));  // values swapped between names
}

TEST_F(DedupeTest, TagsAndFieldsAsKey) {
  Build("{ key: [tags.site, seq] }");
  Batch b;
  Add(b, "a", kT0, {{"seq", 1}}).SetTag(Symbol::Intern("site"), "p1");
  Add(b, "b", kT0 + 5, {{"seq", 1}}).SetTag(Symbol::Intern("site"), "p1");  // device not in key
  Add(b, "a", kT0, {{"seq", 1}}).SetTag(Symbol::Intern("site"), "p2");
  Add(b, "a", kT0, {{"seq", 1}});
  EXPECT_EQ(Run(b), 3u);
}

TEST_F(DedupeTest, ForgetsBehindWatermarkMinusWithin) {
  Build("{ within: 1m }");
  EXPECT_TRUE(Feed("a", kT0));
  EXPECT_TRUE(Feed("a", kT0 + 30 * kMicrosPerSecond));
  Watermark(kT0 + kMicrosPerMinute);  // horizon kT0: nothing older than it
  EXPECT_FALSE(Feed("a", kT0));
  Watermark(kT0 + kMicrosPerMinute + 1);  // kT0 is now older than the horizon
  EXPECT_TRUE(Feed("a", kT0));            // forgotten: passes again
  EXPECT_FALSE(Feed("a", kT0 + 30 * kMicrosPerSecond));
  Watermark(kT0 + 2 * kMicrosPerMinute);
  EXPECT_TRUE(Feed("a", kT0 + 30 * kMicrosPerSecond));
}

TEST_F(DedupeTest, PrunesOutOfOrderEntriesByEventTime) {
  Build("{ within: 10s }");
  EXPECT_TRUE(Feed("a", kT0 + 20 * kMicrosPerSecond));
  EXPECT_TRUE(Feed("a", kT0));  // arrives later but is older
  Watermark(kT0 + 15 * kMicrosPerSecond);
  EXPECT_TRUE(Feed("a", kT0));  // forgotten although it was inserted last
  EXPECT_FALSE(Feed("a", kT0 + 20 * kMicrosPerSecond));
}

TEST_F(DedupeTest, MaxEntriesEvictsOldestByEventTime) {
  Build("{ max_entries: 3 }");
  EXPECT_TRUE(Feed("a", kT0 + 2));
  EXPECT_TRUE(Feed("a", kT0));
  EXPECT_TRUE(Feed("a", kT0 + 1));
  EXPECT_TRUE(Feed("a", kT0 + 3));  // evicts kT0
  EXPECT_EQ(h_.metrics().CounterValue("state_evicted", "stage=\"dedupe\""), 1u);
  EXPECT_FALSE(Feed("a", kT0 + 1));
  EXPECT_FALSE(Feed("a", kT0 + 2));
  EXPECT_FALSE(Feed("a", kT0 + 3));
  EXPECT_TRUE(Feed("a", kT0));  // was forgotten
}

TEST_F(DedupeTest, StaysBoundedUnderLoad) {
  Build("{ max_entries: 100, within: 1s }");
  Batch b;
  for (int i = 0; i < 10000; ++i) Add(b, "d" + std::to_string(i % 7), kT0 + i);
  EXPECT_EQ(Run(b), 10000u);
  EXPECT_EQ(h_.metrics().CounterValue("state_evicted", "stage=\"dedupe\""), 9900u);
}

TEST_F(DedupeTest, OutputSchemaIsTheInputSchema) {
  Build("{ fields: [seq] }", Schema{true, {"seq", "t"}});
  EXPECT_EQ(h_.last_output_schema.fields, (std::set<std::string>{"seq", "t"}));
}

TEST(DedupeDefTest, ExampleBuilds) {
  const ComponentDef def = DedupeStageDef();
  const YAML::Node example = YAML::Load(def.example);
  TestHarness h;
  EXPECT_TRUE(h.BuildStage(def, YAML::Dump(example[def.type]))) << h.errors();
}

struct ConfigErrorCase {
  std::string yaml;
  std::string expected;
  friend void PrintTo(const ConfigErrorCase& c, std::ostream* os) { *os << c.yaml; }
};

class DedupeConfigErrorTest : public ::testing::TestWithParam<ConfigErrorCase> {};

TEST_P(DedupeConfigErrorTest, Reports) {
  TestHarness h;
  auto stage = h.BuildStage(DedupeStageDef(), GetParam().yaml, Schema{true, {"seq"}});
  EXPECT_FALSE(stage);
  EXPECT_NE(h.errors().find(GetParam().expected), std::string::npos) << h.errors();
}

INSTANTIATE_TEST_SUITE_P(
    Dedupe, DedupeConfigErrorTest,
    ::testing::Values(ConfigErrorCase{"{ within: 0s }", "dedupe.within: must be > 0"},
                      ConfigErrorCase{"{ within: soon }", "dedupe.within"},
                      ConfigErrorCase{"{ max_entries: -1 }", "dedupe.max_entries: must be > 0"},
                      ConfigErrorCase{"{ key: [] }", "list at least one key part"},
                      ConfigErrorCase{"{ key: [device, sq] }", "did you mean 'seq'"},
                      ConfigErrorCase{"{ fields: [sequence] }", "unknown field 'sequence'"},
                      ConfigErrorCase{"{ field: [seq] }", "did you mean 'fields'"}));

}  // namespace
}  // namespace edgeflow
