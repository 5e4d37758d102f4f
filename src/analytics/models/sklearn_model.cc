#include "analytics/models/sklearn_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace edgeflow::analytics {
namespace {

using nlohmann::json;

enum class Estimator { kLinear, kLogistic, kForestClassifier, kForestRegressor, kIsolationForest };

struct Tree {
  std::vector<int32_t> left, right, feature;
  std::vector<double> threshold;
  std::vector<double> value;  // per node: `width` values (class probabilities, or one)
  size_t width = 1;
};

// Average path length of an unsuccessful search in a binary search tree of
// n points (sklearn's _average_path_length).
double AveragePathLength(double n) {
  if (n <= 1) return 0;
  if (n <= 2) return 1;
  return 2.0 * (std::log(n - 1.0) + std::numbers::egamma) - 2.0 * (n - 1.0) / n;
}

class SklearnModel final : public Model {
 public:
  std::string_view kind() const override { return "sklearn"; }
  ModelTask task() const override { return task_; }
  size_t num_features() const override { return num_features_; }
  const std::vector<std::string>& class_labels() const override { return labels_; }
  bool numeric_labels() const override { return numeric_labels_; }

  void Predict(std::span<const double> input, ModelOutput& out) const override {
    // Per thread: stages on different threads may share this model.
    thread_local std::vector<double> x;
    x.assign(input.begin(), input.end());
    if (!mean_.empty() || !scale_.empty()) {
      for (size_t i = 0; i < x.size(); ++i) {
        if (!mean_.empty()) x[i] -= mean_[i];
        if (!scale_.empty()) x[i] /= scale_[i];
      }
    }
    out.outputs.clear();
    out.probabilities.clear();
    switch (estimator_) {
      case Estimator::kLinear: out.value = Dot(coef_[0], x) + intercept_[0]; break;
      case Estimator::kLogistic: Logistic(x, out); break;
      case Estimator::kForestClassifier: {
        out.probabilities.assign(labels_.size(), 0.0);
        for (const Tree& t : trees_) {
          const double* leaf = &t.value[static_cast<size_t>(Leaf(t, x)) * t.width];
          for (size_t c = 0; c < t.width; ++c) out.probabilities[c] += leaf[c];
        }
        for (double& p : out.probabilities) p /= static_cast<double>(trees_.size());
        out.value = ArgMax(out.probabilities);
        break;
      }
      case Estimator::kForestRegressor: {
        double sum = 0;
        for (const Tree& t : trees_) sum += t.value[static_cast<size_t>(Leaf(t, x))];
        out.value = sum / static_cast<double>(trees_.size());
        break;
      }
      case Estimator::kIsolationForest: {
        double depths = 0;
        for (const Tree& t : trees_) {
          int depth = 0;
          const int32_t leaf = Leaf(t, x, &depth);
          depths += depth + AveragePathLength(t.value[static_cast<size_t>(leaf)]);
        }
        const double norm = static_cast<double>(trees_.size()) * AveragePathLength(max_samples_);
        out.score = -std::exp2(-depths / norm);
        out.value = out.score - offset_ < 0 ? -1 : 1;
        break;
      }
    }
  }

  static double Dot(const std::vector<double>& w, const std::vector<double>& x) {
    double s = 0;
    for (size_t i = 0; i < w.size(); ++i) s += w[i] * x[i];
    return s;
  }
  static double ArgMax(const std::vector<double>& v) {
    return static_cast<double>(std::max_element(v.begin(), v.end()) - v.begin());
  }

  void Logistic(const std::vector<double>& x, ModelOutput& out) const {
    std::vector<double>& p = out.probabilities;
    if (coef_.size() == 1) {  // binary: one decision function for class 1
      const double p1 = 1.0 / (1.0 + std::exp(-(Dot(coef_[0], x) + intercept_[0])));
      p = {1 - p1, p1};
    } else {
      for (size_t c = 0; c < coef_.size(); ++c) p.push_back(Dot(coef_[c], x) + intercept_[c]);
      if (multinomial_) {
        const double top = *std::max_element(p.begin(), p.end());
        double sum = 0;
        for (double& v : p) sum += (v = std::exp(v - top));
        for (double& v : p) v /= sum;
      } else {  // one-vs-rest: normalised sigmoids
        double sum = 0;
        for (double& v : p) sum += (v = 1.0 / (1.0 + std::exp(-v)));
        for (double& v : p) v /= sum;
      }
    }
    out.value = ArgMax(p);
  }

