#include "connectors/sim/sim_source.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/time_format.h"
#include "connectors/sim/sim_config.h"
#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

std::string Dump(const Event& e) {
  std::string out = FormatIsoTime(e.time) + " " + std::string(e.device.name());
  char buf[64];
  for (const Field& f : e.fields()) {
    if (f.value.type == ValueType::kInt) {
      std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(f.value.i));
    } else {
      std::snprintf(buf, sizeof(buf), "%.17g", f.value.d);
    }
    out += " " + std::string(f.name.name()) + "=" + buf;
  }
  for (const Field& t : e.tags())
    out += " #" + std::string(t.name.name()) + "=" + std::string(e.Text(t.value));
  return out;
}

// Polls until the source ends, `batch_size` events at a time.
std::vector<std::string> Drain(Source& source, size_t batch_size) {
  std::vector<std::string> lines;
  Batch batch;
  for (int polls = 0; polls < 1'000'000; ++polls) {
    batch.Clear();
    const PollResult r = source.Poll(batch, batch_size);
    for (const Event& e : batch) lines.push_back(Dump(e));
    if (r == PollResult::kEnd) return lines;
    if (r == PollResult::kData) {
      EXPECT_FALSE(batch.empty());
    }
  }
  ADD_FAILURE() << "source did not end";
  return lines;
}

struct Row {
  TimeMicros time;
  std::map<std::string, double> fields;
};

// Events per device, in order.
std::map<std::string, std::vector<Row>> ByDevice(Source& source) {
  std::map<std::string, std::vector<Row>> out;
  Batch batch;
  for (;;) {
    batch.Clear();
    const PollResult r = source.Poll(batch, 500);
    for (const Event& e : batch) {
      Row row{e.time, {}};
      for (const Field& f : e.fields())
        row.fields[std::string(f.name.name())] = *f.value.AsNumber();
      out[std::string(e.device.name())].push_back(row);
    }
    if (r == PollResult::kEnd) return out;
  }
}

class SimSourceTest : public ::testing::Test {
 protected:
  std::unique_ptr<Source> Build(const std::string& yaml) {
    auto source = h_.BuildSource(SimSourceDef(), yaml);
    EXPECT_TRUE(source) << h_.errors();
    if (source) {
      EXPECT_TRUE(source->Start().ok());
    }
    return source;
  }
  // The diagnostics of building `yaml` (expected to fail).
  std::string Errors(const std::string& yaml) {
    TestHarness h;
    auto source = h.BuildSource(SimSourceDef(), yaml);
    EXPECT_FALSE(source) << yaml;
    return h.errors();
  }

  TestHarness h_;
};

const char* const kFactory = R"(
type: sim
devices: 12
device_prefix: press-
rate: 10Hz
seed: 42
start: "2024-01-01T00:00:00Z"
pace: max
count: 300
fields:
  temperature_f: { base: 160, noise: 0.5, sine: { amplitude: 5, period: 10m }, drift: 0.01/h, round: 2 }
  vibration_rms: { base: 0.3, noise: 0.02, spike: { probability: 0.01, height: 3 } }
  pressure_kpa:  { random_walk: { start: 101, step: 0.05, min: 90, max: 110 } }
  current_a:     { base: 12, step: { at: 5s, delta: 4 }, dropout: { probability: 0.05, length: 3 } }
  cycles:        { base: 100, noise: { uniform: { min: 0, max: 10 } }, integer: true }
tags: { site: plant-1 }
faults:
  - { scenario: bearing_wear, devices: [3, 7], start: 5s, ramp: 10s }
  - { scenario: sensor_stuck, devices: [5], field: pressure_kpa, start: 2s }
  - { scenario: overheating, devices: [8], start: 3s }
  - { scenario: glitch, devices: [2], field: temperature_f, probability: 0.05 }
  - { scenario: comms_loss, devices: [press-0010], start: 10s, duration: 5s }
)";

