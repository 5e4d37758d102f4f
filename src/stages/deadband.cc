#include "stages/deadband.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "stages/device_slots.h"
#include "stages/stage_util.h"

namespace edgeflow {
namespace {

struct Threshold {
  bool relative = false;  // true: `amount` is a fraction of the last passed value
  double amount = 0;
};

struct WatchedField {
  Symbol name;
  Threshold threshold;
};

struct DeadbandConfig {
  std::vector<WatchedField> fields;
  TimeMicros max_silence = 0;  // 0: off
  size_t max_keys = 100000;
};

constexpr double kAbsent = std::numeric_limits<double>::quiet_NaN();

// Whether a field moved enough to report. NaN stands for "absent or not a
// number", so a field appearing or disappearing counts as a change.
bool Changed(double last, double now, const Threshold& t) {
  const bool had = !std::isnan(last);
  const bool has = !std::isnan(now);
  if (had != has) return true;
  if (!has || last == now) return false;
  if (!std::isfinite(last) || !std::isfinite(now)) return true;
  const double moved = std::abs(now - last);
  return t.relative ? moved > t.amount * std::abs(last) : moved > t.amount;
}

class DeadbandStage final : public Stage {
 public:
  DeadbandStage(DeadbandConfig config, const ComponentContext& ctx)
      : c_(std::move(config)),
        slots_(c_.max_keys),
        deadband_(ctx.counters.Dropped("deadband")),
        key_limit_(ctx.counters.Dropped("max_keys")) {}

  void Process(Batch& batch, Emitter& out) override {
    batch.Retain([this](const Event& e) { return Pass(e); });
    if (!batch.empty()) out.Emit(batch);
  }

 private:
  bool Pass(const Event& e) {
    bool created = false;
    const int64_t slot = slots_.Find(e.device, &created);
    if (slot < 0) {
      key_limit_->Add();
      return false;
    }
    const size_t n = c_.fields.size();
    const size_t base = static_cast<size_t>(slot) * n;
    if (created) {
      last_.resize(base + n, kAbsent);
      last_time_.resize(static_cast<size_t>(slot) + 1, 0);
    } else if (!ShouldReport(e, base, last_time_[static_cast<size_t>(slot)])) {
      deadband_->Add();
      return false;
    }
    for (size_t i = 0; i < n; ++i) last_[base + i] = ValueOf(e, c_.fields[i].name);
    last_time_[static_cast<size_t>(slot)] = e.time;
    return true;
  }

  bool ShouldReport(const Event& e, size_t base, TimeMicros last_time) const {
    if (c_.max_silence > 0 && e.time - last_time >= c_.max_silence) return true;
    for (size_t i = 0; i < c_.fields.size(); ++i) {
      if (Changed(last_[base + i], ValueOf(e, c_.fields[i].name), c_.fields[i].threshold)) {
        return true;
      }
    }
    return false;
  }

  static double ValueOf(const Event& e, Symbol field) {
    const std::optional<double> v = e.Number(field);
    return v ? *v : kAbsent;
  }