  static int32_t Leaf(const Tree& t, const std::vector<double>& x, int* depth = nullptr) {
    int32_t node = 0;
    int d = 0;
    while (t.left[static_cast<size_t>(node)] >= 0) {
      const auto n = static_cast<size_t>(node);
      // sklearn's trees read float32 inputs.
      const double v = static_cast<float>(x[static_cast<size_t>(t.feature[n])]);
      node = v <= t.threshold[n] ? t.left[n] : t.right[n];
      ++d;
    }
    if (depth != nullptr) *depth = d;
    return node;
  }

  ModelTask task_ = ModelTask::kRegression;
  Estimator estimator_ = Estimator::kLinear;
  size_t num_features_ = 0;
  std::vector<double> mean_, scale_;
  std::vector<std::vector<double>> coef_;
  std::vector<double> intercept_;
  bool multinomial_ = true;
  std::vector<Tree> trees_;
  double max_samples_ = 0;
  double offset_ = 0;
  std::vector<std::string> labels_;
  bool numeric_labels_ = true;
};

std::vector<double> Vector(const json& j, const char* key, size_t expected_size, const char* what) {
  auto v = j.at(key).get<std::vector<double>>();
  if (expected_size != 0 && v.size() != expected_size) {
    throw std::invalid_argument(std::string(what) + "." + key + " has " + std::to_string(v.size()) +
                                " values, expected " + std::to_string(expected_size));
  }
  return v;
}

Tree ParseTree(const json& jt, size_t num_features, size_t width, const char* value_key) {
  Tree t;
  t.left = jt.at("children_left").get<std::vector<int32_t>>();
  t.right = jt.at("children_right").get<std::vector<int32_t>>();
  t.feature = jt.at("feature").get<std::vector<int32_t>>();
  t.threshold = jt.at("threshold").get<std::vector<double>>();
  t.width = width;
  const json& values = jt.at(value_key);
  for (const json& v : values) {
    if (v.is_array()) {
      for (const json& x : v) t.value.push_back(x.get<double>());
    } else {
      t.value.push_back(v.get<double>());
    }
  }
  const size_t n = t.left.size();
  if (n == 0 || t.right.size() != n || t.feature.size() != n || t.threshold.size() != n || t.value.size() != n * width) {
    throw std::invalid_argument("tree arrays have different lengths");
  }
  for (size_t i = 0; i < n; ++i) {
    if (t.left[i] < 0) continue;
    if (static_cast<size_t>(t.left[i]) >= n || static_cast<size_t>(t.left[i]) <= i || t.right[i] < 0 ||
        static_cast<size_t>(t.right[i]) >= n || static_cast<size_t>(t.right[i]) <= i) {
      throw std::invalid_argument("tree node " + std::to_string(i) + " has an invalid child index");
    }
    if (t.feature[i] < 0 || static_cast<size_t>(t.feature[i]) >= num_features) {
      throw std::invalid_argument("tree node " + std::to_string(i) + " splits on feature " +
                                  std::to_string(t.feature[i]) + " but the model has " +
                                  std::to_string(num_features) + " features");
    }
  }
  return t;
}

Result<std::unique_ptr<Model>> Parse(const json& doc) {
  if (!doc.is_object() || doc.value("format", "") != "edgeflow-model") {
    return InvalidData("not an edgeflow-model file (no \"format\": \"edgeflow-model\")");
  }
  const int version = doc.at("format_version").get<int>();
  if (version != kEdgeflowModelFormatVersion) {
    return InvalidData("unsupported format_version " + std::to_string(version) + " (this edgeflow reads " +
                       std::to_string(kEdgeflowModelFormatVersion) + ")");
  }
  auto m = std::make_unique<SklearnModel>();
  m->num_features_ = doc.at("n_features").get<size_t>();
  if (m->num_features_ == 0) return InvalidData("n_features is 0");
  const size_t nf = m->num_features_;
  const json& steps = doc.at("steps");
  if (!steps.is_array() || steps.empty()) return InvalidData("steps must be a non-empty list");
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    const std::string type = steps[i].at("type").get<std::string>();
    if (type != "standard_scaler" || i != 0) {
      return InvalidData("step " + std::to_string(i) + ": unsupported transform '" + type +
                         "' (one standard_scaler may precede the estimator)");
    }
    if (!steps[i].at("mean").is_null()) m->mean_ = Vector(steps[i], "mean", nf, "standard_scaler");
    if (!steps[i].at("scale").is_null()) m->scale_ = Vector(steps[i], "scale", nf, "standard_scaler");
  }
  const json& est = steps.back();
  const std::string type = est.at("type").get<std::string>();
  if (doc.contains("classes")) {
    for (const json& c : doc.at("classes")) {
      if (c.is_number()) {
        m->labels_.push_back(c.is_number_integer() ? std::to_string(c.get<int64_t>()) : c.dump());
      } else {
        m->labels_.push_back(c.get<std::string>());
        m->numeric_labels_ = false;
      }
    }
  }
  const size_t n_classes = m->labels_.size();
  if (type == "linear_regression") {
    m->estimator_ = Estimator::kLinear;
    m->coef_ = {Vector(est, "coef", nf, "linear_regression")};
    m->intercept_ = {est.at("intercept").get<double>()};
  } else if (type == "logistic_regression") {
    m->estimator_ = Estimator::kLogistic;
    m->task_ = ModelTask::kClassification;
    if (n_classes < 2) return InvalidData("logistic_regression needs at least 2 classes");
    m->multinomial_ = est.at("multi_class").get<std::string>() == "multinomial";
    for (const json& row : est.at("coef")) {
      m->coef_.push_back(row.get<std::vector<double>>());
      if (m->coef_.back().size() != nf) return InvalidData("logistic_regression.coef row length differs from n_features");
    }
    m->intercept_ = est.at("intercept").get<std::vector<double>>();
    const size_t rows = n_classes == 2 ? 1 : n_classes;
    if (m->coef_.size() != rows || m->intercept_.size() != rows) {
      return InvalidData("logistic_regression needs " + std::to_string(rows) + " coef rows and intercepts");
    }
  } else if (type == "random_forest_classifier" || type == "random_forest_regressor") {
    const bool classifier = type == "random_forest_classifier";
    m->estimator_ = classifier ? Estimator::kForestClassifier : Estimator::kForestRegressor;
    m->task_ = classifier ? ModelTask::kClassification : ModelTask::kRegression;
    if (classifier && n_classes < 2) return InvalidData(type + " needs at least 2 classes");
    for (const json& jt : est.at("trees")) m->trees_.push_back(ParseTree(jt, nf, classifier ? n_classes : 1, "value"));
  } else if (type == "isolation_forest") {
    m->estimator_ = Estimator::kIsolationForest;
    m->task_ = ModelTask::kAnomaly;
    m->max_samples_ = est.at("max_samples").get<double>();
    m->offset_ = est.at("offset").get<double>();
    for (const json& jt : est.at("trees")) m->trees_.push_back(ParseTree(jt, nf, 1, "n_node_samples"));
  } else {
    return InvalidData("unsupported estimator '" + type +
                       "' (linear_regression, logistic_regression, random_forest_classifier, "
                       "random_forest_regressor, isolation_forest)");
  }
  if ((type != "linear_regression" && type != "logistic_regression") && m->trees_.empty()) {
    return InvalidData(type + " has no trees");
  }
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace

Result<std::unique_ptr<Model>> ParseEdgeflowModel(std::string_view text) {
  try {
    const json doc = json::parse(text);
    return Parse(doc);
  } catch (const std::exception& e) {  // nlohmann::json errors and our own checks
    return InvalidData(std::string("invalid edgeflow-model file: ") + e.what());
  }
}

}  // namespace edgeflow::analytics
