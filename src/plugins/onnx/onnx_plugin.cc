// edgeflow-onnx.so: runs ONNX networks with OpenCV's DNN module behind the
// C interface of onnx_plugin_abi.h. Nothing here depends on edgeflow's own
// code; OpenCV exceptions are caught and turned into error messages.
#include "plugins/onnx/onnx_plugin_abi.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

struct EfOnnxNet {
  cv::dnn::Net net;
  cv::Mat input;  // 1 x num_features, reused by every forward pass
};

namespace {

int Fail(const std::string& message, char* error, size_t error_size) {
  if (error != nullptr && error_size > 0) {
    const size_t n = std::min(message.size(), error_size - 1);
    std::memcpy(error, message.data(), n);
    error[n] = '\0';
  }
  return 1;
}

void UseCpu(cv::dnn::Net& net) {
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
}

int Load(const char* path, size_t num_features, int quantize_int8, const float* calibration,
         size_t calibration_rows, EfOnnxNet** out, char* error, size_t error_size) {
  auto holder = std::make_unique<EfOnnxNet>();
  try {
    holder->net = cv::dnn::readNetFromONNX(path);
    if (holder->net.empty()) return Fail("OpenCV could not read the ONNX network", error, error_size);
    UseCpu(holder->net);
  } catch (const cv::Exception& e) {
    return Fail("not a readable ONNX network: " + e.msg, error, error_size);
  }
  if (quantize_int8 != 0) {
    // quantize() takes one blob per network input: all rows as one batch.
    cv::Mat batch(static_cast<int>(calibration_rows), static_cast<int>(num_features), CV_32F);
    std::memcpy(batch.ptr<float>(), calibration, calibration_rows * num_features * sizeof(float));
    try {
      holder->net = holder->net.quantize(std::vector<cv::Mat>{batch}, CV_32F, CV_32F);
      UseCpu(holder->net);
    } catch (const cv::Exception& e) {
      return Fail("int8 quantisation failed: " + e.msg, error, error_size);
    }
  }
  holder->input = cv::Mat::zeros(1, static_cast<int>(num_features), CV_32F);
  try {  // proves the input shape
    holder->net.setInput(holder->input);
    const cv::Mat result = holder->net.forward();
    if (result.total() == 0) return Fail("the network produced an empty output", error, error_size);
  } catch (const cv::Exception& e) {
    return Fail("the network does not accept " + std::to_string(num_features) + " input features: " + e.msg,
                error, error_size);
  }
  *out = holder.release();
  return 0;
}

int Forward(EfOnnxNet* net, const float* input, float* output, size_t output_capacity, size_t* output_size,
            char* error, size_t error_size) {
  std::memcpy(net->input.ptr<float>(), input, net->input.total() * sizeof(float));
  try {
    net->net.setInput(net->input);
    const cv::Mat flat = net->net.forward().reshape(1, 1);
    const size_t n = flat.total();
    *output_size = n;
    std::memcpy(output, flat.ptr<float>(), std::min(n, output_capacity) * sizeof(float));
  } catch (const cv::Exception& e) {
    return Fail(e.msg, error, error_size);
  }
  return 0;
}

void Free(EfOnnxNet* net) { delete net; }

const EfOnnxPlugin kPlugin = {kOnnxPluginAbi, &Load, &Forward, &Free};

}  // namespace

extern "C" __attribute__((visibility("default"))) const EfOnnxPlugin* edgeflow_onnx_plugin(void) {
  return &kPlugin;
}
