// Loads a model file of any supported kind and identifies its version.
//
// The kind comes from the file: `.onnx` files are ONNX networks; JSON files
// with a "learner" object are XGBoost models; JSON files with
// "format": "edgeflow-model" come from tools/export_sklearn.py. The version
// is the file's own ("model_version" in an edgeflow-model file, the
// "version" attribute of an XGBoost booster: `bst.set_attr(version="...")`),
// else "sha256:" and the first 16 hex digits of the file's SHA-256.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "analytics/models/model.h"
#include "common/status.h"

namespace edgeflow::analytics {

struct ModelLoadOptions {
  size_t num_inputs = 0;  // the stage's input fields; must match the model
  bool quantize_int8 = false;                   // ONNX only
  std::vector<std::vector<float>> calibration;  // ONNX int8 only
};

struct LoadedModel {
  std::unique_ptr<Model> model;
  std::string version;
};

Result<LoadedModel> LoadModelFile(const std::string& path, const ModelLoadOptions& options);

}  // namespace edgeflow::analytics
