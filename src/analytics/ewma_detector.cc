#include "analytics/ewma_detector.h"

#include <algorithm>
#include <cmath>

#include "analytics/score_map.h"

namespace edgeflow::analytics {
namespace {

class EwmaFactory final : public DetectorFactory {
 public:
  explicit EwmaFactory(EwmaConfig c) : c_(c) {}
  std::unique_ptr<Detector> Make(const SeriesInfo& info) const override {
    return std::make_unique<EwmaDetector>(c_, info);
  }

 private:
  EwmaConfig c_;
};

}  // namespace

Verdict EwmaDetector::Update(int64_t /*time_us*/, double value) {
  Verdict v;
  if (count_ == 0) {
    mean_ = value;
  } else if (count_ >= c_.min_samples) {
    const double spread = std::max(std::sqrt(variance_), SpreadFloor(range_, mean_, c_.min_spread));
    v.warming_up = false;
    v.expected = mean_;
    v.deviation = value - mean_;
    v.score = SquashDeviation(v.deviation / spread, c_.z_half);
  }
  // While warming up, a plain running mean/variance (weight 1/n) learns
  // faster than alpha would; afterwards the weight stays at alpha.
  const double d = value - mean_;
  const double w = std::max(c_.alpha, 1.0 / static_cast<double>(count_ + 1));
  mean_ += w * d;
  variance_ = (1 - w) * (variance_ + w * d * d);
  ++count_;
  return v;
}

std::vector<MethodParam> EwmaParams() {
  return {
      {"alpha", "double", "0.05", "Weight of each new value in the mean and variance (0..1]"},
      {"min_samples", "int", "20", "Values seen before scoring starts (warm-up)"},
      {"z_half", "double", "4", "z-score that maps to anomaly score 0.5"},
      {"min_spread", "double", "0.001", "Standard-deviation floor, as a fraction of the series range (or level)"},
  };
}

std::shared_ptr<const DetectorFactory> MakeEwma(MethodParams& p) {
  EwmaConfig c;
  c.alpha = p.Double("alpha", c.alpha, 1e-6, 1);
  c.min_samples = p.Int("min_samples", c.min_samples, 1, 1'000'000);
  c.z_half = p.Double("z_half", c.z_half, 1e-6, 1e6);
  c.min_spread = p.Double("min_spread", c.min_spread, 0, 1);
  return std::make_shared<EwmaFactory>(c);
}

}  // namespace edgeflow::analytics
