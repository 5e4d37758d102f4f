// XGBoost models saved as JSON (`Booster.save_model("m.json")`, format of
// XGBoost 1.x): gbtree boosters with numeric splits.
//
// Supported objectives: reg:squarederror (and reg:linear), reg:absoluteerror,
// reg:pseudohubererror, reg:logistic, binary:logistic, binary:logitraw,
// multi:softprob, multi:softmax. Splits compare in single precision like
// XGBoost (go left when float(x) < split_condition); a missing value (NaN)
// follows the node's default direction. base_score is in output space and
// turned into a margin (logit for logistic objectives).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "analytics/models/model.h"
#include "common/status.h"

namespace edgeflow::analytics {

// Parses the text of an XGBoost JSON model; errors name what is wrong.
Result<std::unique_ptr<Model>> ParseXgboostModel(std::string_view json_text);

}  // namespace edgeflow::analytics