  DeadbandConfig c_;
  DeviceSlots slots_;
  Counter* deadband_;
  Counter* key_limit_;
  std::vector<double> last_;           // slot * fields + i: last passed value, NaN if absent
  std::vector<TimeMicros> last_time_;  // slot: event time of the last passed event
};

// Reads `delta` or `percent` from `node` (either may be absent); reports
// both being set and negative values.
std::optional<Threshold> ReadThreshold(const ConfigNode& node) {
  const bool has_delta = node.Has("delta");
  const bool has_percent = node.Has("percent");
  if (has_delta && has_percent) {
    node["percent"].Error("give either delta or percent, not both");
    return std::nullopt;
  }
  if (has_delta) {
    const double d = node["delta"].Double(0);
    if (d < 0) node["delta"].Error("must be >= 0");
    return Threshold{false, d};
  }
  if (has_percent) {
    const double p = node["percent"].Double(0);
    if (p < 0) node["percent"].Error("must be >= 0");
    return Threshold{true, p / 100.0};
  }
  return std::nullopt;
}

std::optional<DeadbandConfig> ParseConfig(BuildContext& ctx) {
  const ConfigNode& cfg = ctx.config;
  DeadbandConfig c;
  if (!cfg.Has("fields")) return std::nullopt;  // reported by CheckDeclaredKeys (required)
  const std::optional<Threshold> fallback = ReadThreshold(cfg);
  const ConfigNode fields = cfg["fields"];
  const char* kNoThreshold = "no threshold for this field";
  const char* kThresholdHint = "set delta: or percent: on the stage or on the field";
  if (fields.is_map()) {
    for (const std::string& name : fields.Keys()) {
      const ConfigNode f = fields[name];
      CheckFieldKnown(ctx, f, name);
      std::optional<Threshold> t;
      if (f.is_scalar()) {  // `temperature_c: 0.5` is short for { delta: 0.5 }
        t = Threshold{false, f.Double(0)};
        if (t->amount < 0) f.Error("must be >= 0");
      } else if (f.is_map()) {
        f.CheckKeys({"delta", "percent"});
        t = ReadThreshold(f);
      } else if (f.defined()) {
        f.Error("expected { delta: N } or { percent: N }");
        continue;
      }
      if (!t) t = fallback;
      if (!t) f.Error(kNoThreshold, kThresholdHint);
      c.fields.push_back({Symbol::Intern(name), t.value_or(Threshold{})});
    }
  } else {
    for (const std::string& name : fields.StringList()) {
      CheckFieldKnown(ctx, fields, name);
      c.fields.push_back({Symbol::Intern(name), fallback.value_or(Threshold{})});
    }
    if (!fallback && !c.fields.empty()) cfg.Error(kNoThreshold, kThresholdHint);
  }
  if (c.fields.empty() && fields.defined()) fields.Error("list at least one field");
  for (size_t i = 0; i < c.fields.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (c.fields[i].name == c.fields[j].name) {
        fields.Error("field '" + std::string(c.fields[i].name.name()) + "' is listed twice");
      }
    }
  }
  c.max_silence = cfg["max_silence"].Duration(0);
  if (c.max_silence < 0) cfg["max_silence"].Error("must be >= 0");
  const int64_t max_keys = cfg["max_keys"].Int(100000);
  if (max_keys <= 0) cfg["max_keys"].Error("must be > 0");
  c.max_keys = static_cast<size_t>(std::max<int64_t>(max_keys, 1));
  ctx.output_schema = ctx.input_schema;
  return c;
}

}  // namespace

ComponentDef DeadbandStageDef() {
  ComponentDef def;
  def.kind = ComponentKind::kStage;
  def.type = "deadband";
  def.summary = "Report by exception: passes an event only when a watched field moved enough.";
  def.description =
      "Per device, remembers the watched fields of the last event it passed. A new event "
      "passes when any watched field moved more than its threshold from that value (strictly "
      "more: `|new - last| > delta`, or `> percent/100 * |last|`), appeared or disappeared, or "
      "when `max_silence` of event time has passed since the device's last passed event; "
      "otherwise it is dropped and counted as `dropped{reason=\"deadband\"}`. The first event "
      "of a device always passes. Values that are not numbers (text, NaN) count as absent; "
      "bools count as 0 and 1. With `percent`, any change from a last value of 0 passes. "
      "Passed events are unchanged. Devices beyond `max_keys` are dropped and counted as "
      "`dropped{reason=\"max_keys\"}`.";
  def.params = {
      {"fields", "list of string, or map", "",
       "Fields to watch: a list, or a map giving each field its own threshold "
       "(`{ temperature_c: { delta: 0.5 }, pressure_kpa: { percent: 1 } }`; a bare number is a "
       "delta).",
       true},
      {"delta", "number", "", "Absolute change that makes a field worth reporting (>= 0).", false},
      {"percent", "number", "",
       "Change relative to the last passed value, in percent (>= 0); instead of delta.", false},
      {"max_silence", "duration", "off",
       "Pass an event anyway when this much event time went by since the device's last passed "
       "event (a heartbeat).",
       false},
      {"max_keys", "integer", "100000",
       "Bound on devices with state; events of further devices are dropped and counted.", false},
  };
  def.example = "deadband: { fields: [temperature_c, pressure_kpa], delta: 0.5, max_silence: 5m }";
  def.make_stage = [](BuildContext& ctx) -> std::unique_ptr<Stage> {
    auto config = ParseConfig(ctx);
    if (!config || !ctx.ok()) return nullptr;
    return std::make_unique<DeadbandStage>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
