// Synthetic series for detector tests: a seeded noisy signal with one
// injected anomaly, and helpers to read the scores back.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "analytics/detector.h"
#include "analytics/detector_methods.h"

namespace edgeflow::analytics::detector_testing {

struct Series {
  std::vector<int64_t> times_us;
  std::vector<double> values;
};

// `n` values every `step_s` seconds: level + amplitude * sin(daily) + noise.
inline Series NoisyDaily(size_t n, int64_t step_s, double level, double amplitude, double noise, uint32_t seed) {
  Series s;
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0.0, noise);
  for (size_t i = 0; i < n; ++i) {
    const int64_t t = static_cast<int64_t>(i) * step_s;
    s.times_us.push_back(t * 1'000'000);
    s.values.push_back(level + amplitude * std::sin(2 * M_PI * static_cast<double>(t) / 86400.0) + gauss(rng));
  }
  return s;
}

// The factory of the registered `method` with `params`; a test failure (and
// null) when it rejects them.
inline std::shared_ptr<const DetectorFactory> MakeMethod(const std::string& method,
                                                         std::map<std::string, std::string> params = {}) {
  auto f = MakeDetectorFactory(method, MethodParams(std::move(params)));
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : nullptr;
}

inline std::vector<Verdict> RunSeries(const DetectorFactory& factory, const Series& s, SeriesInfo info = {}) {
  std::unique_ptr<Detector> d = factory.Make(info);
  std::vector<Verdict> out;
  for (size_t i = 0; i < s.values.size(); ++i) out.push_back(d->Update(s.times_us[i], s.values[i]));
  return out;
}

// The highest score over rows [from, to), skipping warm-up rows.
inline double MaxScore(const std::vector<Verdict>& v, size_t from, size_t to) {
  double m = 0;
  for (size_t i = from; i < to && i < v.size(); ++i) {
    if (!v[i].warming_up) m = std::max(m, v[i].score);
  }
  return m;
}

}  // namespace edgeflow::analytics::detector_testing

namespace edgeflow::analytics {
// Method parameters for tests: MethodParams(Params{{"window", "50"}}).
using Params = std::map<std::string, std::string>;
}  // namespace edgeflow::analytics
