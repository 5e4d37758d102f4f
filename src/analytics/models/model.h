// Model: a pre-trained model (trained in Python) that the `infer` stage runs.
//
// A Model is immutable once loaded and may be shared by several stages (the
// ONNX model serialises its forward passes internally). Inputs are the
// ordered feature vector the model was trained on; NaN marks a missing
// value (XGBoost follows the tree's default direction; other models see NaN
// and produce NaN or follow their comparison rules, see
// docs/design/model-format.md).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace edgeflow::analytics {

enum class ModelTask {
  kRegression,      // `value` is the prediction; `outputs` when several
  kClassification,  // `value` is the class index; `probabilities` per class
  kAnomaly,         // `value` is 1 (normal) or -1 (anomaly); `score`
};

struct ModelOutput {
  double value = 0;
  std::vector<double> probabilities;  // classification
  double score = 0;                   // anomaly (sklearn score_samples)
  std::vector<double> outputs;        // regression with several outputs (ONNX)
};

class Model {
 public:
  virtual ~Model() = default;
  // "xgboost", "sklearn", "onnx".
  virtual std::string_view kind() const = 0;
  virtual ModelTask task() const = 0;
  virtual size_t num_features() const = 0;
  // Class labels (as text) of a classifier, in probability order.
  virtual const std::vector<std::string>& class_labels() const { return no_labels_; }
  // True when every class label is a number (so the stage emits numbers).
  virtual bool numeric_labels() const { return true; }
  // `features` has num_features() entries.
  virtual void Predict(std::span<const double> features, ModelOutput& out) const = 0;

 private:
  std::vector<std::string> no_labels_;
};

}  // namespace edgeflow::analytics