TEST_F(SimSourceTest, SameSeedAndConfigGiveIdenticalEvents) {
  auto a = Build(kFactory);
  auto b = Build(kFactory);
  ASSERT_TRUE(a && b);
  const auto lines_a = Drain(*a, 1000);
  const auto lines_b = Drain(*b, 1000);
  EXPECT_EQ(lines_a.size(), 12u * 300 - 50);  // press-0010 is silent for 50 ticks
  EXPECT_EQ(lines_a, lines_b);
}

TEST_F(SimSourceTest, BatchSizesDoNotChangeTheEvents) {
  auto reference = Build(kFactory);
  ASSERT_TRUE(reference);
  const auto expected = Drain(*reference, 1000);
  for (size_t batch_size : {1, 7, 12, 13, 4096}) {
    auto source = Build(kFactory);
    ASSERT_TRUE(source);
    EXPECT_EQ(Drain(*source, batch_size), expected) << "batch size " << batch_size;
  }
}

TEST_F(SimSourceTest, DifferentSeedsGiveDifferentEvents) {
  std::string other = kFactory;
  other.replace(other.find("seed: 42"), 8, "seed: 43");
  auto a = Build(kFactory);
  auto b = Build(other);
  ASSERT_TRUE(a && b);
  EXPECT_NE(Drain(*a, 1000), Drain(*b, 1000));
}

TEST_F(SimSourceTest, EventShape) {
  auto source = Build(R"(
type: sim
devices: 3
device_prefix: press-
rate: 2Hz
start: "2024-01-01T00:00:00Z"
pace: max
count: 2
fields:
  temperature_f: 160
  vibration_rms: { base: 0.25 }
  cycles: { base: 7.4, integer: true }
tags: { site: plant-1, line: "7" }
)");
  ASSERT_TRUE(source);
  const std::vector<std::string> expected = {
      "2024-01-01T00:00:00Z press-0000 temperature_f=160 vibration_rms=0.25 cycles=7 #site=plant-1 "
      "#line=7",
      "2024-01-01T00:00:00Z press-0001 temperature_f=160 vibration_rms=0.25 cycles=7 #site=plant-1 "
      "#line=7",
      "2024-01-01T00:00:00Z press-0002 temperature_f=160 vibration_rms=0.25 cycles=7 #site=plant-1 "
      "#line=7",
      "2024-01-01T00:00:00.5Z press-0000 temperature_f=160 vibration_rms=0.25 cycles=7 "
      "#site=plant-1 #line=7",
      "2024-01-01T00:00:00.5Z press-0001 temperature_f=160 vibration_rms=0.25 cycles=7 "
      "#site=plant-1 #line=7",
      "2024-01-01T00:00:00.5Z press-0002 temperature_f=160 vibration_rms=0.25 cycles=7 "
      "#site=plant-1 #line=7",
  };
  EXPECT_EQ(Drain(*source, 100), expected);
  EXPECT_TRUE(h_.last_output_schema.known);
  EXPECT_EQ(h_.last_output_schema.fields,
            (std::set<std::string>{"temperature_f", "vibration_rms", "cycles"}));
}

TEST_F(SimSourceTest, DeviceIdsArePaddedToTheLargestIndex) {
  sim::SimConfig config;
  config.device_prefix = "press-";
  config.device_digits = 4;
  EXPECT_EQ(config.DeviceId(0), "press-0000");
  EXPECT_EQ(config.DeviceId(999), "press-0999");
  auto source = Build("{ type: sim, devices: 100000, pace: max, count: 1, fields: { x: 1 } }");
  ASSERT_TRUE(source);
  Batch batch;
  ASSERT_EQ(source->Poll(batch, 100000), PollResult::kData);
  ASSERT_EQ(batch.size(), 100000u);
  EXPECT_EQ(batch[0].device.name(), "device-00000");
  EXPECT_EQ(batch[99999].device.name(), "device-99999");
  batch.Clear();
  EXPECT_EQ(source->Poll(batch, 10), PollResult::kEnd);
}

