#include "analytics/features/signal_features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>
#include <string>
#include <vector>

#include "analytics/features/band_energy.h"

namespace edgeflow::analytics {
namespace {

std::vector<double> Sine(double amplitude, double freq_hz, double rate_hz, size_t n, double offset = 0) {
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = offset + amplitude * std::sin(2 * std::numbers::pi * freq_hz * static_cast<double>(i) / rate_hz);
  }
  return x;
}

// The same formula as testdata/expected_features.py.
std::vector<double> TestSignal() {
  std::vector<double> x(1000);
  for (size_t k = 0; k < x.size(); ++k) {
    const double i = static_cast<double>(k);
    x[k] = 1.5 * std::sin(2 * std::numbers::pi * 50 * i / 1000.0) +
           0.4 * std::sin(2 * std::numbers::pi * 180 * i / 1000.0 + 0.3) +
           0.2 * (static_cast<double>((k * 7919) % 101) / 50.0 - 1) + 0.1;
  }
  return x;
}

// Printed by testdata/expected_features.py (numpy + scipy.stats).
const std::map<std::string, double> kExpected = {
    {"rms", 1.1066463227341685},
    {"peak", 2.0829032908791709},
    {"peak_to_peak", 4.0588631945899678},
    {"crest", 1.8821761280812683},
    {"skewness", -0.0010288939455335064},
    {"kurtosis", -1.2828404358867824},
    {"zcr", 0.0990990990990991},
    {"band_0_40", 0.010299451444187478},
    {"band_40_60", 1.1208777286759599},
    {"band_150_200", 0.082600742693297924},
    {"band_200_500", 0.010645011059806529},
};

TEST(SignalFeaturesTest, SineOfKnownAmplitude) {
  // 50 Hz sampled at 1 kHz over whole periods.
  const std::vector<double> x = Sine(2.0, 50, 1000, 1000);
  EXPECT_NEAR(Rms(x), 2.0 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(Peak(x), 2.0, 1e-12);
  EXPECT_NEAR(PeakToPeak(x), 4.0, 1e-12);
  EXPECT_NEAR(CrestFactor(x), std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(Skewness(x), 0.0, 1e-9);
  EXPECT_NEAR(Kurtosis(x), -1.5, 1e-9);  // a sine's excess kurtosis
  // 100 crossings per second, over 999 sample pairs.
  EXPECT_NEAR(ZeroCrossingRate(x), 100.0 / 999.0, 2.0 / 999.0);
}

TEST(SignalFeaturesTest, MatchesNumpyOnMixedSignal) {
  const std::vector<double> x = TestSignal();
  for (SignalFeature f : {SignalFeature::kRms, SignalFeature::kPeak, SignalFeature::kPeakToPeak,
                          SignalFeature::kCrest, SignalFeature::kKurtosis, SignalFeature::kZcr}) {
    const double expected = kExpected.at(std::string(SignalFeatureName(f)));
    EXPECT_NEAR(ComputeSignalFeature(f, x), expected, 1e-12 * std::fabs(expected)) << SignalFeatureName(f);
  }
  EXPECT_NEAR(Skewness(x), kExpected.at("skewness"), 1e-12);
}

TEST(SignalFeaturesTest, MomentsStayAccurateOnLargeOffset) {
  const std::vector<double> x = Sine(1.0, 50, 1000, 1000, /*offset=*/1e6);
  EXPECT_NEAR(Kurtosis(x), -1.5, 1e-6);
  EXPECT_NEAR(Skewness(x), 0.0, 1e-6);
}

TEST(SignalFeaturesTest, UndefinedCasesAreNaN) {
  const std::vector<double> empty;
  const std::vector<double> zeros(10, 0.0);
  const std::vector<double> one = {3.0};
  EXPECT_TRUE(std::isnan(Rms(empty)));
  EXPECT_TRUE(std::isnan(CrestFactor(zeros)));
  EXPECT_TRUE(std::isnan(Kurtosis(zeros)));
  EXPECT_TRUE(std::isnan(Skewness(zeros)));
  EXPECT_TRUE(std::isnan(ZeroCrossingRate(one)));
  EXPECT_EQ(Rms(zeros), 0.0);
}

TEST(SignalFeaturesTest, ParsesNames) {
  EXPECT_EQ(ParseSignalFeature("p2p"), SignalFeature::kPeakToPeak);
  EXPECT_EQ(ParseSignalFeature("kurtosis"), SignalFeature::kKurtosis);
  EXPECT_FALSE(ParseSignalFeature("kurt"));
}

TEST(BandEnergyTest, SinePowerLandsInItsBand) {
  const std::vector<double> x = Sine(3.0, 120, 1000, 500);
  const std::vector<FrequencyBand> bands = {{"low", 0, 100}, {"mid", 100, 150}, {"high", 150, 500}};
  BandEnergyCalculator calc;
  std::vector<double> e;
  calc.Compute(x, 1000, bands, e);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_NEAR(e[1], 9.0 / 2, 1e-4);  // A^2 / 2
  EXPECT_NEAR(e[0], 0.0, 1e-5);
  EXPECT_NEAR(e[2], 0.0, 1e-5);
}

TEST(BandEnergyTest, BandsCoveringTheSpectrumSumToMeanSquare) {
  const std::vector<double> x = TestSignal();
  const std::vector<FrequencyBand> all = {{"all", 0, 500}};
  BandEnergyCalculator calc;
  std::vector<double> e;
  calc.Compute(x, 1000, all, e);
  const double rms = Rms(x);
  EXPECT_NEAR(e[0], rms * rms, 1e-5 * rms * rms);
}

TEST(BandEnergyTest, MatchesNumpyRfft) {
  const std::vector<double> x = TestSignal();
  const std::vector<FrequencyBand> bands = {
      {"band_0_40", 0, 40}, {"band_40_60", 40, 60}, {"band_150_200", 150, 200}, {"band_200_500", 200, 500}};
  BandEnergyCalculator calc;
  std::vector<double> e;
  calc.Compute(x, 1000, bands, e);
  for (size_t b = 0; b < bands.size(); ++b) {
    const double expected = kExpected.at(bands[b].name);
    // kissfft computes in single precision.
    EXPECT_NEAR(e[b], expected, 1e-4 * expected + 1e-7) << bands[b].name;
  }
  // An odd length (no Nyquist bin) and a reused plan of another size.
  const std::vector<double> odd = Sine(1.0, 100, 1000, 999);
  const std::vector<FrequencyBand> all = {{"all", 0, 500}};
  calc.Compute(odd, 1000, all, e);
  EXPECT_NEAR(e[0], Rms(odd) * Rms(odd), 1e-5);
}

TEST(BandEnergyTest, NoSamplesOrRateGivesNaN) {
  const std::vector<FrequencyBand> bands = {{"a", 0, 10}};
  BandEnergyCalculator calc;
  std::vector<double> e;
  calc.Compute({}, 1000, bands, e);
  EXPECT_TRUE(std::isnan(e[0]));
  const std::vector<double> x = {1, 2, 3, 4};
  calc.Compute(x, 0, bands, e);
  EXPECT_TRUE(std::isnan(e[0]));
}

}  // namespace
}  // namespace edgeflow::analytics
