// Per-stage cost on factory-like events, in ns/event (Google Benchmark).
//   build/release/bench/stage_benchmarks
// Each benchmark pushes batches of 1,024 events (1,000 devices, 10 Hz, four
// numeric fields) through one component and reports items/s = events/s.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>

#include "connectors/codec/json_decoder.h"
#include "connectors/codec/json_encoder.h"
#include "pipeline/test_harness.h"
#include "stages/deadband.h"
#include "stages/filter.h"
#include "stages/map.h"
#include "stages/rule.h"
#include "stages/smooth.h"
#include "stages/window.h"

namespace edgeflow {
namespace {

constexpr int kDevices = 1000;
constexpr size_t kBatch = 1024;

struct FactoryEvents {
  std::vector<Symbol> devices;
  Symbol temperature_f = Symbol::Intern("temperature_f"), vibration = Symbol::Intern("vibration_rms"),
         pressure = Symbol::Intern("pressure_kpa"), current = Symbol::Intern("current_a");
  std::mt19937_64 rng{1};
  std::normal_distribution<double> noise{0, 1};
  int64_t tick = 0;
  int device = 0;

  FactoryEvents() {
    char name[32];
    for (int d = 0; d < kDevices; ++d) {
      std::snprintf(name, sizeof name, "press-%04d", d);
      devices.push_back(Symbol::Intern(name));
    }
  }
  void Fill(Batch& batch) {
    batch.Clear();
    for (size_t i = 0; i < kBatch; ++i) {
      Event& e = batch.Append();
      e.time = 1'700'000'000'000'000 + tick * 100'000;
      e.device = devices[static_cast<size_t>(device)];
      e.SetDouble(temperature_f, 160 + 2 * noise(rng));
      e.SetDouble(vibration, 0.3 + 0.02 * noise(rng));
      e.SetDouble(pressure, 101 + 0.5 * noise(rng));
      e.SetDouble(current, 12 + 0.1 * noise(rng));
      if (++device == kDevices) {
        device = 0;
        ++tick;
      }
    }
  }
};

class NullEmitter : public Emitter {
 public:
  using Emitter::Emit;
  void Emit(int, Batch& batch) override { benchmark::DoNotOptimize(batch.size()); }
};

// Runs `stage` on fresh copies of pre-generated batches; the copy is timed
// separately (Copy benchmark) so its cost can be subtracted.
void RunStage(benchmark::State& state, const ComponentDef& def, const std::string& yaml,
              bool advance_watermark = false) {
  TestHarness h;
  auto stage = h.BuildStage(def, yaml);
  if (!stage) {
    state.SkipWithError(h.errors().c_str());
    return;
  }
  FactoryEvents gen;
  std::vector<Batch> inputs(64);
  for (Batch& b : inputs) gen.Fill(b);
  Batch work;
  NullEmitter out;
  size_t i = 0;
  TimeMicros wm = 0;
  for (auto _ : state) {
    const Batch& in = inputs[i++ % inputs.size()];
    state.PauseTiming();
    work.Clear();
    work.AppendAll(in);
    state.ResumeTiming();
    stage->Process(work, out);
    if (advance_watermark) {
      wm = std::max(wm, in.back().time);
      stage->OnWatermark(wm, out);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

void BM_Filter(benchmark::State& s) { RunStage(s, FilterStageDef(), "\"temperature_f > -40 and temperature_f < 400\""); }
void BM_MapFtoC(benchmark::State& s) { RunStage(s, MapStageDef(), "{ temperature_c: \"f_to_c(temperature_f)\" }"); }
void BM_Window10s(benchmark::State& s) {
  RunStage(s, WindowStageDef(),
           "{ size: 10s, aggregate: { temperature_f: [count, mean, min, max, stddev], vibration_rms: [count, mean, min, max, stddev],"
           " pressure_kpa: [count, mean, min, max, stddev], current_a: [count, mean, min, max, stddev] } }",
           true);
}
void BM_Rule(benchmark::State& s) { RunStage(s, RuleStageDef(), "{ when: \"vibration_rms > 1.0\", hold: 1m }"); }
void BM_Deadband(benchmark::State& s) { RunStage(s, DeadbandStageDef(), "{ fields: [temperature_f], delta: 0.5 }"); }
void BM_SmoothEwma(benchmark::State& s) { RunStage(s, SmoothStageDef(), "{ fields: [vibration_rms], method: ewma, alpha: 0.2 }"); }

void BM_JsonDecodeLines(benchmark::State& state) {
  std::string text;
  char line[256];
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0, 1);
  for (size_t i = 0; i < kBatch; ++i) {
    std::snprintf(line, sizeof line,
                  "{\"device\":\"press-%04zu\",\"time\":%lld,\"temperature_f\":%.2f,\"vibration_rms\":%.3f,"
                  "\"pressure_kpa\":%.2f,\"current_a\":%.2f}\n",
                  i % kDevices, 1700000000000LL + static_cast<long long>(i / kDevices) * 100,
                  160 + 2 * noise(rng), 0.3 + 0.02 * noise(rng), 101 + 0.5 * noise(rng), 12 + 0.1 * noise(rng));
    text += line;
  }
  JsonDecoderOptions options;
  options.time_format = InputTimeFormat::kUnixMillis;
  JsonDecoder decoder(options);
  Batch batch;
  for (auto _ : state) {
    batch.Clear();
    decoder.DecodeLines(text, 1'700'000'000'000'000, batch);
    benchmark::DoNotOptimize(batch.size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_JsonEncode(benchmark::State& state) {
  FactoryEvents gen;
  Batch batch;
  gen.Fill(batch);
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (const Event& e : batch) AppendEventJson(e, JsonEncodeOptions{}, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

BENCHMARK(BM_JsonDecodeLines);
BENCHMARK(BM_Filter);
BENCHMARK(BM_MapFtoC);
BENCHMARK(BM_Window10s);
BENCHMARK(BM_Rule);
BENCHMARK(BM_Deadband);
BENCHMARK(BM_SmoothEwma);
BENCHMARK(BM_JsonEncode);

}  // namespace
}  // namespace edgeflow