TEST_F(SimSourceTest, DefaultFieldsAndStartFromTheClock) {
  auto source = Build("{ type: sim, pace: max, count: 1 }");
  ASSERT_TRUE(source);
  Batch batch;
  ASSERT_EQ(source->Poll(batch, 10), PollResult::kData);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].time, h_.clock().Now());
  EXPECT_EQ(batch[0].device.name(), "device-0000");
  std::vector<std::string> names;
  for (const Field& f : batch[0].fields()) names.push_back(std::string(f.name.name()));
  EXPECT_EQ(names, (std::vector<std::string>{"temperature_f", "vibration_rms", "pressure_kpa",
                                             "current_a"}));
}

TEST_F(SimSourceTest, RealtimePacingFollowsTheClock) {
  auto source = Build("{ type: sim, devices: 3, rate: 10Hz, fields: { x: 1 } }");
  ASSERT_TRUE(source);
  const TimeMicros t0 = h_.clock().Now();
  Batch batch;
  // The first tick is due at once.
  ASSERT_EQ(source->Poll(batch, 1000), PollResult::kData);
  EXPECT_EQ(batch.size(), 3u);
  batch.Clear();
  EXPECT_EQ(source->Poll(batch, 1000), PollResult::kIdle);

  h_.clock().Advance(kMicrosPerSecond);
  std::map<std::string, int> per_device;
  std::vector<TimeMicros> times;
  for (;;) {
    batch.Clear();
    const PollResult r = source->Poll(batch, 7);  // smaller than a second's worth
    for (const Event& e : batch) {
      ++per_device[std::string(e.device.name())];
      times.push_back(e.time);
    }
    if (r == PollResult::kIdle) break;
    ASSERT_EQ(r, PollResult::kData);
  }
  EXPECT_EQ(per_device, (std::map<std::string, int>{
                            {"device-0000", 10}, {"device-0001", 10}, {"device-0002", 10}}));
  EXPECT_EQ(times.front(), t0 + 100 * kMicrosPerMilli);
  EXPECT_EQ(times.back(), t0 + kMicrosPerSecond);

  h_.clock().Advance(99 * kMicrosPerMilli);
  batch.Clear();
  EXPECT_EQ(source->Poll(batch, 1000), PollResult::kIdle);
  h_.clock().Advance(1 * kMicrosPerMilli);
  EXPECT_EQ(source->Poll(batch, 1000), PollResult::kData);
  EXPECT_EQ(batch.size(), 3u);
}

TEST_F(SimSourceTest, RatePeriodEqualsFrequency) {
  auto hz = Build("{ type: sim, rate: 10Hz, pace: max, count: 20, seed: 3 }");
  auto period = Build("{ type: sim, rate: 100ms, pace: max, count: 20, seed: 3 }");
  ASSERT_TRUE(hz && period);
  EXPECT_EQ(Drain(*hz, 100), Drain(*period, 100));
}

TEST_F(SimSourceTest, EndsAfterCountOrDuration) {
  auto by_count =
      Build("{ type: sim, devices: 2, rate: 10Hz, pace: max, count: 5, fields: { x: 1 } }");
  ASSERT_TRUE(by_count);
  EXPECT_EQ(Drain(*by_count, 3).size(), 10u);
  Batch batch;
  EXPECT_EQ(by_count->Poll(batch, 10), PollResult::kEnd);

  auto by_duration = Build(
      "{ type: sim, devices: 2, rate: 3Hz, pace: max, duration: 2s, start: '2024-01-01', fields: { "
      "x: 1 } }");
  ASSERT_TRUE(by_duration);
  const auto lines = Drain(*by_duration, 1000);
  ASSERT_EQ(lines.size(), 12u);  // ticks at 0, 1/3, ..., 5/3 s
  EXPECT_EQ(lines.back().substr(0, 28), "2024-01-01T00:00:01.666667Z ");

  // Realtime: the end comes once the clock has passed it.
  auto realtime = Build("{ type: sim, rate: 10Hz, duration: 1s, fields: { x: 1 } }");
  ASSERT_TRUE(realtime);
  batch.Clear();
  EXPECT_EQ(realtime->Poll(batch, 100), PollResult::kData);
  h_.clock().Advance(5 * kMicrosPerSecond);
  batch.Clear();
  EXPECT_EQ(realtime->Poll(batch, 100), PollResult::kData);
  EXPECT_EQ(batch.size(), 9u);
  EXPECT_EQ(realtime->Poll(batch, 100), PollResult::kEnd);
}

