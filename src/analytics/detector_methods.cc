#include "analytics/detector_methods.h"

#include "analytics/ensemble.h"
#include "analytics/ewma_detector.h"
#include "analytics/post_process.h"
#include "analytics/rcf_detector.h"
#include "analytics/resonance_detector.h"
#include "analytics/robust_z.h"
#include "analytics/seasonal.h"

namespace edgeflow::analytics {

const std::vector<DetectorMethod>& DetectorMethods() {
  static const std::vector<DetectorMethod> kMethods = {
      {"robust_z", "Rolling median/MAD z-score over a window of recent values", RobustZParams(), MakeRobustZ},
      {"ewma", "EWMA control chart: z-score against an exponentially weighted mean and variance", EwmaParams(),
       MakeEwma},
      {"seasonal", "Holt-Winters style: level plus a time-of-day (or any period) profile; copes with gaps",
       SeasonalParams(), MakeSeasonal},
      {"rcf", "Streaming random cut forest over shingled values; score = likelihood of the expected codisplacement",
       RcfMethodParams(), MakeRcf, RcfPostProcessDefaults()},
      {"resonance", "Fuzzy ART novelty over downsampled windows; flags new novelty records (sparse, NAB-oriented)", ResonanceMethodParams(), MakeResonance},
      {"ensemble", "Several methods on the same series, scores combined by max, mean or vote", EnsembleParams(),
       MakeEnsemble},
  };
  return kMethods;
}

const DetectorMethod* FindDetectorMethod(std::string_view name) {
  for (const DetectorMethod& m : DetectorMethods()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string DetectorMethodNames() {
  std::string names;
  for (const DetectorMethod& m : DetectorMethods()) names += (names.empty() ? "" : ", ") + m.name;
  return names;
}

std::shared_ptr<const DetectorFactory> BuildDetectorFactory(std::string_view name, MethodParams& params) {
  const DetectorMethod* method = FindDetectorMethod(name);
  if (method == nullptr) {
    params.Error("method", "unknown method '" + std::string(name) + "' (known: " + DetectorMethodNames() + ")");
    return nullptr;
  }
  std::shared_ptr<const DetectorFactory> factory = WrapPostProcess(method->make(params), method->post_defaults, params);
  params.CheckAllRead();
  if (!params.errors().empty()) return nullptr;
  return factory;
}

Result<std::shared_ptr<const DetectorFactory>> MakeDetectorFactory(std::string_view name, MethodParams params) {
  std::shared_ptr<const DetectorFactory> factory = BuildDetectorFactory(name, params);
  if (factory == nullptr) return params.status();
  return factory;
}

}  // namespace edgeflow::analytics
