// Fault scenarios of the `sim` source: named misbehaviours applied to some
// devices from a point in (event) time, for testing filters, rules and
// detectors against known ground truth.
//
// Every scenario takes `devices` (indexes or ids), `start` (offset from the
// simulation start, default 0s) and `duration` (default: until the end).
// Times are elapsed event time since the first tick.
//
//   bearing_wear  The vibration field (default `vibration_rms`) is multiplied
//                 by a factor rising linearly from 1 to `factor` (default 4)
//                 over `ramp` (default 10m), then staying there; the
//                 temperature field (`temperature_field`, default
//                 `temperature_f`; skipped when the default is not a field)
//                 rises by up to `temperature_rise` (default 10) alongside.
//   overheating   The temperature field (default `temperature_f`) climbs
//                 linearly at `rate` (default 2/m, per minute), up to
//                 `max_rise` above normal when given.
//   sensor_stuck  The field (default `temperature_f`) repeats the value it
//                 had just before `start` (its first value when start is 0).
//   glitch        With `probability` per sample (default 0.01) the field
//                 (default `temperature_f`) is replaced by out-of-range
//                 garbage: one of `values` (default -999, 9999, -32768,
//                 32767, 65535), as faulty ADCs and firmware do.
//   drift_fault   The field (default `temperature_f`) gains a bias growing at
//                 `rate` (default 1/h, per hour): a miscalibrating sensor.
//   comms_loss    The device sends nothing at all while the fault is active.
//
// Faults change values in three passes: first the value faults
// (bearing_wear, overheating, drift_fault, in config order), then
// sensor_stuck freezes the result, then glitch replaces it. `round` and
// `integer` apply afterwards, dropout independently. The functions here are
// pure apart from the FaultState they are handed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace edgeflow::sim {

enum class FaultKind { kBearingWear, kOverheating, kSensorStuck, kGlitch, kDriftFault, kCommsLoss };

// Scenario names in the order of FaultKind.
const std::vector<std::string>& FaultKindNames();
std::optional<FaultKind> ParseFaultKind(const std::string& name);
// The field a scenario affects by default ("" for comms_loss).
std::string DefaultFaultField(FaultKind kind);

struct FaultSpec {
  FaultKind kind = FaultKind::kGlitch;
  std::vector<uint32_t> devices;  // sorted, unique
  TimeMicros start = 0;
  std::optional<TimeMicros> duration;  // nullopt: until the end
  int field = -1;                      // index of the affected field; -1 for comms_loss
  int secondary_field = -1;            // bearing_wear: the temperature field, or -1

  // bearing_wear
  TimeMicros ramp = 10 * kMicrosPerMinute;
  double factor = 4;
  double temperature_rise = 10;
  // overheating and drift_fault: change per hour.
  double rate_per_hour = 0;
  std::optional<double> max_rise;  // overheating
  // glitch
  double probability = 0.01;
  std::vector<double> values = {-999, 9999, -32768, 32767, 65535};

  bool ActiveAt(TimeMicros elapsed) const {
    return elapsed >= start && (!duration || elapsed < start + *duration);
  }
  // Value faults (first pass) vs. the freezing and replacing ones.
  bool IsValueFault() const {
    return kind == FaultKind::kBearingWear || kind == FaultKind::kOverheating ||
           kind == FaultKind::kDriftFault;
  }
};

// What one fault remembers for one device.
struct FaultState {
  bool has_held = false;
  double held = 0;  // sensor_stuck: the frozen value
};

// First pass: the effect of a value fault on `field` of a device.
double ApplyValueFault(const FaultSpec& fault, int field, double value, TimeMicros elapsed);

// Second pass: sensor_stuck. Call for every sample (active or not) so the
// fault can remember the last healthy value.
double ApplyStuck(const FaultSpec& fault, FaultState& state, double value, TimeMicros elapsed);

// Third pass: glitch. `stream_key` identifies (seed, fault, device); draws
// are a pure function of it and `index`.
double ApplyGlitch(const FaultSpec& fault, uint64_t stream_key, uint64_t index, double value,
                   TimeMicros elapsed);

}  // namespace edgeflow::sim
