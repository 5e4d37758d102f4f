#include "analytics/models/onnx_model.h"

#include <cmath>
#include <mutex>

#include "common/plugin.h"
#include "plugins/onnx/onnx_plugin_abi.h"

namespace edgeflow::analytics {
namespace {

constexpr size_t kErrorSize = 512;
constexpr size_t kMaxOutputs = 4096;  // a bound on one forward pass's output width

Result<const EfOnnxPlugin*> Plugin() {
  EF_ASSIGN_OR_RETURN(void* entry, LoadPluginSymbol("onnx", kOnnxPluginEntryName));
  const EfOnnxPlugin* plugin = reinterpret_cast<EfOnnxPluginEntry>(entry)();
  if (plugin == nullptr || plugin->abi != kOnnxPluginAbi) {
    return InvalidData("plugin edgeflow-onnx.so was built for another edgeflow version (interface " +
                       std::to_string(plugin == nullptr ? 0 : plugin->abi) + ", expected " +
                       std::to_string(kOnnxPluginAbi) + ")");
  }
  return plugin;
}

class OnnxModel final : public Model {
 public:
  OnnxModel(const EfOnnxPlugin* plugin, EfOnnxNet* net, size_t num_features)
      : plugin_(plugin), net_(net), num_features_(num_features), input_(num_features), output_(kMaxOutputs) {}
  ~OnnxModel() override { plugin_->free(net_); }
  OnnxModel(const OnnxModel&) = delete;
  OnnxModel& operator=(const OnnxModel&) = delete;

  std::string_view kind() const override { return "onnx"; }
  ModelTask task() const override { return ModelTask::kRegression; }
  size_t num_features() const override { return num_features_; }

  void Predict(std::span<const double> x, ModelOutput& out) const override {
    std::lock_guard<std::mutex> lock(mu_);  // a forward pass mutates the net
    for (size_t i = 0; i < num_features_; ++i) input_[i] = static_cast<float>(x[i]);
    out.outputs.clear();
    out.probabilities.clear();
    size_t n = 0;
    char error[kErrorSize];
    if (plugin_->forward(net_, input_.data(), output_.data(), output_.size(), &n, error, sizeof(error)) != 0) {
      // Shapes were checked at load, so this does not happen with valid
      // inputs; report NaN rather than failing the stage.
      out.outputs.assign(1, std::nan(""));
    } else {
      out.outputs.assign(output_.begin(), output_.begin() + static_cast<std::ptrdiff_t>(std::min(n, output_.size())));
    }
    out.value = out.outputs.empty() ? std::nan("") : out.outputs[0];
  }

 private:
  const EfOnnxPlugin* plugin_;
  EfOnnxNet* net_;
  size_t num_features_;
  mutable std::mutex mu_;
  mutable std::vector<float> input_;
  mutable std::vector<float> output_;
};

}  // namespace

Result<std::unique_ptr<Model>> LoadOnnxModel(const std::string& path, const OnnxOptions& options) {
  if (options.num_features == 0) return InvalidConfig("an ONNX model needs the input fields listed");
  std::vector<float> calibration;
  if (options.quantize_int8) {
    if (options.calibration.empty()) return InvalidConfig("int8 quantisation needs calibration rows");
    for (const std::vector<float>& row : options.calibration) {
      if (row.size() != options.num_features) return InvalidConfig("a calibration row has the wrong number of values");
      calibration.insert(calibration.end(), row.begin(), row.end());
    }
  }
  auto plugin = Plugin();
  if (!plugin.ok()) {
    return plugin.status().WithContext(
        "ONNX models need the edgeflow-onnx plugin, built when OpenCV's DNN module is installed "
        "(libopencv-dnn-dev; this edgeflow was built without ONNX support otherwise)");
  }
  EfOnnxNet* net = nullptr;
  char error[kErrorSize];
  if ((*plugin)->load(path.c_str(), options.num_features, options.quantize_int8 ? 1 : 0, calibration.data(),
                      options.calibration.size(), &net, error, sizeof(error)) != 0) {
    return InvalidData(error);
  }
  return std::unique_ptr<Model>(std::make_unique<OnnxModel>(*plugin, net, options.num_features));
}

}  // namespace edgeflow::analytics
