#include "connectors/sim/signal_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace edgeflow::sim {
namespace {

constexpr TimeMicros kPeriod100ms = 100 * kMicrosPerMilli;

// Generates `n` samples of one device at 10 Hz.
std::vector<Sample> Simulate(const SignalSpec& spec, size_t n, uint64_t device = 0,
                             uint64_t seed = 42) {
  SignalGenerator gen(spec, SignalGenerator::FieldKey(seed, "x"));
  SignalState state = gen.InitialState();
  std::vector<Sample> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(gen.Generate(state, device, i, static_cast<TimeMicros>(i) * kPeriod100ms));
  }
  return out;
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double Stddev(const std::vector<double>& v) {
  const double m = Mean(v);
  double sum = 0;
  for (double x : v) sum += (x - m) * (x - m);
  return std::sqrt(sum / static_cast<double>(v.size()));
}

std::vector<double> Values(const std::vector<Sample>& samples) {
  std::vector<double> out;
  for (const Sample& s : samples) out.push_back(s.value);
  return out;
}

TEST(SignalRngTest, SameKeyAndIndexGiveSameDraws) {
  SplitMix64 a = SplitMix64::ForSample(123, 7);
  SplitMix64 b = SplitMix64::ForSample(123, 7);
  SplitMix64 c = SplitMix64::ForSample(123, 8);
  const uint64_t a1 = a.Next();
  EXPECT_EQ(a1, b.Next());
  EXPECT_NE(a1, c.Next());
}

TEST(SignalRngTest, KnownValuesArePinned) {
  // SplitMix64 reference: seed 0 gives 0xe220a8397b1dcdaf first.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.Next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.Next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(HashName(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(HashName("a"), 0xaf63dc4c8601ec8cULL);
}

TEST(SignalRngTest, GaussianHasUnitVarianceAndUniformIsInRange) {
  std::vector<double> g;
  for (uint64_t i = 0; i < 100000; ++i) {
    SplitMix64 rng = SplitMix64::ForSample(99, i);
    g.push_back(rng.NextGaussian());
    const double u = rng.NextUnit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
  EXPECT_NEAR(Mean(g), 0.0, 0.02);
  EXPECT_NEAR(Stddev(g), 1.0, 0.02);
  // About 95.4% within two standard deviations.
  const auto within = std::count_if(g.begin(), g.end(), [](double x) { return std::abs(x) < 2; });
  EXPECT_NEAR(static_cast<double>(within) / g.size(), 0.954, 0.005);
}

TEST(SignalGeneratorTest, ConstantBase) {
  SignalSpec spec;
  spec.base = 21.5;
  for (const Sample& s : Simulate(spec, 100)) {
    EXPECT_EQ(s.value, 21.5);
    EXPECT_TRUE(s.present);
  }
}

TEST(SignalGeneratorTest, SineHasItsPeriodAmplitudeAndPhase) {
  SignalSpec spec;
  spec.base = 10;
  spec.sines.push_back({5, 10 * kMicrosPerSecond, 0});
  const auto v = Values(Simulate(spec, 1000));  // 100 s at 10 Hz: 10 periods
  EXPECT_NEAR(v[0], 10, 1e-12);
  EXPECT_NEAR(v[25], 15, 1e-12);  // a quarter period (2.5 s)
  EXPECT_NEAR(v[75], 5, 1e-12);
  for (size_t i = 0; i + 100 < v.size(); ++i) ASSERT_NEAR(v[i], v[i + 100], 1e-9) << i;
  EXPECT_NEAR(*std::max_element(v.begin(), v.end()), 15, 1e-9);
  EXPECT_NEAR(*std::min_element(v.begin(), v.end()), 5, 1e-9);
  int upward_crossings = 0;
  for (size_t i = 1; i < v.size(); ++i) upward_crossings += v[i - 1] < 10 && v[i] >= 10;
  EXPECT_EQ(upward_crossings, 9);  // the first starts at sample 0

  spec.sines[0].phase_radians = std::numbers::pi / 2;
  EXPECT_NEAR(Values(Simulate(spec, 1))[0], 15, 1e-12);
}

TEST(SignalGeneratorTest, StepAddsDeltaFromItsTime) {
  SignalSpec spec;
  spec.base = 12;
  spec.steps.push_back({5 * kMicrosPerSecond, 4});
  const auto v = Values(Simulate(spec, 100));
  EXPECT_EQ(v[49], 12);
  EXPECT_EQ(v[50], 16);
  EXPECT_EQ(v[99], 16);
}

TEST(SignalGeneratorTest, DriftIsLinearPerHour) {
  SignalSpec spec;
  spec.drift_per_hour = 2;
  SignalGenerator gen(spec, 1);
  SignalState state = gen.InitialState();
  EXPECT_NEAR(gen.Generate(state, 0, 0, 0).value, 0, 1e-12);
  EXPECT_NEAR(gen.Generate(state, 0, 1, 30 * kMicrosPerMinute).value, 1, 1e-12);
  EXPECT_NEAR(gen.Generate(state, 0, 2, 3 * kMicrosPerHour).value, 6, 1e-12);
}

TEST(SignalGeneratorTest, GaussianNoiseHasItsStddev) {
  SignalSpec spec;
  spec.base = 100;
  spec.noise.kind = SignalSpec::NoiseKind::kGaussian;
  spec.noise.stddev = 0.5;
  const auto v = Values(Simulate(spec, 50000));
  EXPECT_NEAR(Mean(v), 100, 0.01);
  EXPECT_NEAR(Stddev(v), 0.5, 0.01);
}

TEST(SignalGeneratorTest, UniformNoiseStaysInItsRange) {
  SignalSpec spec;
  spec.noise.kind = SignalSpec::NoiseKind::kUniform;
  spec.noise.min = -1;
  spec.noise.max = 3;
  const auto v = Values(Simulate(spec, 50000));
  EXPECT_GE(*std::min_element(v.begin(), v.end()), -1);
  EXPECT_LT(*std::max_element(v.begin(), v.end()), 3);
  EXPECT_NEAR(Mean(v), 1, 0.03);
  EXPECT_NEAR(Stddev(v), 4 / std::sqrt(12.0), 0.02);
}

TEST(SignalGeneratorTest, RandomWalkStaysWithinBoundsAndMoves) {
  SignalSpec spec;
  spec.has_random_walk = true;
  spec.random_walk = {101, 0.5, 100, 102};
  const auto v = Values(Simulate(spec, 20000));
  EXPECT_EQ(v[0], 101);  // the walk starts where configured
  EXPECT_GE(*std::min_element(v.begin(), v.end()), 100);
  EXPECT_LE(*std::max_element(v.begin(), v.end()), 102);
  // It explores the range rather than sticking at a bound.
  EXPECT_LT(*std::min_element(v.begin(), v.end()), 100.2);
  EXPECT_GT(*std::max_element(v.begin(), v.end()), 101.8);
  EXPECT_NEAR(Mean(v), 101, 0.2);
  // Increments are about `step` apart away from the bounds.
  std::vector<double> steps;
  for (size_t i = 1; i < v.size(); ++i) steps.push_back(v[i] - v[i - 1]);
  EXPECT_NEAR(Stddev(steps), 0.5, 0.1);
}

TEST(SignalGeneratorTest, UnboundedWalkSpreadsLikeSqrtN) {
  SignalSpec spec;
  spec.has_random_walk = true;
  spec.random_walk.step = 1;
  // Over many devices, the position after n steps has stddev sqrt(n).
  std::vector<double> ends;
  for (uint64_t device = 0; device < 2000; ++device)
    ends.push_back(Simulate(spec, 101, device).back().value);
  EXPECT_NEAR(Stddev(ends), 10, 0.6);
}

TEST(SignalGeneratorTest, SpikeRateAndHeight) {
  SignalSpec spec;
  spec.base = 0.3;
  spec.spike = {0.01, 3, 1};
  const auto v = Values(Simulate(spec, 100000));
  const auto spikes = std::count_if(v.begin(), v.end(), [](double x) { return x > 1; });
  EXPECT_NEAR(static_cast<double>(spikes), 1000, 100);  // ~3 sigma
  for (double x : v) ASSERT_TRUE(x == 0.3 || x == 3.3) << x;
}

TEST(SignalGeneratorTest, WideSpikesLastTheirWidth) {
  SignalSpec spec;
  spec.spike = {0.002, 1, 5};
  const auto v = Values(Simulate(spec, 100000));
  int run = 0;
  int runs = 0;
  for (size_t i = 0; i <= v.size(); ++i) {
    if (i < v.size() && v[i] > 0) {
      ++run;
      continue;
    }
    if (run > 0) {
      ++runs;
      ASSERT_EQ(run % 5, 0) << "spike run of " << run << " ending at " << i;
    }
    run = 0;
  }
  EXPECT_GT(runs, 100);
}

TEST(SignalGeneratorTest, DropoutFractionMatchesProbability) {
  SignalSpec spec;
  spec.dropout = {0.05, 1};
  auto samples = Simulate(spec, 100000);
  auto missing =
      std::count_if(samples.begin(), samples.end(), [](const Sample& s) { return !s.present; });
  EXPECT_NEAR(static_cast<double>(missing) / samples.size(), 0.05, 0.003);

  spec.dropout = {0.05, 10};
  samples = Simulate(spec, 200000);
  missing =
      std::count_if(samples.begin(), samples.end(), [](const Sample& s) { return !s.present; });
  EXPECT_NEAR(static_cast<double>(missing) / samples.size(), 0.05, 0.006);
  // Gaps come in runs of the configured length.
  int run = 0;
  for (size_t i = 0; i <= samples.size(); ++i) {
    if (i < samples.size() && !samples[i].present) {
      ++run;
      continue;
    }
    if (run > 0) {
      ASSERT_EQ(run % 10, 0) << "gap of " << run << " ending at " << i;
    }
    run = 0;
  }
}

TEST(SignalGeneratorTest, DevicesAndFieldsHaveIndependentStreams) {
  SignalSpec spec;
  spec.noise.kind = SignalSpec::NoiseKind::kGaussian;
  spec.noise.stddev = 1;
  EXPECT_EQ(Values(Simulate(spec, 50, 3)), Values(Simulate(spec, 50, 3)));
  EXPECT_NE(Values(Simulate(spec, 50, 3)), Values(Simulate(spec, 50, 4)));
  EXPECT_NE(Values(Simulate(spec, 50, 3, 1)), Values(Simulate(spec, 50, 3, 2)));
  EXPECT_NE(SignalGenerator::FieldKey(1, "a"), SignalGenerator::FieldKey(1, "b"));
}

TEST(SignalGeneratorTest, ChangingOneComponentLeavesTheOthersRandomnessAlone) {
  SignalSpec spec;
  spec.spike = {0.05, 100, 1};
  spec.noise.kind = SignalSpec::NoiseKind::kGaussian;
  spec.noise.stddev = 0.1;
  const auto a = Values(Simulate(spec, 2000));
  spec.noise.stddev = 0.2;
  const auto b = Values(Simulate(spec, 2000));
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i] > 50, b[i] > 50) << i;
}

TEST(SignalGeneratorTest, QuantizeRoundsOrMakesIntegers) {
  SignalSpec spec;
  spec.round_digits = 2;
  EXPECT_DOUBLE_EQ(SignalGenerator(spec, 0).Quantize(3.14159), 3.14);
  EXPECT_DOUBLE_EQ(SignalGenerator(spec, 0).Quantize(-2.005001), -2.01);
  spec.round_digits = 0;
  EXPECT_DOUBLE_EQ(SignalGenerator(spec, 0).Quantize(2.5), 3);
  spec.round_digits = -1;
  spec.integer = true;
  EXPECT_DOUBLE_EQ(SignalGenerator(spec, 0).Quantize(11.6), 12);
  spec.integer = false;
  EXPECT_DOUBLE_EQ(SignalGenerator(spec, 0).Quantize(11.6), 11.6);
}

}  // namespace
}  // namespace edgeflow::sim
