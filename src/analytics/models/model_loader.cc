#include "analytics/models/model_loader.h"

#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "analytics/models/sklearn_model.h"
#include "analytics/models/onnx_model.h"
#include "analytics/models/xgboost_model.h"

namespace edgeflow::analytics {
namespace {

constexpr size_t kMaxModelBytes = 256u << 20;  // a bound on what we read into memory

std::string ShortSha256(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < 8 && i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

// The version a JSON model file declares, if any.
std::string DeclaredVersion(const std::string& text) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return "";
  if (doc.contains("model_version") && doc["model_version"].is_string()) return doc["model_version"].get<std::string>();
  const auto learner = doc.find("learner");
  if (learner != doc.end() && learner->is_object()) {
    const auto attrs = learner->find("attributes");
    if (attrs != learner->end() && attrs->is_object() && attrs->contains("version") &&
        (*attrs)["version"].is_string()) {
      return (*attrs)["version"].get<std::string>();
    }
  }
  return "";
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Result<LoadedModel> LoadModelFile(const std::string& path, const ModelLoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open model file " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (!in.good() && !in.eof()) return IoError("cannot read model file " + path);
  const std::string bytes = std::move(buffer).str();
  if (bytes.size() > kMaxModelBytes) return ResourceExhausted(path + ": model file larger than 256 MiB");
  if (bytes.empty()) return InvalidData(path + ": model file is empty");

  LoadedModel loaded;
  if (EndsWith(path, ".onnx")) {
    OnnxOptions onnx;
    onnx.num_features = options.num_inputs;
    onnx.quantize_int8 = options.quantize_int8;
    onnx.calibration = options.calibration;
    auto model = LoadOnnxModel(path, onnx);
    if (!model.ok()) return model.status().WithContext(path);
    loaded.model = std::move(model).value();
  } else {
    if (options.quantize_int8) return InvalidConfig(path + ": quantize: int8 applies to ONNX models only");
    const bool xgboost = bytes.find("\"learner\"") != std::string::npos;
    auto model = xgboost ? ParseXgboostModel(bytes) : ParseEdgeflowModel(bytes);
    if (!model.ok()) return model.status().WithContext(path);
    loaded.model = std::move(model).value();
    loaded.version = DeclaredVersion(bytes);
  }
  if (options.num_inputs != 0 && loaded.model->num_features() != options.num_inputs) {
    return InvalidConfig(path + ": the model takes " + std::to_string(loaded.model->num_features()) +
                         " features but " + std::to_string(options.num_inputs) + " input fields are listed");
  }
  if (loaded.version.empty()) loaded.version = ShortSha256(bytes);
  if (options.quantize_int8) loaded.version += "+int8";  // not the float model's outputs
  return loaded;
}

}  // namespace edgeflow::analytics