TEST_F(SimSourceTest, DropoutRemovesFieldsAndEmptyEvents) {
  auto source = Build(R"(
type: sim
devices: 10
pace: max
count: 1000
fields:
  a: { base: 1, dropout: 0.2 }
  b: { base: 2, dropout: 1 }
)");
  ASSERT_TRUE(source);
  size_t events = 0;
  Batch batch;
  for (PollResult r = PollResult::kData; r != PollResult::kEnd;) {
    batch.Clear();
    r = source->Poll(batch, 256);
    for (const Event& e : batch) {
      ++events;
      ASSERT_EQ(e.fields().size(), 1u);
      EXPECT_EQ(e.fields()[0].name.name(), "a");
    }
  }
  EXPECT_NEAR(static_cast<double>(events) / 10000, 0.8, 0.02);
}

// Fault scenarios: with and without the fault, only the named devices differ,
// and only from the fault's start.
class SimFaultTest : public SimSourceTest {
 protected:
  static std::string Config(const std::string& faults) {
    return R"(
type: sim
devices: 6
rate: 1Hz
seed: 7
start: "2024-01-01T00:00:00Z"
pace: max
count: 600
fields:
  temperature_f: { base: 160, noise: 0.5 }
  vibration_rms: { base: 0.3, noise: 0.02 }
  pressure_kpa:  { random_walk: { start: 101, step: 0.05, min: 90, max: 110 } }
faults:
)" + faults;
  }

  // Builds with and without `fault`, checks that devices other than
  // `device` are untouched and that `device` is untouched before `start_s`.
  void Compare(const std::string& fault, const std::string& device, int start_s) {
    auto healthy_source = Build(Config("  []\n"));
    auto faulty_source = Build(Config("  - " + fault + "\n"));
    ASSERT_TRUE(healthy_source && faulty_source);
    healthy = ByDevice(*healthy_source);
    faulty = ByDevice(*faulty_source);
    ASSERT_EQ(healthy.size(), 6u);
    for (const auto& [name, rows] : healthy) {
      if (name == device) continue;
      ASSERT_EQ(faulty[name].size(), rows.size()) << name;
      for (size_t i = 0; i < rows.size(); ++i)
        ASSERT_EQ(faulty[name][i].fields, rows[i].fields) << name;
    }
    for (int i = 0; i < start_s; ++i) {
      ASSERT_EQ(faulty[device][i].fields, healthy[device][i].fields)
          << device << " before start, " << i;
    }
  }

  std::map<std::string, std::vector<Row>> healthy, faulty;
};

TEST_F(SimFaultTest, BearingWearRaisesVibrationThenTemperature) {
  Compare(
      "{ scenario: bearing_wear, devices: [3], start: 2m, ramp: 5m, factor: 4, temperature_rise: 6 "
      "}",
      "device-0003", 120);
  const auto& f = faulty["device-0003"];
  const auto& h = healthy["device-0003"];
  // Halfway up the ramp (4.5 min) and past it (8 min).
  EXPECT_NEAR(f[270].fields.at("vibration_rms") / h[270].fields.at("vibration_rms"), 2.5, 1e-9);
  EXPECT_NEAR(f[480].fields.at("vibration_rms") / h[480].fields.at("vibration_rms"), 4, 1e-9);
  EXPECT_NEAR(f[270].fields.at("temperature_f") - h[270].fields.at("temperature_f"), 3, 1e-9);
  EXPECT_NEAR(f[480].fields.at("temperature_f") - h[480].fields.at("temperature_f"), 6, 1e-9);
  EXPECT_EQ(f[480].fields.at("pressure_kpa"), h[480].fields.at("pressure_kpa"));
}

