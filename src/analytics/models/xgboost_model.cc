#include "analytics/models/xgboost_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace edgeflow::analytics {
namespace {

using nlohmann::json;

enum class Objective { kIdentity, kLogistic, kLogitRaw, kBinaryLogistic, kSoftmax };

struct Tree {
  std::vector<int32_t> left, right, feature;
  std::vector<float> condition;  // split value, or the leaf value at leaves
  std::vector<uint8_t> default_left;
  int group = 0;
};

class XgboostModel final : public Model {
 public:
  std::string_view kind() const override { return "xgboost"; }
  ModelTask task() const override {
    return objective_ == Objective::kBinaryLogistic || objective_ == Objective::kSoftmax ? ModelTask::kClassification
                                                                                         : ModelTask::kRegression;
  }
  size_t num_features() const override { return num_features_; }
  const std::vector<std::string>& class_labels() const override { return labels_; }

  void Predict(std::span<const double> x, ModelOutput& out) const override {
    out.outputs.clear();
    std::vector<double>& margin = out.probabilities;  // reused: margins, then probabilities
    margin.assign(static_cast<size_t>(groups_), base_margin_);
    for (const Tree& t : trees_) {
      int32_t node = 0;
      while (t.left[static_cast<size_t>(node)] >= 0) {
        const auto n = static_cast<size_t>(node);
        const double v = x[static_cast<size_t>(t.feature[n])];
        bool go_left;
        if (std::isnan(v)) {
          go_left = t.default_left[n] != 0;
        } else {
          go_left = static_cast<float>(v) < t.condition[n];
        }
        node = go_left ? t.left[n] : t.right[n];
      }
      margin[static_cast<size_t>(t.group)] += t.condition[static_cast<size_t>(node)];
    }
    switch (objective_) {
      case Objective::kIdentity:
      case Objective::kLogitRaw:
        out.value = margin[0];
        margin.clear();
        break;
      case Objective::kLogistic:
        out.value = Sigmoid(margin[0]);
        margin.clear();
        break;
      case Objective::kBinaryLogistic: {
        const double p = Sigmoid(margin[0]);
        margin = {1 - p, p};
        out.value = p > 0.5 ? 1 : 0;
        break;
      }
      case Objective::kSoftmax: {
        const double top = *std::max_element(margin.begin(), margin.end());
        double sum = 0;
        for (double& m : margin) sum += (m = std::exp(m - top));
        for (double& m : margin) m /= sum;
        out.value = static_cast<double>(std::max_element(margin.begin(), margin.end()) - margin.begin());
        break;
      }
    }
  }

  static double Sigmoid(double m) { return 1.0 / (1.0 + std::exp(-m)); }

