#include "analytics/models/onnx_model.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <cmath>
#include <mutex>

namespace edgeflow::analytics {
namespace {

class OnnxModel final : public Model {
 public:
  OnnxModel(cv::dnn::Net net, size_t num_features) : net_(std::move(net)), num_features_(num_features) {}

  std::string_view kind() const override { return "onnx"; }
  ModelTask task() const override { return ModelTask::kRegression; }
  size_t num_features() const override { return num_features_; }

  void Predict(std::span<const double> x, ModelOutput& out) const override {
    std::lock_guard<std::mutex> lock(mu_);  // cv::dnn::Net::forward mutates the net
    for (size_t i = 0; i < num_features_; ++i) input_.at<float>(0, static_cast<int>(i)) = static_cast<float>(x[i]);
    out.outputs.clear();
    out.probabilities.clear();
    try {
      net_.setInput(input_);
      const cv::Mat result = net_.forward();
      const cv::Mat flat = result.reshape(1, 1);
      for (int i = 0; i < static_cast<int>(flat.total()); ++i) out.outputs.push_back(flat.at<float>(0, i));
    } catch (const cv::Exception&) {
      // Shapes were checked at load, so this does not happen with valid
      // inputs; report NaN rather than throwing across the stage.
      out.outputs.assign(1, std::nan(""));
    }
    out.value = out.outputs.empty() ? std::nan("") : out.outputs[0];
  }

  // Runs once at load: proves the input shape and fixes the output width.
  Status Probe() {
    try {
      net_.setInput(input_);
      const cv::Mat result = net_.forward();
      if (result.total() == 0) return InvalidData("the network produced an empty output");
    } catch (const cv::Exception& e) {
      return InvalidData("the network does not accept " + std::to_string(num_features_) +
                         " input features: " + e.msg);
    }
    return Status::Ok();
  }

 private:
  mutable std::mutex mu_;
  mutable cv::dnn::Net net_;
  size_t num_features_;
  mutable cv::Mat input_ = cv::Mat::zeros(1, static_cast<int>(num_features_), CV_32F);
};

}  // namespace

Result<std::unique_ptr<Model>> LoadOnnxModel(const std::string& path, const OnnxOptions& options) {
  if (options.num_features == 0) return InvalidConfig("an ONNX model needs the input fields listed");
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNetFromONNX(path);
    if (net.empty()) return InvalidData("OpenCV could not read the ONNX network");
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  } catch (const cv::Exception& e) {
    return InvalidData("not a readable ONNX network: " + e.msg);
  }
  if (options.quantize_int8) {
    if (options.calibration.empty()) return InvalidConfig("int8 quantisation needs calibration rows");
    // quantize() takes one blob per network input: all rows as one batch.
    cv::Mat batch(static_cast<int>(options.calibration.size()), static_cast<int>(options.num_features), CV_32F);
    for (size_t r = 0; r < options.calibration.size(); ++r) {
      const std::vector<float>& row = options.calibration[r];
      if (row.size() != options.num_features) return InvalidConfig("a calibration row has the wrong number of values");
      for (size_t c = 0; c < row.size(); ++c) batch.at<float>(static_cast<int>(r), static_cast<int>(c)) = row[c];
    }
    try {
      net = net.quantize(std::vector<cv::Mat>{batch}, CV_32F, CV_32F);
      net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
      net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    } catch (const cv::Exception& e) {
      return InvalidData("int8 quantisation failed: " + e.msg);
    }
  }
  auto model = std::make_unique<OnnxModel>(std::move(net), options.num_features);
  EF_RETURN_IF_ERROR(model->Probe());
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace edgeflow::analytics
