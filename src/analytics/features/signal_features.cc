#include "analytics/features/signal_features.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgeflow::analytics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Mean(std::span<const double> x) {
  double sum = 0;
  for (double v : x) sum += v;
  return sum / static_cast<double>(x.size());
}

// Central moments m2, m3, m4 by two passes (the mean first), which stays
// accurate when the signal rides on a large offset.
struct Moments {
  double m2 = 0, m3 = 0, m4 = 0;
};

Moments CentralMoments(std::span<const double> x) {
  const double mean = Mean(x);
  Moments m;
  for (double v : x) {
    const double d = v - mean;
    const double d2 = d * d;
    m.m2 += d2;
    m.m3 += d2 * d;
    m.m4 += d2 * d2;
  }
  const double n = static_cast<double>(x.size());
  m.m2 /= n;
  m.m3 /= n;
  m.m4 /= n;
  return m;
}

}  // namespace

std::optional<SignalFeature> ParseSignalFeature(std::string_view name) {
  if (name == "rms") return SignalFeature::kRms;
  if (name == "peak") return SignalFeature::kPeak;
  if (name == "peak_to_peak" || name == "p2p") return SignalFeature::kPeakToPeak;
  if (name == "crest") return SignalFeature::kCrest;
  if (name == "skewness") return SignalFeature::kSkewness;
  if (name == "kurtosis") return SignalFeature::kKurtosis;
  if (name == "zcr") return SignalFeature::kZcr;
  return std::nullopt;
}

std::string_view SignalFeatureName(SignalFeature feature) {
  switch (feature) {
    case SignalFeature::kRms: return "rms";
    case SignalFeature::kPeak: return "peak";
    case SignalFeature::kPeakToPeak: return "peak_to_peak";
    case SignalFeature::kCrest: return "crest";
    case SignalFeature::kSkewness: return "skewness";
    case SignalFeature::kKurtosis: return "kurtosis";
    case SignalFeature::kZcr: return "zcr";
  }
  return "?";
}

std::vector<std::string> SignalFeatureNames() {
  return {"rms", "peak", "peak_to_peak", "p2p", "crest", "skewness", "kurtosis", "zcr"};
}

double Rms(std::span<const double> x) {
  if (x.empty()) return kNaN;
  double sq = 0;
  for (double v : x) sq += v * v;
  return std::sqrt(sq / static_cast<double>(x.size()));
}

double Peak(std::span<const double> x) {
  if (x.empty()) return kNaN;
  double peak = 0;
  for (double v : x) peak = std::max(peak, std::fabs(v));
  return peak;
}

double PeakToPeak(std::span<const double> x) {
  if (x.empty()) return kNaN;
  const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  return *hi - *lo;
}

double CrestFactor(std::span<const double> x) {
  const double rms = Rms(x);
  if (!(rms > 0)) return kNaN;
  return Peak(x) / rms;
}

double Skewness(std::span<const double> x) {
  if (x.empty()) return kNaN;
  const Moments m = CentralMoments(x);
  if (!(m.m2 > 0)) return kNaN;
  return m.m3 / std::pow(m.m2, 1.5);
}

double Kurtosis(std::span<const double> x) {
  if (x.empty()) return kNaN;
  const Moments m = CentralMoments(x);
  if (!(m.m2 > 0)) return kNaN;
  return m.m4 / (m.m2 * m.m2) - 3.0;
}

double ZeroCrossingRate(std::span<const double> x) {
  if (x.size() < 2) return kNaN;
  size_t crossings = 0;
  for (size_t i = 1; i < x.size(); ++i) {
    if ((x[i - 1] < 0) != (x[i] < 0)) ++crossings;
  }
  return static_cast<double>(crossings) / static_cast<double>(x.size() - 1);
}

double ComputeSignalFeature(SignalFeature feature, std::span<const double> x) {
  switch (feature) {
    case SignalFeature::kRms: return Rms(x);
    case SignalFeature::kPeak: return Peak(x);
    case SignalFeature::kPeakToPeak: return PeakToPeak(x);
    case SignalFeature::kCrest: return CrestFactor(x);
    case SignalFeature::kSkewness: return Skewness(x);
    case SignalFeature::kKurtosis: return Kurtosis(x);
    case SignalFeature::kZcr: return ZeroCrossingRate(x);
  }
  return kNaN;
}

}  // namespace edgeflow::analytics
