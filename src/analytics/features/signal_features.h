// Signal features of a block of samples (vibration, current, sound...):
// the numbers condition monitoring computes from a waveform.
//
// All functions take the samples in time order and return NaN when the
// feature is undefined for them (no samples; skewness, kurtosis and crest
// factor of a constant zero signal; zero-crossing rate of fewer than two
// samples). Definitions (docs/analytics/features.md):
//   rms            sqrt(mean(x^2))
//   peak           max |x|
//   peak_to_peak   max x - min x
//   crest          peak / rms
//   skewness       m3 / m2^1.5            (biased; scipy.stats.skew)
//   kurtosis       m4 / m2^2 - 3          (excess, biased; scipy.stats.kurtosis)
//   zcr            sign changes between consecutive samples / (n - 1)
// where mk is the k-th central moment (mean of (x - mean)^k). The zero
// crossing counts pairs where one sample is < 0 and the other >= 0.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edgeflow::analytics {

enum class SignalFeature { kRms, kPeak, kPeakToPeak, kCrest, kSkewness, kKurtosis, kZcr };

// Config names: rms peak peak_to_peak (p2p) crest skewness kurtosis zcr.
std::optional<SignalFeature> ParseSignalFeature(std::string_view name);
std::string_view SignalFeatureName(SignalFeature feature);
std::vector<std::string> SignalFeatureNames();

double Rms(std::span<const double> x);
double Peak(std::span<const double> x);
double PeakToPeak(std::span<const double> x);
double CrestFactor(std::span<const double> x);
double Skewness(std::span<const double> x);
double Kurtosis(std::span<const double> x);
double ZeroCrossingRate(std::span<const double> x);

double ComputeSignalFeature(SignalFeature feature, std::span<const double> x);

}  // namespace edgeflow::analytics
