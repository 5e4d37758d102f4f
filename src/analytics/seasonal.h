// seasonal: additive Holt-Winters with a time-of-period profile.
//
// The period (default 1 day) is cut into `bins` slots by event time, so
// irregular steps, gaps and out-of-order samples land in the right slot:
// nothing assumes a fixed sample rate. Expected = level + season[slot];
// the level follows the deseasonalised value (weight alpha), each slot's
// offset follows value - level (weight gamma, set by the slot's first
// value). The spread is an EWMA of |residual| (weight beta), floored at
// `min_spread` * the series range. A value is scored BEFORE it updates
// the state: z = |residual| / (1.25 * spread), score = z^2 / (z^2 + z_half^2).
// Warm-up: `min_samples` values and one whole period of event time.
// State: `bins` * 2 doubles. Cost: O(1) per value.
#pragma once

#include <memory>
#include <vector>

#include "analytics/detector.h"
#include "analytics/method_params.h"

namespace edgeflow::analytics {

struct SeasonalConfig {
  int64_t period_us = 86'400'000'000;  // 1 day
  int64_t bins = 24;
  double alpha = 0.05;  // level
  double gamma = 0.2;   // slot offsets
  double beta = 0.02;   // spread
  int64_t min_samples = 20;
  double z_half = 4.0;
  double min_spread = 0.001;
};

class SeasonalDetector final : public Detector {
 public:
  SeasonalDetector(const SeasonalConfig& config, const SeriesInfo& info);
  Verdict Update(int64_t time_us, double value) override;
  size_t StateBytes() const override;

 private:
  size_t Slot(int64_t time_us) const;

  SeasonalConfig c_;
  double range_;
  std::vector<double> season_;
  std::vector<uint8_t> seen_;  // slot has an offset yet
  double level_ = 0;
  double spread_ = 0;
  int64_t count_ = 0;
  int64_t first_time_ = 0;
};

// Parses "86400", "30s", "15m", "1h", "1d", "1w" into microseconds (> 0).
bool ParsePeriod(std::string_view text, int64_t* out_us);

std::vector<MethodParam> SeasonalParams();
std::shared_ptr<const DetectorFactory> MakeSeasonal(MethodParams& params);

}  // namespace edgeflow::analytics
