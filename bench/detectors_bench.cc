// Anomaly detector cost per value (Google Benchmark), one series each:
//   build/release/bench/stage_benchmarks --benchmark_filter=Detector
// The series is a 288-value daily cycle with noise and a spike every 5,000
// values; items/s = values/s on one core, measured after warm-up.
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "analytics/rcf_detector.h"
#include "analytics/resonance_detector.h"

namespace edgeflow::analytics {
namespace {

std::vector<double> DailySeries(size_t n) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> values(n);
  for (size_t i = 0; i < n; ++i) {
    values[i] = 50.0 + 20.0 * std::sin(i * 2.0 * M_PI / 288.0) + noise(rng) + (i % 5000 == 4999 ? 30.0 : 0.0);
  }
  return values;
}

void RunDetector(benchmark::State& state, const DetectorFactory& factory) {
  const std::vector<double> values = DailySeries(1 << 16);
  std::unique_ptr<Detector> detector = factory.Make(SeriesInfo{0.0, 110.0, 1});
  size_t i = 0;
  for (int w = 0; w < 2000; ++w, ++i) detector->Update(static_cast<int64_t>(i), values[i]);
  double sum = 0.0;
  for (auto _ : state) {
    sum += detector->Update(static_cast<int64_t>(i), values[i & (values.size() - 1)]).score;
    ++i;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
  state.counters["state_bytes"] = static_cast<double>(detector->StateBytes());
}

void BM_DetectorResonance(benchmark::State& state) { RunDetector(state, ResonanceFactory(ResonanceParams{})); }
BENCHMARK(BM_DetectorResonance);

void BM_DetectorRcf(benchmark::State& state) { RunDetector(state, RcfFactory(RcfParams{})); }
BENCHMARK(BM_DetectorRcf);

}  // namespace
}  // namespace edgeflow::analytics
