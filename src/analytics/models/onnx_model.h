// Small neural networks in ONNX, run by OpenCV's DNN module (CPU) inside the
// optional plugin edgeflow-onnx.so (src/plugins/onnx/), which is loaded the
// first time a pipeline uses an .onnx model.
//
// The network takes one float input of shape [1, num_features] (or
// [N, num_features]) and its first output, flattened, becomes
// ModelOutput::outputs (and `value`, its first element). With int8
// quantisation the network is quantised by cv::dnn::Net::quantize from the
// calibration rows (inputs and outputs stay float).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "analytics/models/model.h"
#include "common/status.h"

namespace edgeflow::analytics {

struct OnnxOptions {
  size_t num_features = 0;                      // from the stage's inputs
  bool quantize_int8 = false;
  std::vector<std::vector<float>> calibration;  // rows of num_features (int8)
};

// NotFound when the plugin is not installed (a build without OpenCV).
Result<std::unique_ptr<Model>> LoadOnnxModel(const std::string& path, const OnnxOptions& options);

}  // namespace edgeflow::analytics
