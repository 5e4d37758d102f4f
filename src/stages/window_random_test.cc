// Randomised check of the window stage against a brute-force recomputation:
// shuffled, late and duplicated input, several keys, tumbling and hopping
// windows, drop and update late policies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "pipeline/test_harness.h"
#include "stages/window.h"

namespace edgeflow {
namespace {

struct Input {
  TimeMicros time;
  int key;
  double value;
};

struct Expected {
  int64_t count = 0;
  std::vector<double> values;
};

struct Case {
  TimeMicros size, hop, delay, lateness;
  bool update;
};

void RunCase(const Case& c, uint32_t seed) {
  std::mt19937 rng(seed);
  // In-order base stream, then local shuffles, duplicates and stragglers.
  std::vector<Input> input;
  TimeMicros t = 1'700'000'000LL * kMicrosPerSecond;
  for (int i = 0; i < 3000; ++i) {
    t += std::uniform_int_distribution<TimeMicros>(0, 400'000)(rng);
    input.push_back({t, std::uniform_int_distribution<int>(0, 4)(rng),
                     std::round(std::normal_distribution<double>(50, 20)(rng) * 100) / 100});
  }
  for (size_t i = 0; i + 8 < input.size(); i += 8) {
    std::shuffle(input.begin() + static_cast<std::ptrdiff_t>(i),
                 input.begin() + static_cast<std::ptrdiff_t>(i + 8), rng);
  }
  for (int i = 0; i < 300; ++i) {  // duplicates and very late events
    const size_t from = std::uniform_int_distribution<size_t>(0, input.size() - 1)(rng);
    const size_t to = std::min(input.size(), from + std::uniform_int_distribution<size_t>(1, 400)(rng));
    input.insert(input.begin() + static_cast<std::ptrdiff_t>(to), input[from]);
  }

  std::string yaml = "{ type: hopping, size: " + std::to_string(c.size) + "us, hop: " + std::to_string(c.hop) +
                     "us, aggregate: { v: [count, sum, min, max, mean, stddev] }";
  if (c.update) yaml += ", late: update, allowed_lateness: " + std::to_string(c.lateness) + "us";
  yaml += " }";
  TestHarness h;
  auto stage = h.BuildStage(WindowStageDef(), yaml);
  ASSERT_TRUE(stage) << h.errors();

  const Symbol v = Symbol::Intern("v");
  std::vector<Symbol> keys;
  for (int k = 0; k < 5; ++k) keys.push_back(Symbol::Intern("dev" + std::to_string(k)));

  // Brute force: an event counts in window W iff W had not closed (for
  // update: not past its lateness) under the watermark seen before it.
  std::map<std::pair<int, TimeMicros>, Expected> expected;
  CollectingEmitter out;
  TimeMicros max_time = std::numeric_limits<TimeMicros>::min();
  TimeMicros wm = std::numeric_limits<TimeMicros>::min();
  Batch batch;
  for (const Input& in : input) {
    const TimeMicros last_start = (in.time / c.hop) * c.hop;
    for (TimeMicros s = last_start; s > in.time - c.size; s -= c.hop) {
      const TimeMicros end = s + c.size;
      const TimeMicros limit = c.update ? end + c.lateness : end;
      if (wm != std::numeric_limits<TimeMicros>::min() && limit <= wm) continue;
      Expected& e = expected[{in.key, s}];
      ++e.count;
      e.values.push_back(in.value);
    }
    batch.Clear();
    Event& e = batch.Append();
    e.time = in.time;
    e.device = keys[static_cast<size_t>(in.key)];
    e.SetDouble(v, in.value);
    stage->Process(batch, out);
    max_time = std::max(max_time, in.time);
    if (max_time - c.delay > wm) {
      wm = max_time - c.delay;
      stage->OnWatermark(wm, out);
    }
  }
  stage->Flush(out);

  // The last result emitted for each window must match.
  std::map<std::pair<int, TimeMicros>, const Event*> actual;
  for (const Event& e : out.main()) {
    const int key = std::stoi(std::string(e.device.name().substr(3)));
    actual[{key, e.time}] = &e;
  }
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [window, exp] : expected) {
    ASSERT_TRUE(actual.count(window)) << "missing window";
    const Event& e = *actual[window];
    std::vector<double> vals = exp.values;
    double sum = 0;
    for (double x : vals) sum += x;
    const double mean = sum / static_cast<double>(vals.size());
    double ss = 0;
    for (double x : vals) ss += (x - mean) * (x - mean);
    const double stddev = vals.size() < 2 ? 0 : std::sqrt(ss / static_cast<double>(vals.size() - 1));
    EXPECT_EQ(e.Find(Symbol::Intern("count"))->i, exp.count);
    EXPECT_EQ(e.Find(Symbol::Intern("v_count"))->i, exp.count);
    EXPECT_NEAR(*e.Number(Symbol::Intern("v_sum")), sum, 1e-6);
    EXPECT_NEAR(*e.Number(Symbol::Intern("v_mean")), mean, 1e-9);
    EXPECT_EQ(*e.Number(Symbol::Intern("v_min")), *std::min_element(vals.begin(), vals.end()));
    EXPECT_EQ(*e.Number(Symbol::Intern("v_max")), *std::max_element(vals.begin(), vals.end()));
    EXPECT_NEAR(*e.Number(Symbol::Intern("v_stddev")), stddev, 1e-6);
  }
}

TEST(WindowRandomTest, TumblingDropMatchesBruteForce) {
  for (uint32_t seed = 1; seed <= 5; ++seed) RunCase({10 * kMicrosPerSecond, 10 * kMicrosPerSecond, kMicrosPerSecond, 0, false}, seed);
}

TEST(WindowRandomTest, HoppingDropMatchesBruteForce) {
  for (uint32_t seed = 1; seed <= 5; ++seed) RunCase({10 * kMicrosPerSecond, 2500 * kMicrosPerMilli, 500 * kMicrosPerMilli, 0, false}, seed);
}

TEST(WindowRandomTest, TumblingUpdateWithLatenessMatchesBruteForce) {
  for (uint32_t seed = 1; seed <= 5; ++seed) RunCase({5 * kMicrosPerSecond, 5 * kMicrosPerSecond, 0, 20 * kMicrosPerSecond, true}, seed);
}

}  // namespace
}  // namespace edgeflow
