#include "analytics/models/model_loader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include "analytics/models/sklearn_model.h"
#include "analytics/models/xgboost_model.h"

namespace edgeflow::analytics {
namespace {

// One tree: feature 1 < 0.5 ? -1 : +2; missing goes right.
std::string XgbJson(const std::string& objective, const std::string& base_score = "5E-1",
                    const std::string& num_class = "0", const std::string& trees_extra = "") {
  return R"({"learner":{"attributes":{},"feature_names":[],"feature_types":[],
  "gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"1"},
  "tree_info":[0],"trees":[{"base_weights":[0,0,0],"default_left":[0,0,0],"id":0,
  "left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_conditions":[0.5,-1.0,2.0],
  "split_indices":[1,0,0],"split_type":[0,0,0],"tree_param":{"num_feature":"2","num_nodes":"3"}})" +
         trees_extra + R"(]},"name":"gbtree"},
  "learner_model_param":{"base_score":")" + base_score + R"(","num_class":")" + num_class +
         R"(","num_feature":"2","num_target":"1"},
  "objective":{"name":")" + objective + R"("}},"version":[1,7,4]})";
}

TEST(XgboostModelTest, RegressionWalksTreeFromBaseScore) {
  auto m = ParseXgboostModel(XgbJson("reg:squarederror"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ModelOutput out;
  const double low[] = {9, 0.25};
  (*m)->Predict(low, out);
  EXPECT_DOUBLE_EQ(out.value, 0.5 - 1.0);
  const double high[] = {9, 0.75};
  (*m)->Predict(high, out);
  EXPECT_DOUBLE_EQ(out.value, 0.5 + 2.0);
  // Missing follows default_left = 0: right.
  const double missing[] = {9, std::nan("")};
  (*m)->Predict(missing, out);
  EXPECT_DOUBLE_EQ(out.value, 2.5);
  // Single-precision comparison: 0.49999999999 rounds to 0.5f, not < 0.5f.
  const double edge[] = {9, 0.49999999999};
  (*m)->Predict(edge, out);
  EXPECT_DOUBLE_EQ(out.value, 2.5);
}

TEST(XgboostModelTest, BinaryLogisticTurnsBaseScoreIntoMargin) {
  auto m = ParseXgboostModel(XgbJson("binary:logistic", "2E-1"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->task(), ModelTask::kClassification);
  ModelOutput out;
  const double x[] = {0, 0.9};
  (*m)->Predict(x, out);
  const double p = 1 / (1 + std::exp(-(std::log(0.2 / 0.8) + 2.0)));
  ASSERT_EQ(out.probabilities.size(), 2u);
  EXPECT_NEAR(out.probabilities[1], p, 1e-12);
  EXPECT_EQ(out.value, p > 0.5 ? 1 : 0);
}

TEST(XgboostModelTest, RejectsWhatItCannotRun) {
  auto objective = ParseXgboostModel(XgbJson("rank:pairwise"));
  ASSERT_FALSE(objective.ok());
  EXPECT_NE(objective.status().message().find("unsupported objective 'rank:pairwise'"), std::string::npos);

  const std::string full = XgbJson("reg:squarederror");
  auto truncated = ParseXgboostModel(full.substr(0, full.size() / 2));
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("not a valid XGBoost JSON model"), std::string::npos);

  std::string bad_child = full;
  bad_child.replace(bad_child.find("[1,-1,-1]"), 9, "[7,-1,-1]");
  auto child = ParseXgboostModel(bad_child);
  ASSERT_FALSE(child.ok());
  EXPECT_NE(child.status().message().find("invalid child index"), std::string::npos);

  std::string bad_feature = full;
  bad_feature.replace(bad_feature.find("[1,0,0]"), 7, "[5,0,0]");
  auto feature = ParseXgboostModel(bad_feature);
  ASSERT_FALSE(feature.ok());
  EXPECT_NE(feature.status().message().find("splits on feature 5"), std::string::npos);

  auto softprob = ParseXgboostModel(XgbJson("multi:softprob", "5E-1", "1"));
  EXPECT_FALSE(softprob.ok());
}

std::string EdgeflowJson(int version, const std::string& estimator, const std::string& extra = "") {
  return R"({"format":"edgeflow-model","format_version":)" + std::to_string(version) +
         R"(,"n_features":2,"task":"regression")" + extra + R"(,"steps":[{"type":"standard_scaler","mean":[1,2],"scale":[2,4]},)" +
         estimator + "]}";
}

TEST(EdgeflowModelTest, ScalerThenLinearRegression) {
  auto m = ParseEdgeflowModel(EdgeflowJson(1, R"({"type":"linear_regression","coef":[3,-1],"intercept":0.5})"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ModelOutput out;
  const double x[] = {5, 10};  // scaled: (2, 2)
  (*m)->Predict(x, out);
  EXPECT_DOUBLE_EQ(out.value, 3 * 2 - 1 * 2 + 0.5);
}

TEST(EdgeflowModelTest, MultinomialLogisticIsSoftmax) {
  auto m = ParseEdgeflowModel(EdgeflowJson(
      1, R"({"type":"logistic_regression","coef":[[1,0],[0,1],[0,0]],"intercept":[0,0,0],"multi_class":"multinomial"})",
      R"(,"classes":["a","b","c"])"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE((*m)->numeric_labels());
  ModelOutput out;
  const double x[] = {3, 2};  // scaled: (1, 0)
  (*m)->Predict(x, out);
  const double z = std::exp(1.0) + 2;
  EXPECT_NEAR(out.probabilities[0], std::exp(1.0) / z, 1e-12);
  EXPECT_NEAR(out.probabilities[1], 1 / z, 1e-12);
  EXPECT_EQ(out.value, 0);
}

TEST(EdgeflowModelTest, RejectsBadFiles) {
  auto version = ParseEdgeflowModel(EdgeflowJson(2, R"({"type":"linear_regression","coef":[3,-1],"intercept":0})"));
  ASSERT_FALSE(version.ok());
  EXPECT_NE(version.status().message().find("unsupported format_version 2"), std::string::npos);

  auto estimator = ParseEdgeflowModel(EdgeflowJson(1, R"({"type":"svm"})"));
  ASSERT_FALSE(estimator.ok());
  EXPECT_NE(estimator.status().message().find("unsupported estimator 'svm'"), std::string::npos);

  auto coef = ParseEdgeflowModel(EdgeflowJson(1, R"({"type":"linear_regression","coef":[3],"intercept":0})"));
  ASSERT_FALSE(coef.ok());
  EXPECT_NE(coef.status().message().find("coef has 1 values, expected 2"), std::string::npos);

  auto other = ParseEdgeflowModel(R"({"hello": 1})");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("not an edgeflow-model file"), std::string::npos);
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(ModelLoaderTest, DetectsKindChecksInputsAndVersions) {
  const std::string xgb = WriteFile("loader_xgb.json", XgbJson("reg:squarederror"));
  ModelLoadOptions options;
  options.num_inputs = 2;
  auto loaded = LoadModelFile(xgb, options);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->model->kind(), "xgboost");
  EXPECT_EQ(loaded->version.rfind("sha256:", 0), 0u);
  EXPECT_EQ(loaded->version.size(), 7u + 16u);

  options.num_inputs = 3;
  auto mismatch = LoadModelFile(xgb, options);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("takes 2 features but 3 input fields"), std::string::npos);

  const std::string ef = WriteFile(
      "loader_ef.json",
      EdgeflowJson(1, R"({"type":"linear_regression","coef":[3,-1],"intercept":0.5})", R"(,"model_version":"v7")"));
  options.num_inputs = 2;
  auto declared = LoadModelFile(ef, options);
  ASSERT_TRUE(declared.ok()) << declared.status().ToString();
  EXPECT_EQ(declared->version, "v7");

  auto absent = LoadModelFile(::testing::TempDir() + "/no_such_model.json", options);
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().code(), StatusCode::kNotFound);

  auto empty = LoadModelFile(WriteFile("loader_empty.json", ""), options);
  EXPECT_FALSE(empty.ok());

  options.quantize_int8 = true;
  auto int8 = LoadModelFile(xgb, options);
  ASSERT_FALSE(int8.ok());
  EXPECT_NE(int8.status().message().find("ONNX models only"), std::string::npos);
}

}  // namespace
}  // namespace edgeflow::analytics
