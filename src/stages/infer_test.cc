#include "stages/infer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <string>
#include <utility>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

std::string LinearModel(double a, double b, const std::string& version) {
  return R"({"format":"edgeflow-model","format_version":1,"model_version":")" + version +
         R"(","n_features":2,"task":"regression","steps":[{"type":"linear_regression","coef":[)" +
         std::to_string(a) + "," + std::to_string(b) + R"(],"intercept":0}]})";
}

const char* kClassifier =
    R"({"format":"edgeflow-model","format_version":1,"n_features":2,"task":"classification",
"classes":["ok","worn"],"steps":[{"type":"logistic_regression","coef":[[1,1]],"intercept":[0],"multi_class":"ovr"}]})";

class InferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/infer_test_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json";
    WriteModel(LinearModel(2, 3, "v1"));
  }
  void WriteModel(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }
  void Build(const std::string& options) {
    stage_ = h_.BuildStage(InferStageDef(), "{ model: " + path_ + ", inputs: [x, y]" + options + " }");
    ASSERT_TRUE(stage_) << h_.errors();
  }
  // Runs one event (y absent when NaN); returns what came out.
  Batch Run(double x, double y) {
    Batch b;
    Event& e = b.Append();
    e.device = Symbol::Intern("d");
    e.SetDouble(Symbol::Intern("x"), x);
    if (!std::isnan(y)) e.SetDouble(Symbol::Intern("y"), y);
    CollectingEmitter out;
    stage_->Process(b, out);
    return std::move(out.main());
  }
  static std::optional<double> Field(const Batch& b, const char* name) {
    if (b.empty()) return std::nullopt;
    return b[0].Number(Symbol::Intern(name));
  }
  static std::string Text(const Batch& b, const char* name) {
    const Value* v = b[0].Find(Symbol::Intern(name));
    return v && v->type == ValueType::kString ? std::string(b[0].Text(*v)) : "";
  }

  std::string path_;
  TestHarness h_;
  std::unique_ptr<Stage> stage_;
};

TEST_F(InferTest, PredictsAndTagsVersion) {
  Build("");
  const Batch out = Run(1, 2);
  EXPECT_EQ(Field(out, "prediction"), 2.0 * 1 + 3.0 * 2);
  EXPECT_EQ(Text(out, "model_version"), "v1");
  EXPECT_EQ(h_.CounterTotal("infer_predictions"), 1u);
}

TEST_F(InferTest, ClassifierWritesLabelAndProbabilities) {
  WriteModel(kClassifier);
  Build(", output: wear");
  const Batch out = Run(1, 1);
  EXPECT_EQ(Text(out, "wear"), "worn");
  EXPECT_NEAR(*Field(out, "wear_prob_worn"), 1 / (1 + std::exp(-2.0)), 1e-12);
  EXPECT_NEAR(*Field(out, "wear_prob_ok"), 1 - 1 / (1 + std::exp(-2.0)), 1e-12);
}

TEST_F(InferTest, MissingInputsFollowThePolicyAndAreCounted) {
  Build("");
  Batch skipped = Run(1, std::nan(""));
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_FALSE(Field(skipped, "prediction"));
  EXPECT_EQ(h_.CounterTotal("infer_missing_inputs"), 1u);

  TestHarness h2;
  auto drop = h2.BuildStage(InferStageDef(), "{ model: " + path_ + ", inputs: [x, y], missing: drop }");
  ASSERT_TRUE(drop) << h2.errors();
  Batch b;
  b.Append().SetDouble(Symbol::Intern("x"), 1);
  CollectingEmitter out;
  drop->Process(b, out);
  EXPECT_TRUE(out.main().empty());
  EXPECT_EQ(h2.CounterTotal("infer_missing_inputs"), 1u);

  TestHarness h3;
  auto nan = h3.BuildStage(InferStageDef(), "{ model: " + path_ + ", inputs: [x, y], missing: nan }");
  ASSERT_TRUE(nan) << h3.errors();
  Batch c;
  c.Append().SetDouble(Symbol::Intern("x"), 1);
  CollectingEmitter out3;
  nan->Process(c, out3);
  ASSERT_EQ(out3.main().size(), 1u);
  EXPECT_TRUE(std::isnan(*out3.main()[0].Number(Symbol::Intern("prediction"))));
}

TEST_F(InferTest, ReloadsAChangedFileAndKeepsTheOldOneWhenBroken) {
  Build(", reload_check: 1s");
  CollectingEmitter ignored;
  EXPECT_EQ(Field(Run(1, 1), "prediction"), 5.0);

  WriteModel(LinearModel(10, 20, "v2-longer"));  // differs in size, so it is a change
  h_.clock().Advance(2 * kMicrosPerSecond);
  stage_->OnTick(h_.clock().Now(), ignored);
  const Batch after = Run(1, 1);
  EXPECT_EQ(Field(after, "prediction"), 30.0);
  EXPECT_EQ(Text(after, "model_version"), "v2-longer");
  EXPECT_EQ(h_.CounterTotal("infer_reloads"), 1u);

  WriteModel(R"({"format":"edgeflow-model","format_versi)");  // truncated
  h_.clock().Advance(2 * kMicrosPerSecond);
  stage_->OnTick(h_.clock().Now(), ignored);
  h_.clock().Advance(2 * kMicrosPerSecond);
  stage_->OnTick(h_.clock().Now(), ignored);  // not retried until it changes again
  EXPECT_EQ(h_.CounterTotal("infer_reload_errors"), 1u);
  EXPECT_EQ(Field(Run(1, 1), "prediction"), 30.0);
}

TEST_F(InferTest, BadModelsAreConfigErrors) {
  WriteModel(R"({"format":"edgeflow-model","format_version":9,"n_features":2,"steps":[]})");
  auto stage = h_.BuildStage(InferStageDef(), "{ model: " + path_ + ", inputs: [x, y] }");
  EXPECT_FALSE(stage);
  EXPECT_NE(h_.errors().find("unsupported format_version 9"), std::string::npos) << h_.errors();

  TestHarness h2;
  WriteModel(LinearModel(1, 1, "v"));
  auto mismatch = h2.BuildStage(InferStageDef(), "{ model: " + path_ + ", inputs: [x, y, z] }");
  EXPECT_FALSE(mismatch);
  EXPECT_NE(h2.errors().find("takes 2 features but 3 input fields"), std::string::npos) << h2.errors();

  TestHarness h3;
  auto calib = h3.BuildStage(InferStageDef(), "{ model: " + path_ + ", inputs: [x, y], calibration: c.csv }");
  EXPECT_FALSE(calib);
  EXPECT_NE(h3.errors().find("only used with quantize: int8"), std::string::npos) << h3.errors();
}

}  // namespace
}  // namespace edgeflow