  Objective objective_ = Objective::kIdentity;
  int groups_ = 1;
  double base_margin_ = 0;
  size_t num_features_ = 0;
  std::vector<Tree> trees_;
  std::vector<std::string> labels_;
};

// XGBoost writes its parameters as strings ("5E-1").
double NumberParam(const json& j, const char* key, double fallback) {
  if (!j.contains(key)) return fallback;
  const json& v = j.at(key);
  if (v.is_number()) return v.get<double>();
  return std::stod(v.get<std::string>());
}

Status ParseTree(const json& jt, size_t num_features, int groups, Tree& t) {
  t.left = jt.at("left_children").get<std::vector<int32_t>>();
  t.right = jt.at("right_children").get<std::vector<int32_t>>();
  t.feature = jt.at("split_indices").get<std::vector<int32_t>>();
  t.condition = jt.at("split_conditions").get<std::vector<float>>();
  std::vector<int> defaults;  // 0/1, or booleans in some XGBoost versions
  for (const json& d : jt.at("default_left")) defaults.push_back(d.is_boolean() ? d.get<bool>() : d.get<int>());
  const size_t n = t.left.size();
  if (n == 0 || t.right.size() != n || t.feature.size() != n || t.condition.size() != n || defaults.size() != n) {
    return InvalidData("tree arrays have different lengths");
  }
  if (jt.contains("split_type")) {
    for (int type : jt.at("split_type").get<std::vector<int>>()) {
      if (type != 0) return InvalidData("categorical splits are not supported");
    }
  }
  t.default_left.assign(defaults.begin(), defaults.end());
  for (size_t i = 0; i < n; ++i) {
    const bool leaf = t.left[i] < 0;
    if (leaf) continue;
    // Children come after their parent in XGBoost's layout; requiring it
    // also rules out cycles.
    if (static_cast<size_t>(t.left[i]) >= n || t.right[i] < 0 || static_cast<size_t>(t.right[i]) >= n ||
        static_cast<size_t>(t.left[i]) <= i || static_cast<size_t>(t.right[i]) <= i) {
      return InvalidData("tree node " + std::to_string(i) + " has an invalid child index");
    }
    if (t.feature[i] < 0 || static_cast<size_t>(t.feature[i]) >= num_features) {
      return InvalidData("tree node " + std::to_string(i) + " splits on feature " + std::to_string(t.feature[i]) +
                         " but the model has " + std::to_string(num_features) + " features");
    }
  }
  if (t.group < 0 || t.group >= groups) return InvalidData("tree_info names an unknown class");
  return Status::Ok();
}

Result<std::unique_ptr<Model>> Parse(const json& doc) {
  auto model = std::make_unique<XgboostModel>();
  const json& learner = doc.at("learner");
  const json& params = learner.at("learner_model_param");
  const std::string objective = learner.at("objective").at("name").get<std::string>();
  const double base_score = NumberParam(params, "base_score", 0.5);
  const int num_class = static_cast<int>(NumberParam(params, "num_class", 0));
  model->num_features_ = static_cast<size_t>(NumberParam(params, "num_feature", 0));
  if (NumberParam(params, "num_target", 1) != 1) return InvalidData("multi-target models are not supported");
  if (model->num_features_ == 0) return InvalidData("num_feature is 0");

  if (objective == "reg:squarederror" || objective == "reg:linear" || objective == "reg:absoluteerror" ||
      objective == "reg:pseudohubererror") {
    model->objective_ = Objective::kIdentity;
    model->base_margin_ = base_score;
  } else if (objective == "reg:logistic" || objective == "binary:logistic" || objective == "binary:logitraw") {
    model->objective_ = objective == "reg:logistic"      ? Objective::kLogistic
                        : objective == "binary:logistic" ? Objective::kBinaryLogistic
                                                         : Objective::kLogitRaw;
    if (objective == "binary:logitraw") {
      model->base_margin_ = base_score;
    } else {
      if (!(base_score > 0 && base_score < 1)) return InvalidData("base_score must be in (0, 1) for " + objective);
      model->base_margin_ = std::log(base_score / (1 - base_score));
    }
    if (model->objective_ == Objective::kBinaryLogistic) model->labels_ = {"0", "1"};
  } else if (objective == "multi:softprob" || objective == "multi:softmax") {
    if (num_class < 2) return InvalidData(objective + " needs num_class >= 2");
    model->objective_ = Objective::kSoftmax;
    model->groups_ = num_class;
    model->base_margin_ = base_score;
    for (int c = 0; c < num_class; ++c) model->labels_.push_back(std::to_string(c));
  } else {
    return InvalidData("unsupported objective '" + objective +
                       "' (supported: reg:squarederror, reg:absoluteerror, reg:pseudohubererror, "
                       "reg:logistic, binary:logistic, binary:logitraw, multi:softprob, multi:softmax)");
  }

  const json& booster = learner.at("gradient_booster");
  const std::string booster_name = booster.at("name").get<std::string>();
  if (booster_name != "gbtree") return InvalidData("unsupported booster '" + booster_name + "' (only gbtree)");
  const json& gbtree = booster.at("model");
  const json& trees = gbtree.at("trees");
  const auto tree_info = gbtree.at("tree_info").get<std::vector<int>>();
  if (tree_info.size() != trees.size()) return InvalidData("tree_info and trees differ in length");
  for (size_t i = 0; i < trees.size(); ++i) {
    Tree t;
    t.group = tree_info[i];
    Status s = ParseTree(trees[i], model->num_features_, model->groups_, t);
    if (!s.ok()) return s.WithContext("tree " + std::to_string(i));
    model->trees_.push_back(std::move(t));
  }
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace

Result<std::unique_ptr<Model>> ParseXgboostModel(std::string_view text) {
  try {
    const json doc = json::parse(text);
    return Parse(doc);
  } catch (const std::exception& e) {  // nlohmann::json errors, std::stod
    return InvalidData(std::string("not a valid XGBoost JSON model: ") + e.what());
  }
}

}  // namespace edgeflow::analytics
