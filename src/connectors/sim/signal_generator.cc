#include "connectors/sim/signal_generator.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace edgeflow::sim {

uint64_t HashName(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

double SplitMix64::NextGaussian() {
  // u1 in (0, 1] so that log(u1) is finite.
  const double u1 = static_cast<double>((Next() >> 11) + 1) * 0x1.0p-53;
  const double u2 = NextUnit();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

SignalGenerator::SignalGenerator(SignalSpec spec, uint64_t field_key)
    : spec_(std::move(spec)), field_key_(field_key) {
  // A gap of L samples starts with probability q on a present sample; the
  // long-run missing fraction is then f = qL / (qL + 1 - q), so q = f / (L(1-f) + f).
  const double f = spec_.dropout.fraction;
  const double length = std::max(1, spec_.dropout.length);
  if (f > 0) dropout_start_probability_ = f / (length * (1 - f) + f);
  if (spec_.round_digits >= 0) round_scale_ = std::pow(10.0, spec_.round_digits);
}

SignalState SignalGenerator::InitialState() const {
  SignalState state;
  state.walk = spec_.random_walk.start;
  return state;
}

Sample SignalGenerator::Generate(SignalState& state, uint64_t device, uint64_t index,
                                 TimeMicros elapsed) const {
  Sample sample;
  double v = spec_.base;

  for (const SignalSpec::Sine& s : spec_.sines) {
    // The position within the period from integers, so precision does not
    // decay over long runs.
    const double cycle = static_cast<double>(elapsed % s.period) / static_cast<double>(s.period);
    v += s.amplitude * std::sin(2.0 * std::numbers::pi * cycle + s.phase_radians);
  }

  if (spec_.has_random_walk) {
    const SignalSpec::RandomWalk& w = spec_.random_walk;
    if (index > 0 && w.step > 0) {
      SplitMix64 rng = SplitMix64::ForSample(StreamKey(device, kWalk), index);
      double x = state.walk + w.step * rng.NextGaussian();
      // Reflect at the bounds (keeps the walk's spread), then clamp in case
      // one increment crossed the whole range.
      if (x > w.max) x = 2 * w.max - x;
      if (x < w.min) x = 2 * w.min - x;
      state.walk = std::clamp(x, w.min, w.max);
    }
    v += state.walk;
  }

  switch (spec_.noise.kind) {
    case SignalSpec::NoiseKind::kNone: break;
    case SignalSpec::NoiseKind::kGaussian: {
      SplitMix64 rng = SplitMix64::ForSample(StreamKey(device, kNoise), index);
      v += spec_.noise.stddev * rng.NextGaussian();
      break;
    }
    case SignalSpec::NoiseKind::kUniform: {
      SplitMix64 rng = SplitMix64::ForSample(StreamKey(device, kNoise), index);
      v += rng.NextUniform(spec_.noise.min, spec_.noise.max);
      break;
    }
  }

  for (const SignalSpec::Step& s : spec_.steps) {
    if (elapsed >= s.at) v += s.delta;
  }

  if (spec_.spike.probability > 0) {
    if (state.spike_left > 0) {
      --state.spike_left;
      v += spec_.spike.height;
    } else {
      SplitMix64 rng = SplitMix64::ForSample(StreamKey(device, kSpike), index);
      if (rng.NextBernoulli(spec_.spike.probability)) {
        state.spike_left = std::max(1, spec_.spike.width) - 1;
        v += spec_.spike.height;
      }
    }
  }

  if (spec_.drift_per_hour != 0) {
    v += spec_.drift_per_hour * static_cast<double>(elapsed) / static_cast<double>(kMicrosPerHour);
  }

  if (dropout_start_probability_ > 0) {
    if (state.dropout_left > 0) {
      --state.dropout_left;
      sample.present = false;
    } else {
      SplitMix64 rng = SplitMix64::ForSample(StreamKey(device, kDropout), index);
      if (rng.NextBernoulli(dropout_start_probability_)) {
        state.dropout_left = std::max(1, spec_.dropout.length) - 1;
        sample.present = false;
      }
    }
  }

  sample.value = v;
  return sample;
}

double SignalGenerator::Quantize(double value) const {
  if (spec_.integer) return std::round(value);
  if (spec_.round_digits >= 0) return std::round(value * round_scale_) / round_scale_;
  return value;
}

}  // namespace edgeflow::sim
