// Band energies: the power of a block of samples inside frequency bands,
// from one FFT (kissfft, single precision).
//
// The one-sided power spectrum is scaled so that the bands add up to the
// mean square of the samples (Parseval): bin k (frequency k * rate / n)
// contributes |X_k|^2 / n^2, doubled for 0 < k < n/2 (those bins stand for
// their negative-frequency mirror too). A sine of amplitude A therefore puts
// A^2 / 2 (= its RMS^2) into the band holding its frequency. A band is
// [low_hz, high_hz); a band reaching the Nyquist frequency (rate / 2)
// includes it. No window function is applied and the mean is not removed
// (the DC bin belongs to a band starting at 0 Hz).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace edgeflow::analytics {

struct FrequencyBand {
  std::string name;
  double low_hz = 0;
  double high_hz = 0;
};

class BandEnergyCalculator {
 public:
  BandEnergyCalculator();
  ~BandEnergyCalculator();
  BandEnergyCalculator(const BandEnergyCalculator&) = delete;
  BandEnergyCalculator& operator=(const BandEnergyCalculator&) = delete;

  // Writes one energy per band into `energies` (resized); NaN for every band
  // when `samples` is empty or `sample_rate_hz` is not > 0.
  void Compute(std::span<const double> samples, double sample_rate_hz,
               std::span<const FrequencyBand> bands, std::vector<double>& energies);

 private:
  struct Plan;
  std::unique_ptr<Plan> plan_;  // reused while the block length stays the same
};

}  // namespace edgeflow::analytics
