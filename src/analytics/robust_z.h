// robust_z: rolling median / MAD z-score.
//
// Keeps the last `window` values (a ring plus the same values sorted). The
// expected value is their median; the spread is 1.4826 * MAD (median
// absolute deviation: the standard deviation for normal data, unmoved by a
// few outliers), floored at `min_spread` * the series range (or level) so a
// flat series does not divide by zero. The score is
// z^2 / (z^2 + z_half^2) with z = |value - median| / spread, scored BEFORE
// the value joins the window. Warm-up: the first `min_samples` values.
// State: 2 * window doubles. Cost: O(window) memmove per value.
#pragma once

#include <memory>
#include <vector>

#include "analytics/detector.h"
#include "analytics/method_params.h"

namespace edgeflow::analytics {

struct RobustZConfig {
  int64_t window = 100;
  int64_t min_samples = 20;
  double z_half = 4.0;
  double min_spread = 0.001;
};

class RobustZDetector final : public Detector {
 public:
  RobustZDetector(const RobustZConfig& config, const SeriesInfo& info);
  Verdict Update(int64_t time_us, double value) override;
  size_t StateBytes() const override;

 private:
  double Mad(double median) const;

  RobustZConfig c_;
  double range_;
  std::vector<double> ring_;    // arrival order (circular)
  std::vector<double> sorted_;  // the same values, ascending
  size_t head_ = 0;
};

std::vector<MethodParam> RobustZParams();
std::shared_ptr<const DetectorFactory> MakeRobustZ(MethodParams& params);

}  // namespace edgeflow::analytics