TEST_F(SimFaultTest, OverheatingClimbsLinearly) {
  Compare("{ scenario: overheating, devices: [1], start: 30s, rate: 2/m }", "device-0001", 30);
  const auto& f = faulty["device-0001"];
  const auto& h = healthy["device-0001"];
  for (int s : {30, 90, 330, 599}) {
    EXPECT_NEAR(f[s].fields.at("temperature_f") - h[s].fields.at("temperature_f"),
                2.0 * (s - 30) / 60, 1e-9);
  }
}

TEST_F(SimFaultTest, SensorStuckFreezesTheField) {
  Compare("{ scenario: sensor_stuck, devices: [5], field: pressure_kpa, start: 1m, duration: 2m }",
          "device-0005", 60);
  const auto& f = faulty["device-0005"];
  const auto& h = healthy["device-0005"];
  for (int s = 60; s < 180; ++s)
    ASSERT_EQ(f[s].fields.at("pressure_kpa"), h[59].fields.at("pressure_kpa"));
  EXPECT_EQ(f[180].fields.at("pressure_kpa"), h[180].fields.at("pressure_kpa"));
  EXPECT_NE(h[100].fields.at("pressure_kpa"), h[59].fields.at("pressure_kpa"));
  EXPECT_EQ(f[100].fields.at("temperature_f"), h[100].fields.at("temperature_f"));
}

TEST_F(SimFaultTest, GlitchEmitsOutOfRangeGarbage) {
  Compare("{ scenario: glitch, devices: [2], probability: 0.1 }", "device-0002", 0);
  const auto& f = faulty["device-0002"];
  const auto& h = healthy["device-0002"];
  int glitches = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    const double v = f[i].fields.at("temperature_f");
    if (v == h[i].fields.at("temperature_f")) continue;
    ++glitches;
    EXPECT_TRUE(v < -40 || v > 400) << v;
  }
  EXPECT_GT(glitches, 30);
  EXPECT_LT(glitches, 90);
}

TEST_F(SimFaultTest, DriftFaultAddsABias) {
  Compare("{ scenario: drift_fault, devices: [0], field: vibration_rms, rate: 0.6/h }",
          "device-0000", 0);
  const auto& f = faulty["device-0000"];
  const auto& h = healthy["device-0000"];
  EXPECT_NEAR(f[300].fields.at("vibration_rms") - h[300].fields.at("vibration_rms"), 0.05, 1e-9);
}

TEST_F(SimFaultTest, CommsLossSilencesTheDevice) {
  Compare("{ scenario: comms_loss, devices: [device-0004], start: 1m, duration: 30s }",
          "device-0004", 60);
  const auto& f = faulty["device-0004"];
  ASSERT_EQ(f.size(), 570u);
  const TimeMicros t0 = *ParseIsoTime("2024-01-01T00:00:00Z");
  EXPECT_EQ(f[59].time, t0 + 59 * kMicrosPerSecond);
  EXPECT_EQ(f[60].time, t0 + 90 * kMicrosPerSecond);
  // The device's signals go on while it is silent.
  EXPECT_EQ(f[60].fields, healthy["device-0004"][90].fields);
}

TEST_F(SimSourceTest, RegistryExampleBuilds) {
  const ComponentDef def = SimSourceDef();
  auto source = h_.BuildSource(def, def.example);
  EXPECT_TRUE(source) << h_.errors();
}

