#include "connectors/sim/fault_scenario.h"

#include <algorithm>

#include "connectors/sim/signal_generator.h"

namespace edgeflow::sim {

const std::vector<std::string>& FaultKindNames() {
  static const std::vector<std::string> kNames = {"bearing_wear", "overheating", "sensor_stuck",
                                                  "glitch",       "drift_fault", "comms_loss"};
  return kNames;
}

std::optional<FaultKind> ParseFaultKind(const std::string& name) {
  const auto& names = FaultKindNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<FaultKind>(i);
  }
  return std::nullopt;
}

std::string DefaultFaultField(FaultKind kind) {
  switch (kind) {
    case FaultKind::kBearingWear: return "vibration_rms";
    case FaultKind::kCommsLoss: return "";
    default: return "temperature_f";
  }
}

double ApplyValueFault(const FaultSpec& fault, int field, double value, TimeMicros elapsed) {
  if (!fault.ActiveAt(elapsed)) return value;
  const TimeMicros since = elapsed - fault.start;
  const double hours = static_cast<double>(since) / static_cast<double>(kMicrosPerHour);
  switch (fault.kind) {
    case FaultKind::kBearingWear: {
      const double progress =
          fault.ramp <= 0
              ? 1.0
              : std::min(1.0, static_cast<double>(since) / static_cast<double>(fault.ramp));
      if (field == fault.field) return value * (1 + (fault.factor - 1) * progress);
      if (field == fault.secondary_field) return value + fault.temperature_rise * progress;
      return value;
    }
    case FaultKind::kOverheating: {
      if (field != fault.field) return value;
      double rise = fault.rate_per_hour * hours;
      if (fault.max_rise) rise = std::min(rise, *fault.max_rise);
      return value + rise;
    }
    case FaultKind::kDriftFault:
      return field == fault.field ? value + fault.rate_per_hour * hours : value;
    default: return value;
  }
}

double ApplyStuck(const FaultSpec& fault, FaultState& state, double value, TimeMicros elapsed) {
  if (!fault.ActiveAt(elapsed)) {
    state.held = value;
    state.has_held = true;
    return value;
  }
  if (!state.has_held) {
    state.held = value;
    state.has_held = true;
  }
  return state.held;
}

double ApplyGlitch(const FaultSpec& fault, uint64_t stream_key, uint64_t index, double value,
                   TimeMicros elapsed) {
  if (!fault.ActiveAt(elapsed) || fault.values.empty()) return value;
  SplitMix64 rng = SplitMix64::ForSample(stream_key, index);
  if (!rng.NextBernoulli(fault.probability)) return value;
  return fault.values[rng.Next() % fault.values.size()];
}

}  // namespace edgeflow::sim
