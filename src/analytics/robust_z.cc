#include "analytics/robust_z.h"

#include <algorithm>
#include <cmath>

#include "analytics/score_map.h"

namespace edgeflow::analytics {
namespace {

constexpr double kMadToSigma = 1.4826;

class RobustZFactory final : public DetectorFactory {
 public:
  explicit RobustZFactory(RobustZConfig c) : c_(c) {}
  std::unique_ptr<Detector> Make(const SeriesInfo& info) const override {
    return std::make_unique<RobustZDetector>(c_, info);
  }

 private:
  RobustZConfig c_;
};

double MedianOfSorted(const std::vector<double>& s) {
  const size_t n = s.size();
  return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

}  // namespace

RobustZDetector::RobustZDetector(const RobustZConfig& config, const SeriesInfo& info)
    : c_(config), range_(info.max - info.min) {
  ring_.reserve(static_cast<size_t>(c_.window));
  sorted_.reserve(static_cast<size_t>(c_.window));
}

// The absolute deviations from `median` form two ascending runs in the
// sorted window: leftwards from the median and rightwards from it. Their
// median is found by walking both runs like a merge, up to the middle.
double RobustZDetector::Mad(double median) const {
  const size_t n = sorted_.size();
  size_t right = static_cast<size_t>(std::lower_bound(sorted_.begin(), sorted_.end(), median) - sorted_.begin());
  size_t left = right;  // next candidate on the left is left - 1
  auto next = [&]() {
    const bool has_left = left > 0;
    const bool has_right = right < n;
    if (has_right && (!has_left || sorted_[right] - median <= median - sorted_[left - 1])) {
      return sorted_[right++] - median;
    }
    return median - sorted_[--left];
  };
  double a = 0;
  for (size_t k = 0; k <= (n - 1) / 2; ++k) a = next();
  if (n % 2 == 1) return a;
  return (a + next()) / 2;
}

Verdict RobustZDetector::Update(int64_t /*time_us*/, double value) {
  Verdict v;
  if (static_cast<int64_t>(sorted_.size()) >= c_.min_samples) {
    const double median = MedianOfSorted(sorted_);
    const double spread = std::max(kMadToSigma * Mad(median), SpreadFloor(range_, median, c_.min_spread));
    v.warming_up = false;
    v.expected = median;
    v.deviation = value - median;
    v.score = SquashDeviation(v.deviation / spread, c_.z_half);
  }
  // Slide the window: forget the oldest value, remember this one.
  if (static_cast<int64_t>(ring_.size()) == c_.window) {
    const double old = ring_[head_];
    sorted_.erase(std::lower_bound(sorted_.begin(), sorted_.end(), old));
    ring_[head_] = value;
    head_ = (head_ + 1) % ring_.size();
  } else {
    ring_.push_back(value);
  }
  sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), value), value);
  return v;
}

size_t RobustZDetector::StateBytes() const {
  return sizeof(*this) + (ring_.capacity() + sorted_.capacity()) * sizeof(double);
}

std::vector<MethodParam> RobustZParams() {
  return {
      {"window", "int", "100", "Values in the rolling window (2..100000)"},
      {"min_samples", "int", "20", "Values seen before scoring starts (warm-up; 1..window)"},
      {"z_half", "double", "4", "Robust z-score that maps to anomaly score 0.5"},
      {"min_spread", "double", "0.001", "Spread floor, as a fraction of the series range (or level when unknown)"},
  };
}

std::shared_ptr<const DetectorFactory> MakeRobustZ(MethodParams& p) {
  RobustZConfig c;
  c.window = p.Int("window", c.window, 2, 100000);
  c.min_samples = p.Int("min_samples", c.min_samples, 1, c.window);
  c.z_half = p.Double("z_half", c.z_half, 1e-6, 1e6);
  c.min_spread = p.Double("min_spread", c.min_spread, 0, 1);
  return std::make_shared<RobustZFactory>(c);
}

}  // namespace edgeflow::analytics
