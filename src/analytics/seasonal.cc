#include "analytics/seasonal.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "analytics/score_map.h"

namespace edgeflow::analytics {
namespace {

// For normally distributed residuals, mean |r| = sigma * sqrt(2/pi) ~ sigma / 1.25.
constexpr double kMeanAbsToSigma = 1.2533;

class SeasonalFactory final : public DetectorFactory {
 public:
  explicit SeasonalFactory(SeasonalConfig c) : c_(c) {}
  std::unique_ptr<Detector> Make(const SeriesInfo& info) const override {
    return std::make_unique<SeasonalDetector>(c_, info);
  }

 private:
  SeasonalConfig c_;
};

}  // namespace

bool ParsePeriod(std::string_view text, int64_t* out_us) {
  double number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc()) return false;
  const std::string_view unit = text.substr(static_cast<size_t>(end - text.data()));
  double seconds = 0;
  if (unit.empty() || unit == "s") seconds = number;
  else if (unit == "m") seconds = number * 60;
  else if (unit == "h") seconds = number * 3600;
  else if (unit == "d") seconds = number * 86400;
  else if (unit == "w") seconds = number * 7 * 86400;
  else return false;
  if (!(seconds >= 1e-6 && seconds <= 1e9)) return false;
  *out_us = static_cast<int64_t>(std::llround(seconds * 1e6));
  return true;
}

SeasonalDetector::SeasonalDetector(const SeasonalConfig& config, const SeriesInfo& info)
    : c_(config),
      range_(info.max - info.min),
      season_(static_cast<size_t>(c_.bins), 0.0),
      seen_(static_cast<size_t>(c_.bins), 0) {}

size_t SeasonalDetector::Slot(int64_t time_us) const {
  int64_t phase = time_us % c_.period_us;
  if (phase < 0) phase += c_.period_us;  // times before 1970
  return static_cast<size_t>((static_cast<__int128>(phase) * c_.bins) / c_.period_us);
}

Verdict SeasonalDetector::Update(int64_t time_us, double value) {
  Verdict v;
  const size_t slot = Slot(time_us);
  if (count_ == 0) {
    level_ = value;
    first_time_ = time_us;
  }
  const double expected = level_ + season_[slot];
  const double residual = value - expected;
  if (count_ >= c_.min_samples && time_us - first_time_ >= c_.period_us) {
    const double spread = std::max(kMeanAbsToSigma * spread_, SpreadFloor(range_, level_, c_.min_spread));
    v.warming_up = false;
    v.expected = expected;
    v.deviation = residual;
    v.score = SquashDeviation(residual / spread, c_.z_half);
  }
  // Learn: spread from the residual; level from the deseasonalised value;
  // the slot's offset from what is left after the level.
  const double w = std::max(c_.beta, 1.0 / static_cast<double>(count_ + 1));
  spread_ += w * (std::fabs(residual) - spread_);
  level_ += std::max(c_.alpha, 1.0 / static_cast<double>(count_ + 1)) * (value - season_[slot] - level_);
  if (!seen_[slot]) {
    season_[slot] = value - level_;
    seen_[slot] = 1;
  } else {
    season_[slot] += c_.gamma * (value - level_ - season_[slot]);
  }
  ++count_;
  return v;
}

size_t SeasonalDetector::StateBytes() const {
  return sizeof(*this) + season_.capacity() * sizeof(double) + seen_.capacity();
}

std::vector<MethodParam> SeasonalParams() {
  return {
      {"period", "string", "1d", "Length of the cycle: seconds, or a number with s, m, h, d or w"},
      {"bins", "int", "24", "Slots per period (1..100000)"},
      {"alpha", "double", "0.05", "Level weight per value (0..1]"},
      {"gamma", "double", "0.2", "Slot offset weight per value in that slot (0..1]"},
      {"beta", "double", "0.02", "Spread (mean absolute residual) weight per value (0..1]"},
      {"min_samples", "int", "20", "Values seen before scoring starts (also waits one whole period)"},
      {"z_half", "double", "4", "Residual z-score that maps to anomaly score 0.5"},
      {"min_spread", "double", "0.001", "Spread floor, as a fraction of the series range (or level)"},
  };
}

std::shared_ptr<const DetectorFactory> MakeSeasonal(MethodParams& p) {
  SeasonalConfig c;
  const std::string period = p.String("period", "1d");
  if (!ParsePeriod(period, &c.period_us)) p.Error("period", "'" + period + "' is not a period (e.g. 86400, 1d, 7d)");
  c.bins = p.Int("bins", c.bins, 1, 100000);
  c.alpha = p.Double("alpha", c.alpha, 1e-6, 1);
  c.gamma = p.Double("gamma", c.gamma, 1e-6, 1);
  c.beta = p.Double("beta", c.beta, 1e-6, 1);
  c.min_samples = p.Int("min_samples", c.min_samples, 1, 1'000'000);
  c.z_half = p.Double("z_half", c.z_half, 1e-6, 1e6);
  c.min_spread = p.Double("min_spread", c.min_spread, 0, 1);
  return std::make_shared<SeasonalFactory>(c);
}

}  // namespace edgeflow::analytics
