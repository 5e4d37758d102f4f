#include "connectors/sim/sim_source.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "connectors/sim/fault_scenario.h"
#include "connectors/sim/signal_generator.h"
#include "connectors/sim/sim_config.h"

namespace edgeflow {
namespace {

using sim::FaultKind;
using sim::FaultSpec;
using sim::FaultState;
using sim::Pace;
using sim::Sample;
using sim::SignalGenerator;
using sim::SignalState;
using sim::SimConfig;

constexpr uint64_t kNoEnd = std::numeric_limits<uint64_t>::max();
// Salt of the glitch streams, apart from the generators' field keys.
constexpr uint64_t kGlitchSalt = 0x676c69746368ULL;  // "glitch"

class SimSource final : public Source {
 public:
  SimSource(SimConfig config, const ComponentContext& ctx)
      : config_(std::move(config)),
        clock_(ctx.clock != nullptr ? ctx.clock : &SystemClock::Instance()) {
    const size_t num_fields = config_.fields.size();
    for (const sim::FieldConfig& f : config_.fields) {
      generators_.emplace_back(f.spec, SignalGenerator::FieldKey(config_.seed, f.name));
      field_symbols_.push_back(Symbol::Intern(f.name));
      integer_.push_back(f.spec.integer);
    }
    device_symbols_.reserve(config_.devices);
    for (uint32_t d = 0; d < config_.devices; ++d) {
      device_symbols_.push_back(Symbol::Intern(config_.DeviceId(d)));
    }
    for (const auto& [name, value] : config_.tags) tags_.emplace_back(Symbol::Intern(name), value);

    states_.reserve(static_cast<size_t>(config_.devices) * num_fields);
    for (uint32_t d = 0; d < config_.devices; ++d) {
      for (const SignalGenerator& g : generators_) states_.push_back(g.InitialState());
    }
    scratch_.resize(num_fields);
    BuildFaultIndex();

    if (config_.count) {
      end_tick_ = *config_.count;
    } else if (config_.duration) {
      // The first tick at or after the duration is not emitted.
      uint64_t k = static_cast<uint64_t>(
          std::ceil(static_cast<double>(*config_.duration) / config_.period_micros));
      while (k > 0 && Offset(k - 1) >= *config_.duration) --k;
      while (Offset(k) < *config_.duration) ++k;
      end_tick_ = k;
    }
  }

  Status Start() override {
    mono_start_ = clock_->Monotonic();
    start_time_ = config_.start.value_or(clock_->Now());
    started_ = true;
    return Status::Ok();
  }

  PollResult Poll(Batch& out, size_t max_events) override {
    if (!started_) (void)Start();
    if (tick_ >= end_tick_) return PollResult::kEnd;
    uint64_t due_end = end_tick_;
    if (config_.pace == Pace::kRealtime) due_end = std::min(due_end, DueTicks());
    // Bounds the work of one call when devices are silent (comms_loss).
    const size_t max_visits = 4 * max_events + 64;
    size_t emitted = 0;
    size_t visited = 0;
    while (emitted < max_events && tick_ < due_end && visited < max_visits) {
      if (EmitDevice(device_, out)) ++emitted;
      ++visited;
      if (++device_ == config_.devices) {
        device_ = 0;
        ++tick_;
      }
    }
    if (emitted > 0) return PollResult::kData;
    return tick_ >= end_tick_ ? PollResult::kEnd : PollResult::kIdle;
  }

 private:
  struct FaultInstance {
    uint32_t fault;  // index into config_.faults
    FaultState state;
  };

  // Event-time offset of tick `k` from the first.
  TimeMicros Offset(uint64_t k) const {
    return static_cast<TimeMicros>(std::llround(static_cast<double>(k) * config_.period_micros));
  }

  // How many ticks are due by the processing clock: those with
  // Offset(k) <= time since Start().
  uint64_t DueTicks() const {
    const TimeMicros elapsed = clock_->Monotonic() - mono_start_;
    if (elapsed < 0) return 0;
    uint64_t k = static_cast<uint64_t>(static_cast<double>(elapsed) / config_.period_micros);
    while (k > 0 && Offset(k) > elapsed) --k;
    while (Offset(k + 1) <= elapsed) ++k;
    return k + 1;
  }

