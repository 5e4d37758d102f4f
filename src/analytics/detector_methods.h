// The detection methods, by name: one table shared by the `detect` stage and
// `edgeflow nab`. Adding a method = its files in src/analytics/ and one line
// in detector_methods.cc.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/detector.h"
#include "analytics/method_params.h"
#include "analytics/post_process.h"
#include "common/status.h"

namespace edgeflow::analytics {

struct DetectorMethod {
  std::string name;     // "robust_z"
  std::string summary;  // one line
  std::vector<MethodParam> params;
  // Builds the configured method; reports bad values through `params`.
  std::function<std::shared_ptr<const DetectorFactory>(MethodParams& params)> make;
  // Its defaults for the post-processing every method accepts
  // (likelihood, refractory): off unless the method's raw score needs them.
  PostProcessParams post_defaults = {};
};

inline constexpr std::string_view kDefaultDetectorMethod = "seasonal";

const std::vector<DetectorMethod>& DetectorMethods();
// nullptr when unknown.
const DetectorMethod* FindDetectorMethod(std::string_view name);
// "robust_z, ewma, ..." for error messages.
std::string DetectorMethodNames();

// Builds method `name` from `params`. Errors (unknown method, bad or unknown
// parameter) are recorded in `params`; returns nullptr when there are any.
std::shared_ptr<const DetectorFactory> BuildDetectorFactory(std::string_view name, MethodParams& params);
// The same, with every error folded into one Status.
Result<std::shared_ptr<const DetectorFactory>> MakeDetectorFactory(std::string_view name, MethodParams params);

}  // namespace edgeflow::analytics
