// ewma: EWMA control chart.
//
// Tracks an exponentially weighted mean and variance of the series (weight
// `alpha` per value). A value is scored against the state BEFORE it is
// folded in: z = |value - mean| / max(stddev, floor), score =
// z^2 / (z^2 + z_half^2); the floor is `min_spread` * the series range (or
// level when unknown). Warm-up: the first `min_samples` values. Assumes a
// locally stationary series; a level shift is flagged, then absorbed at a
// rate set by alpha. State: a few doubles. Cost: O(1) per value.
#pragma once

#include <memory>
#include <vector>

#include "analytics/detector.h"
#include "analytics/method_params.h"

namespace edgeflow::analytics {

struct EwmaConfig {
  double alpha = 0.05;
  int64_t min_samples = 20;
  double z_half = 4.0;
  double min_spread = 0.001;
};

class EwmaDetector final : public Detector {
 public:
  EwmaDetector(const EwmaConfig& config, const SeriesInfo& info) : c_(config), range_(info.max - info.min) {}
  Verdict Update(int64_t time_us, double value) override;
  size_t StateBytes() const override { return sizeof(*this); }

 private:
  EwmaConfig c_;
  double range_;
  double mean_ = 0;
  double variance_ = 0;
  int64_t count_ = 0;
};

std::vector<MethodParam> EwmaParams();
std::shared_ptr<const DetectorFactory> MakeEwma(MethodParams& params);

}  // namespace edgeflow::analytics
