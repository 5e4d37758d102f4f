// The typed configuration of the `sim` source and its parser.
//
// ParseSimConfig reads the YAML item once, reports every problem at its key
// path (`sources[0].fields.pressure_kpa.random_walk.min: must be < max`) and
// returns nullopt when there was any. The result is immutable input to
// SimSource. docs/sources/sim.md describes every option.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "config/config_node.h"
#include "connectors/sim/fault_scenario.h"
#include "connectors/sim/signal_generator.h"

namespace edgeflow::sim {

inline constexpr int64_t kMaxDevices = 1'000'000;

enum class Pace { kRealtime, kMax };

struct FieldConfig {
  std::string name;
  SignalSpec spec;
};

struct SimConfig {
  uint32_t devices = 1;
  std::string device_prefix = "device-";
  int device_digits = 4;       // zero-padded width of the index in device ids
  double period_micros = 1e6;  // time between ticks, > 0
  uint64_t seed = 0;
  std::optional<TimeMicros> start;  // nullopt: the clock's Now() at Start()
  Pace pace = Pace::kRealtime;
  std::optional<TimeMicros> duration;  // of event time; end after it
  std::optional<uint64_t> count;       // total ticks; end after them
  std::vector<FieldConfig> fields;
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<FaultSpec> faults;

  // "press-0007": the prefix and the index zero-padded to device_digits.
  std::string DeviceId(uint32_t index) const;
  int FieldIndex(std::string_view name) const;
};

// The fields a `sim` source simulates when `fields` is not given: a small
// machine with temperature_f, vibration_rms, pressure_kpa and current_a.
std::vector<FieldConfig> DefaultFields();

std::optional<SimConfig> ParseSimConfig(const ConfigNode& config);

// "10Hz", "0.5 Hz", "2kHz", a bare number (Hz) or a period ("100ms"): the
// period in microseconds.
Result<double> ParseRatePeriod(std::string_view text);
// "0.01/h", "2/m", "-1.5/30s", "3/d", or a bare number (per hour): the
// change per hour.
Result<double> ParsePerHour(std::string_view text);

}  // namespace edgeflow::sim