  // Faults by device (compressed rows: the instances of device d are
  // [fault_offsets_[d], fault_offsets_[d + 1]), in config order).
  void BuildFaultIndex() {
    if (config_.faults.empty()) return;
    fault_offsets_.assign(static_cast<size_t>(config_.devices) + 1, 0);
    for (const FaultSpec& f : config_.faults) {
      for (uint32_t d : f.devices) ++fault_offsets_[d + 1];
    }
    for (size_t d = 0; d < config_.devices; ++d) fault_offsets_[d + 1] += fault_offsets_[d];
    fault_instances_.resize(fault_offsets_.back());
    std::vector<uint32_t> next(fault_offsets_.begin(), fault_offsets_.end() - 1);
    for (uint32_t i = 0; i < config_.faults.size(); ++i) {
      for (uint32_t d : config_.faults[i].devices) fault_instances_[next[d]++] = {i, FaultState()};
    }
  }

  // Computes device `device` at the current tick; appends its event unless
  // it is silent. Returns whether it appended.
  bool EmitDevice(uint32_t device, Batch& out) {
    const TimeMicros elapsed = Offset(tick_);
    const size_t num_fields = generators_.size();
    SignalState* states = &states_[static_cast<size_t>(device) * num_fields];
    for (size_t f = 0; f < num_fields; ++f) {
      scratch_[f] = generators_[f].Generate(states[f], device, tick_, elapsed);
    }

    bool silent = false;
    if (!fault_offsets_.empty()) {
      FaultInstance* begin = fault_instances_.data() + fault_offsets_[device];
      FaultInstance* end = fault_instances_.data() + fault_offsets_[device + 1];
      for (FaultInstance* i = begin; i != end; ++i) {  // value faults
        const FaultSpec& fault = config_.faults[i->fault];
        if (!fault.IsValueFault()) continue;
        for (int field : {fault.field, fault.secondary_field}) {
          if (field < 0) continue;
          scratch_[field].value =
              sim::ApplyValueFault(fault, field, scratch_[field].value, elapsed);
        }
      }
      for (FaultInstance* i = begin; i != end; ++i) {  // stuck
        const FaultSpec& fault = config_.faults[i->fault];
        if (fault.kind != FaultKind::kSensorStuck) continue;
        double& v = scratch_[fault.field].value;
        v = sim::ApplyStuck(fault, i->state, v, elapsed);
      }
      for (FaultInstance* i = begin; i != end; ++i) {  // glitch, comms_loss
        const FaultSpec& fault = config_.faults[i->fault];
        if (fault.kind == FaultKind::kCommsLoss) {
          silent = silent || fault.ActiveAt(elapsed);
        } else if (fault.kind == FaultKind::kGlitch) {
          const uint64_t key = sim::HashCombine(
              sim::HashCombine(sim::HashCombine(sim::Mix64(config_.seed), kGlitchSalt), i->fault),
              device);
          double& v = scratch_[fault.field].value;
          v = sim::ApplyGlitch(fault, key, tick_, v, elapsed);
        }
      }
    }
    if (silent) return false;

    Event& e = out.Append();
    e.time = start_time_ + elapsed;
    e.device = device_symbols_[device];
    for (size_t f = 0; f < num_fields; ++f) {
      if (!scratch_[f].present) continue;
      const double v = generators_[f].Quantize(scratch_[f].value);
      e.AppendUnchecked(field_symbols_[f],
                        integer_[f] ? Value::Int(static_cast<int64_t>(v)) : Value::Double(v));
    }
    if (e.fields().empty()) {  // every field dropped out: nothing to send
      out.PopBack();
      return false;
    }
    for (const auto& [name, value] : tags_) e.SetTag(name, value);
    return true;
  }