TEST(SimConfigTest, ParsesRatesAndPerTimeAmounts) {
  EXPECT_DOUBLE_EQ(*sim::ParseRatePeriod("10Hz"), 100000);
  EXPECT_DOUBLE_EQ(*sim::ParseRatePeriod("0.5Hz"), 2e6);
  EXPECT_DOUBLE_EQ(*sim::ParseRatePeriod("2 kHz"), 500);
  EXPECT_DOUBLE_EQ(*sim::ParseRatePeriod("4"), 250000);
  EXPECT_DOUBLE_EQ(*sim::ParseRatePeriod("100ms"), 100000);
  EXPECT_DOUBLE_EQ(*sim::ParseRatePeriod("1m"), 60e6);
  EXPECT_FALSE(sim::ParseRatePeriod("0Hz").ok());
  EXPECT_FALSE(sim::ParseRatePeriod("-3Hz").ok());
  EXPECT_FALSE(sim::ParseRatePeriod("0s").ok());
  EXPECT_FALSE(sim::ParseRatePeriod("fast").ok());
  EXPECT_FALSE(sim::ParseRatePeriod("2MHz").ok());

  EXPECT_DOUBLE_EQ(*sim::ParsePerHour("0.01/h"), 0.01);
  EXPECT_DOUBLE_EQ(*sim::ParsePerHour("2/m"), 120);
  EXPECT_DOUBLE_EQ(*sim::ParsePerHour("-1.5/30m"), -3);
  EXPECT_DOUBLE_EQ(*sim::ParsePerHour("24/d"), 1);
  EXPECT_DOUBLE_EQ(*sim::ParsePerHour("0.5"), 0.5);
  EXPECT_FALSE(sim::ParsePerHour("1/0s").ok());
  EXPECT_FALSE(sim::ParsePerHour("1/x").ok());
  EXPECT_FALSE(sim::ParsePerHour("fast").ok());
}

