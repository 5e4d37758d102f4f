// scikit-learn models exported by tools/export_sklearn.py as an
// "edgeflow-model" JSON file (docs/design/model-format.md, format_version 1):
// an optional StandardScaler followed by one estimator: LinearRegression,
// LogisticRegression, RandomForestClassifier/Regressor or IsolationForest.
//
// Trees compare like scikit-learn: float32(x) <= threshold goes left (a NaN
// input goes right). IsolationForest gives sklearn's score_samples as the
// score and predict's 1 / -1 as the value.
#pragma once

#include <memory>
#include <string_view>

#include "analytics/models/model.h"
#include "common/status.h"

namespace edgeflow::analytics {

inline constexpr int kEdgeflowModelFormatVersion = 1;

Result<std::unique_ptr<Model>> ParseEdgeflowModel(std::string_view json_text);

}  // namespace edgeflow::analytics
