#include "analytics/features/band_energy.h"

#include <kiss_fft.h>

#include <cmath>
#include <limits>

namespace edgeflow::analytics {

struct BandEnergyCalculator::Plan {
  explicit Plan(size_t n) : size(n), cfg(kiss_fft_alloc(static_cast<int>(n), 0, nullptr, nullptr)), in(n), out(n) {}
  ~Plan() { kiss_fft_free(cfg); }
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  size_t size;
  kiss_fft_cfg cfg;
  std::vector<kiss_fft_cpx> in;
  std::vector<kiss_fft_cpx> out;
};

BandEnergyCalculator::BandEnergyCalculator() = default;
BandEnergyCalculator::~BandEnergyCalculator() = default;

void BandEnergyCalculator::Compute(std::span<const double> samples, double rate,
                                   std::span<const FrequencyBand> bands, std::vector<double>& energies) {
  energies.assign(bands.size(), std::numeric_limits<double>::quiet_NaN());
  const size_t n = samples.size();
  if (n == 0 || !(rate > 0)) return;
  if (!plan_ || plan_->size != n) plan_ = std::make_unique<Plan>(n);
  for (size_t i = 0; i < n; ++i) {
    plan_->in[i].r = static_cast<kiss_fft_scalar>(samples[i]);
    plan_->in[i].i = 0;
  }
  kiss_fft(plan_->cfg, plan_->in.data(), plan_->out.data());

  for (double& e : energies) e = 0;
  const double nyquist = rate / 2;
  const double norm = 1.0 / (static_cast<double>(n) * static_cast<double>(n));
  for (size_t k = 0; k <= n / 2; ++k) {
    const double re = plan_->out[k].r;
    const double im = plan_->out[k].i;
    double power = (re * re + im * im) * norm;
    const bool mirrored = k > 0 && 2 * k != n;  // not DC, not the Nyquist bin
    if (mirrored) power *= 2;
    const double freq = static_cast<double>(k) * rate / static_cast<double>(n);
    for (size_t b = 0; b < bands.size(); ++b) {
      const FrequencyBand& band = bands[b];
      const bool inside = freq >= band.low_hz && (freq < band.high_hz || (band.high_hz >= nyquist && freq <= nyquist));
      if (inside) energies[b] += power;
    }
  }
}

}  // namespace edgeflow::analytics