TEST_F(SimSourceTest, ConfigErrorsNameTheKeyPath) {
  struct Case {
    std::string yaml;
    std::vector<std::string> expected;  // substrings of the diagnostics
  };
  const std::vector<Case> cases = {
      {"{ type: sim, fields: { temperature_f: { base: 1, nosie: 2 } } }",
       {"sim.fields.temperature_f.nosie: unknown key 'nosie'", "did you mean 'noise'"}},
      {"{ type: sim, rate: 0Hz }", {"sim.rate: rate must be > 0"}},
      {"{ type: sim, rate: -100ms }", {"sim.rate: rate period must be > 0"}},
      {"{ type: sim, rate: often }", {"sim.rate: bad rate 'often'"}},
      {"{ type: sim, devices: 0 }", {"sim.devices: must be between 1 and 1000000"}},
      {"{ type: sim, devices: 1000001 }", {"sim.devices: must be between 1 and 1000000"}},
      {"{ type: sim, devices: many }", {"sim.devices: expected an integer"}},
      {"{ type: sim, duration: 10 minutes }", {"sim.duration: bad duration"}},
      {"{ type: sim, duration: 0s }", {"sim.duration: must be > 0"}},
      {"{ type: sim, count: 5, duration: 1s }", {"sim.count: set either duration or count"}},
      {"{ type: sim, start: yesterday }", {"sim.start: expected a time"}},
      {"{ type: sim, pace: fast }", {"sim.pace: unknown value 'fast'"}},
      {"{ type: sim, fields: {} }", {"sim.fields: expected a map"}},
      {"{ type: sim, fields: { x: [1, 2] } }",
       {"sim.fields.x: expected a number (a constant) or a map"}},
      {"{ type: sim, fields: { x: { sine: { amplitude: 1 } } } }",
       {"sim.fields.x.sine: missing required key 'period'"}},
      {"{ type: sim, fields: { x: { sine: { amplitude: 1, period: -1s } } } }",
       {"sim.fields.x.sine.period: must be > 0"}},
      {"{ type: sim, fields: { x: { sine: { period: 1s, phase: up } } } }",
       {"sim.fields.x.sine.phase: expected degrees"}},
      {"{ type: sim, fields: { x: { random_walk: { step: 1, min: 5, max: 1 } } } }",
       {"sim.fields.x.random_walk.max: must be greater than min"}},
      {"{ type: sim, fields: { x: { random_walk: { step: 1, start: 50, min: 0, max: 10 } } } }",
       {"sim.fields.x.random_walk.start: must be between min and max"}},
      {"{ type: sim, fields: { x: { noise: -1 } } }", {"sim.fields.x.noise: must be >= 0"}},
      {"{ type: sim, fields: { x: { noise: { stddev: 1, uniform: { min: 0, max: 1 } } } } }",
       {"sim.fields.x.noise: set exactly one of stddev or uniform"}},
      {"{ type: sim, fields: { x: { spike: { probability: 2, height: 1 } } } }",
       {"sim.fields.x.spike.probability: must be a probability between 0 and 1"}},
      {"{ type: sim, fields: { x: { step: [{ at: 1m, delta: 1 }, { at: soon, delta: 2 }] } } }",
       {"sim.fields.x.step[1].at: bad duration"}},
      {"{ type: sim, fields: { x: { drift: 1/fortnight } } }", {"sim.fields.x.drift: bad rate"}},
      {"{ type: sim, fields: { x: { dropout: { probability: 0.1, length: 0 } } } }",
       {"sim.fields.x.dropout.length: must be between 1 and 1000000"}},
      {"{ type: sim, fields: { x: { round: 20 } } }",
       {"sim.fields.x.round: must be a number of decimal digits"}},
      {"{ type: sim, faults: [{ scenario: bearing_waer, devices: [1] }] }",
       {"sim.faults[0].scenario: unknown scenario 'bearing_waer'", "did you mean 'bearing_wear'"}},
      {"{ type: sim, devices: 10, faults: [{ scenario: overheating, devices: [3, 12] }] }",
       {"sim.faults[0].devices[1]: device index 12 is out of range", "devices are 0..9"}},
      {"{ type: sim, devices: 10, faults: [{ scenario: overheating, devices: [press-0001] }] }",
       {"sim.faults[0].devices[0]: unknown device 'press-0001'"}},
      {"{ type: sim, faults: [{ scenario: overheating }] }",
       {"sim.faults[0]: missing required key 'devices'"}},
      {"{ type: sim, faults: [{ scenario: sensor_stuck, devices: [0], field: pressure }] }",
       {"sim.faults[0].field: no field 'pressure'", "did you mean 'pressure_kpa'"}},
      {"{ type: sim, fields: { x: 1 }, faults: [{ scenario: overheating, devices: [0] }] }",
       {"sim.faults[0]: scenario 'overheating' affects field 'temperature_f' by default"}},
      {"{ type: sim, faults: [{ scenario: glitch, devices: [0], ramp: 5m }] }",
       {"sim.faults[0].ramp: unknown key 'ramp'"}},
      {"{ type: sim, faults: [{ scenario: bearing_wear, devices: [0], ramp: 5 }] }",
       {"sim.faults[0].ramp: bad duration"}},
      {"{ type: sim, faults: [{ scenario: comms_loss, devices: [0], start: -1m }] }",
       {"sim.faults[0].start: must be >= 0"}},
      {"{ type: sim, faults: [{ scenario: comms_loss, devices: [0], field: x }] }",
       {"sim.faults[0].field: unknown key 'field'"}},
      {"{ type: sim, faults: [{ scenario: overheating, devices: [0], rate: hot }] }",
       {"sim.faults[0].rate: bad rate 'hot'"}},
      {"{ type: sim, sead: 4 }", {"sim.sead: unknown key 'sead'", "did you mean 'seed'"}},
  };
  for (const Case& c : cases) {
    const std::string errors = Errors(c.yaml);
    for (const std::string& e : c.expected) {
      EXPECT_NE(errors.find(e), std::string::npos)
          << c.yaml << "\n  expected: " << e << "\n  got: " << errors;
    }
  }
}

TEST_F(SimSourceTest, AllErrorsAreReportedAtOnce) {
  const std::string errors = Errors(
      "{ type: sim, devices: 0, rate: 0Hz, fields: { x: { nosie: 1 } }, faults: [{ scenario: x, "
      "devices: [0] }] }");
  EXPECT_NE(errors.find("sim.devices"), std::string::npos) << errors;
  EXPECT_NE(errors.find("sim.rate"), std::string::npos) << errors;
  EXPECT_NE(errors.find("sim.fields.x.nosie"), std::string::npos) << errors;
  EXPECT_NE(errors.find("sim.faults[0].scenario"), std::string::npos) << errors;
}

}  // namespace
}  // namespace edgeflow
