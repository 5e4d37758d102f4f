// Signal generators of the `sim` source: the value of one field of one
// simulated device, sample after sample.
//
// A field's value is the sum of optional components (constant, sines, a
// random walk, noise, steps, spikes, a linear drift); a dropout component
// decides whether the sample is present at all, and `round` / `integer`
// quantise the final value (after faults, see fault_scenario.h).
//
// Determinism. Randomness is counter-based: every random draw is a pure
// function of (stream key, sample index), where the stream key hashes the
// seed, the device index, the field name and the component. So a sample's
// value never depends on batch sizes, poll timing or the other fields, and a
// change to one component (say the noise level) leaves the spikes, dropouts
// and walks of the same field where they were. We use our own SplitMix64 and
// Box–Muller instead of <random> distributions, whose output differs between
// standard libraries. (std::sin/std::log/std::cos still come from the C
// library: bit-identical output holds for one platform and build.)
//
// The only state is a SignalState per (device, field) for the components that
// remember (random walk position, remaining spike and dropout samples); the
// caller owns it and calls Generate() once per sample, in sample order.
// SignalGenerator is immutable after construction and thread-compatible.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace edgeflow::sim {

// SplitMix64's finaliser: a bijective 64-bit mix with good avalanche.
constexpr uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Combines a key with one more value (order matters).
constexpr uint64_t HashCombine(uint64_t key, uint64_t value) {
  return Mix64(key ^ Mix64(value + 0x9e3779b97f4a7c15ULL));
}

// FNV-1a of a name, so that a field's stream follows its name, not its
// position in the config.
uint64_t HashName(std::string_view name);

// SplitMix64 (Steele, Lea, Flood 2014): tiny state, passes BigCrush. Used for
// the handful of draws of one sample of one stream.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t state) : state_(state) {}
  // The generator for sample `index` of the stream `stream_key`.
  static SplitMix64 ForSample(uint64_t stream_key, uint64_t index) {
    return SplitMix64(HashCombine(stream_key, index));
  }

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }
  // Uniform in [0, 1), 53 random bits.
  double NextUnit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi).
  double NextUniform(double lo, double hi) { return lo + (hi - lo) * NextUnit(); }
  // True with probability `p`.
  bool NextBernoulli(double p) { return NextUnit() < p; }
  // Standard normal (Box–Muller; exactly two draws).
  double NextGaussian();

 private:
  uint64_t state_;
};

// The components of one field. All amounts are in the field's unit.
struct SignalSpec {
  struct Sine {
    double amplitude = 0;
    TimeMicros period = 0;  // > 0
    double phase_radians = 0;
  };
  struct RandomWalk {
    double start = 0;
    double step = 0;  // standard deviation of each increment
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
  };
  enum class NoiseKind { kNone, kGaussian, kUniform };
  struct Noise {
    NoiseKind kind = NoiseKind::kNone;
    double stddev = 0;        // kGaussian
    double min = 0, max = 0;  // kUniform
  };
  struct Step {
    TimeMicros at = 0;  // from the start of the simulation
    double delta = 0;
  };
  struct Spike {
    double probability = 0;  // per sample, that a spike starts
    double height = 0;
    int width = 1;  // samples
  };
  struct Dropout {
    double fraction = 0;  // long-run fraction of missing samples, in [0, 1)
    int length = 1;       // missing samples per gap
  };

  double base = 0;
  std::vector<Sine> sines;
  bool has_random_walk = false;
  RandomWalk random_walk;
  Noise noise;
  std::vector<Step> steps;
  Spike spike;
  double drift_per_hour = 0;
  Dropout dropout;
  int round_digits = -1;  // < 0: no rounding
  bool integer = false;
};

// Per (device, field) memory of the stateful components.
struct SignalState {
  double walk = 0;
  int32_t spike_left = 0;    // samples of the current spike still to add
  int32_t dropout_left = 0;  // samples of the current gap still missing
};

struct Sample {
  double value = 0;
  bool present = true;
};

class SignalGenerator {
 public:
  // `field_key` identifies the field within the simulation (see FieldKey).
  SignalGenerator(SignalSpec spec, uint64_t field_key);

  // The key of a field's streams: seed and field name.
  static uint64_t FieldKey(uint64_t seed, std::string_view field_name) {
    return HashCombine(Mix64(seed), HashName(field_name));
  }

  const SignalSpec& spec() const { return spec_; }
  SignalState InitialState() const;

  // Sample `index` of device `device`, taken `elapsed` after the start.
  // Must be called for every index in order (stateful components advance),
  // whether or not the sample is then emitted.
  Sample Generate(SignalState& state, uint64_t device, uint64_t index, TimeMicros elapsed) const;

  // Applies `round` and `integer` to a final value.
  double Quantize(double value) const;

 private:
  // Per-component salts of the stream keys.
  enum Component : uint64_t { kNoise = 1, kWalk = 2, kSpike = 3, kDropout = 4 };
  uint64_t StreamKey(uint64_t device, Component component) const {
    return HashCombine(HashCombine(field_key_, device), component);
  }

  SignalSpec spec_;
  uint64_t field_key_;
  double dropout_start_probability_ = 0;  // per present sample, to start a gap
  double round_scale_ = 1;
};

}  // namespace edgeflow::sim