  const SimConfig config_;
  const Clock* clock_;
  std::vector<SignalGenerator> generators_;
  std::vector<Symbol> field_symbols_;
  std::vector<bool> integer_;
  std::vector<Symbol> device_symbols_;
  std::vector<std::pair<Symbol, std::string>> tags_;
  std::vector<SignalState> states_;  // [device * fields + field]
  std::vector<Sample> scratch_;      // the current device's samples
  std::vector<uint32_t> fault_offsets_;
  std::vector<FaultInstance> fault_instances_;

  uint64_t end_tick_ = kNoEnd;
  uint64_t tick_ = 0;    // the tick being emitted
  uint32_t device_ = 0;  // the next device of that tick
  bool started_ = false;
  TimeMicros start_time_ = 0;
  TimeMicros mono_start_ = 0;
};

}  // namespace

ComponentDef SimSourceDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSource;
  def.type = "sim";
  def.summary =
      "Simulates a fleet of sensor devices: deterministic, seeded, with injectable faults.";
  def.description =
      "Emits one event per device per tick. Each field is the sum of optional generators "
      "(`base`, `sine`, `random_walk`, `noise`, `step`, `spike`, `drift`), may drop out "
      "(`dropout`) and be rounded (`round`, `integer`). Fault scenarios (`bearing_wear`, "
      "`overheating`, `sensor_stuck`, `glitch`, `drift_fault`, `comms_loss`) change chosen "
      "devices from a point in time. The same seed and config always produce the same events. "
      "See docs/sources/sim.md.";
  def.params = {
      {"devices", "integer", "1", "Number of simulated devices (1 to 1000000).", false},
      {"device_prefix", "string", "device-",
       "Device ids are this prefix and the zero-padded index (at least 4 digits): press-0007.",
       false},
      {"rate", "frequency or duration", "1Hz",
       "Ticks per second per device (10Hz, 0.5Hz) or the period between ticks (100ms).", false},
      {"seed", "integer", "0", "Seed of every random stream; same seed, same events.", false},
      {"start", "time", "clock now at start",
       "Event time of the first tick, RFC 3339 (\"2024-01-01T00:00:00Z\").", false},
      {"pace", "realtime | max", "realtime",
       "realtime: ticks follow the processing clock; max: as fast as the pipeline takes them.",
       false},
      {"duration", "duration", "",
       "End after this much event time (ticks before start + duration are emitted).", false},
      {"count", "integer", "", "End after this many ticks (each tick: one event per device).",
       false},
      {"fields", "map of field to generators",
       "temperature_f, vibration_rms, pressure_kpa, current_a",
       "The simulated fields, in output order; each a number (constant) or a map of generators.",
       false},
      {"tags", "map of string", "", "Tags added to every event ({ site: plant-1 }).", false},
      {"faults", "list of faults", "",
       "Fault scenarios applied to listed devices: { scenario, devices, start, duration, ... }.",
       false},
  };
  def.example = R"(id: plant
type: sim
devices: 20
device_prefix: press-
rate: 10Hz
seed: 42
fields:
  temperature_f: { base: 160, noise: 0.5, sine: { amplitude: 5, period: 10m }, round: 2 }
  vibration_rms: { base: 0.3, noise: 0.02, spike: { probability: 0.001, height: 3 } }
  pressure_kpa: { random_walk: { start: 101, step: 0.05, min: 90, max: 110 }, round: 2 }
  current_a: { base: 12, step: { at: 5m, delta: 4 }, dropout: { probability: 0.01 } }
tags: { site: plant-1 }
faults:
  - { scenario: bearing_wear, devices: [3, 17], start: 2m, ramp: 5m }
  - { scenario: sensor_stuck, devices: [5], field: pressure_kpa, start: 1m }
  - { scenario: glitch, devices: [2], probability: 0.01 }
)";
  def.make_source = [](BuildContext& ctx) -> std::unique_ptr<Source> {
    std::optional<SimConfig> config = sim::ParseSimConfig(ctx.config);
    if (!config) return nullptr;
    ctx.output_schema.known = true;
    ctx.output_schema.fields.clear();
    for (const sim::FieldConfig& f : config->fields) ctx.output_schema.fields.insert(f.name);
    return std::make_unique<SimSource>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
