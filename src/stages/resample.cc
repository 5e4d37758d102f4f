#include "stages/resample.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "stages/aggregator.h"
#include "stages/device_slots.h"
#include "stages/stage_util.h"

namespace edgeflow {
namespace {

struct FieldAgg {
  Symbol field;
  AggKind kind;
};

struct ResampleConfig {
  TimeMicros period = 0;
  AggKind default_kind = AggKind::kMean;
  std::vector<FieldAgg> fields;  // empty: every numeric field, with default_kind
  bool needs_sketch = false;
  bool fill_previous = false;
  int64_t max_fill = 100;
  size_t max_keys = 100000;
  size_t max_periods_per_key = 1000;
};

struct PeriodState {
  TimeMicros start = 0;
  uint64_t events = 0;
  // Configured fields: aggs[i] is fields[i]. All fields mode: the first
  // `used` entries of names/aggs (same length) are the fields seen so far.
  size_t used = 0;
  std::vector<Symbol> names;
  std::vector<AggState> aggs;
};

struct KeyState {
  Symbol device;
  std::vector<PeriodState> open;   // sorted by start
  std::vector<PeriodState> spare;  // closed periods, kept for reuse
  // The last emitted period; with fill: previous also its values.
  bool has_last = false;
  TimeMicros last_start = 0;
  std::vector<Field> last_values;
};

TimeMicros PeriodStart(TimeMicros t, TimeMicros period) {
  TimeMicros q = t / period;
  if (t % period < 0) --q;  // floor for times before the epoch
  return q * period;
}

class ResampleStage final : public Stage {
 public:
  ResampleStage(ResampleConfig config, const ComponentContext& ctx)
      : c_(std::move(config)),
        slots_(c_.max_keys),
        late_counter_(ctx.counters.late),
        late_dropped_(ctx.counters.Dropped("late")),
        key_limit_(ctx.counters.Dropped("max_keys")),
        period_limit_(ctx.counters.Dropped("max_periods_per_key")),
        count_(Symbol::Intern("count")) {}

  void Process(Batch& batch, Emitter&) override {
    for (const Event& e : batch) Add(e);
  }

  void OnWatermark(TimeMicros watermark, Emitter& out) override {
    watermark_ = std::max(watermark_, watermark);
    if (watermark_ < next_due_) return;
    CloseUpTo(watermark_, out);
  }

  void Flush(Emitter& out) override { CloseUpTo(kNever, out); }

 private:
  static constexpr TimeMicros kNone = std::numeric_limits<TimeMicros>::min();
  static constexpr TimeMicros kNever = std::numeric_limits<TimeMicros>::max();

  void Add(const Event& e) {
    bool created = false;
    const int64_t slot = slots_.Find(e.device, &created);
    if (slot < 0) {
      key_limit_->Add();
      return;
    }
    if (created) {
      keys_.emplace_back();
      keys_.back().device = e.device;
    }
    KeyState& key = keys_[static_cast<size_t>(slot)];
    const TimeMicros start = PeriodStart(e.time, c_.period);
    const bool closed = (watermark_ != kNone && start + c_.period <= watermark_) ||
                        (key.has_last && start <= key.last_start);
    if (closed) {
      late_counter_->Add();
      late_dropped_->Add();
      return;
    }
    PeriodState* p = FindOrOpen(key, start);
    if (p == nullptr) return;
    ++p->events;
    if (c_.fields.empty()) {
      AddAllFields(*p, e);
    } else {
      for (size_t i = 0; i < c_.fields.size(); ++i) {
        const std::optional<double> v = e.Number(c_.fields[i].field);
        if (v && std::isfinite(*v)) p->aggs[i].Add(*v, e.time);
      }
    }
  }

  PeriodState* FindOrOpen(KeyState& key, TimeMicros start) {
    for (size_t i = key.open.size(); i-- > 0;) {  // usually the newest
      if (key.open[i].start == start) return &key.open[i];
      if (key.open[i].start < start) break;
    }
    if (key.open.size() >= c_.max_periods_per_key) {
      period_limit_->Add();
      return nullptr;
    }
    PeriodState p;
    if (!key.spare.empty()) {
      p = std::move(key.spare.back());
      key.spare.pop_back();
    }
    p.start = start;
    p.events = 0;
    p.used = 0;
    if (!c_.fields.empty()) {
      p.aggs.resize(c_.fields.size());
      for (AggState& a : p.aggs) a.Reset(c_.needs_sketch);
    }
    auto it = std::upper_bound(key.open.begin(), key.open.end(), start,
                               [](TimeMicros s, const PeriodState& o) { return s < o.start; });
    it = key.open.insert(it, std::move(p));
    next_due_ = std::min(next_due_, start + c_.period);
    return &*it;
  }

  // All fields mode: every int or double field is aggregated under its name.
  void AddAllFields(PeriodState& p, const Event& e) {
    for (const Field& f : e.fields()) {
      if (f.value.type != ValueType::kDouble && f.value.type != ValueType::kInt) continue;
      const double v = *f.value.AsNumber();
      if (!std::isfinite(v)) continue;
      size_t i = 0;
      while (i < p.used && p.names[i] != f.name) ++i;
      if (i == p.used) {
        if (p.used == p.aggs.size()) {
          p.aggs.emplace_back();
          p.names.emplace_back();
        }
        p.names[i] = f.name;
        p.aggs[i].Reset(c_.needs_sketch);
        ++p.used;
      }
      p.aggs[i].Add(v, e.time);
    }
  }

  void CloseUpTo(TimeMicros wm, Emitter& out) {
    scratch_.Clear();
    due_.clear();
    TimeMicros next = kNever;
    for (size_t slot = 0; slot < keys_.size(); ++slot) {
      KeyState& key = keys_[slot];
      size_t closing = 0;
      while (closing < key.open.size() &&
             (wm == kNever || key.open[closing].start + c_.period <= wm)) {
        EmitPeriod(key, slot, key.open[closing]);
        ++closing;
      }
      for (size_t i = 0; i < closing; ++i) key.spare.push_back(std::move(key.open[i]));
      key.open.erase(key.open.begin(), key.open.begin() + static_cast<std::ptrdiff_t>(closing));
      if (!key.open.empty()) next = std::min(next, key.open.front().start + c_.period);
    }
    next_due_ = next;
    if (scratch_.empty()) return;
    // Output order: by period start, then by device in first-seen order.
    std::stable_sort(due_.begin(), due_.end(), [](const Due& a, const Due& b) {
      return a.time != b.time ? a.time < b.time : a.slot < b.slot;
    });
    results_.Clear();
    for (const Due& d : due_) results_.Append(scratch_[d.index]);
    out.Emit(results_);
    results_.Clear();
    scratch_.Clear();
  }

  void EmitPeriod(KeyState& key, size_t slot, const PeriodState& p) {
    if (c_.fill_previous && key.has_last) {
      int64_t filled = 0;
      for (TimeMicros t = key.last_start + c_.period; t < p.start && filled < c_.max_fill;
           t += c_.period, ++filled) {
        Event& r = Append(slot, t, key.device);
        for (const Field& f : key.last_values) r.AppendUnchecked(f.name, f.value);
        r.SetInt(count_, 0);
      }
    }
    Event& r = Append(slot, p.start, key.device);
    if (c_.fields.empty()) {
      for (size_t i = 0; i < p.used; ++i) SetAggregate(r, p.names[i], c_.default_kind, p.aggs[i]);
    } else {
      for (size_t i = 0; i < c_.fields.size(); ++i) {
        SetAggregate(r, c_.fields[i].field, c_.fields[i].kind, p.aggs[i]);
      }
    }
    key.has_last = true;
    key.last_start = p.start;
    if (c_.fill_previous) key.last_values.assign(r.fields().begin(), r.fields().end());
    r.SetInt(count_, static_cast<int64_t>(p.events));
  }

  static void SetAggregate(Event& r, Symbol name, AggKind kind, const AggState& a) {
    if (a.count() == 0) return;  // the field had no value in this period
    const std::optional<double> v = a.Get(kind);
    if (!v) return;
    if (kind == AggKind::kCount) {
      r.SetInt(name, static_cast<int64_t>(*v));
    } else {
      r.SetDouble(name, *v);
    }
  }

  Event& Append(size_t slot, TimeMicros time, Symbol device) {
    due_.push_back({time, slot, scratch_.size()});
    Event& r = scratch_.Append();
    r.time = time;
    r.device = device;
    return r;
  }

  struct Due {
    TimeMicros time;
    size_t slot;
    size_t index;  // in scratch_
  };

  ResampleConfig c_;
  DeviceSlots slots_;
  Counter* late_counter_;
  Counter* late_dropped_;
  Counter* key_limit_;
  Counter* period_limit_;
  Symbol count_;
  std::vector<KeyState> keys_;  // by slot
  TimeMicros watermark_ = kNone;
  TimeMicros next_due_ = kNever;
  Batch scratch_;
  Batch results_;
  std::vector<Due> due_;
};

std::optional<AggKind> ReadAggKind(const ConfigNode& node) {
  const std::string name = node.String();
  const std::optional<AggKind> kind = ParseAggKind(name);
  if (!kind && node.is_scalar()) {
    const std::string close = ClosestMatch(name, AggKindNames());
    node.Error("unknown aggregate '" + name + "'",
               close.empty() ? "aggregates: count sum mean min max stddev first last p50 p95 p99"
                             : "did you mean '" + close + "'?");
  }
  return kind;
}

std::optional<ResampleConfig> ParseConfig(BuildContext& ctx) {
  const ConfigNode& cfg = ctx.config;
  ResampleConfig c;
  if (!cfg.Has("period")) return std::nullopt;  // reported by CheckDeclaredKeys (required)
  c.period = cfg["period"].Duration(0);
  if (c.period <= 0) cfg["period"].Error("must be > 0");

  const ConfigNode aggregate = cfg["aggregate"];
  const ConfigNode fields = cfg["fields"];
  if (aggregate.is_map()) {  // { field: aggregate }: the keys are the fields
    if (fields.defined()) {
      fields.Error("not used when aggregate is a map", "the map's keys name the fields");
    }
    for (const std::string& name : aggregate.Keys()) {
      CheckFieldKnown(ctx, aggregate[name], name);
      if (auto kind = ReadAggKind(aggregate[name])) c.fields.push_back({Symbol::Intern(name), *kind});
    }
    if (aggregate.size() == 0) aggregate.Error("list at least one field: aggregate");
  } else {
    if (aggregate.defined()) c.default_kind = ReadAggKind(aggregate).value_or(AggKind::kMean);
    for (const std::string& name : fields.StringList()) {
      CheckFieldKnown(ctx, fields, name);
      c.fields.push_back({Symbol::Intern(name), c.default_kind});
    }
    if (fields.defined() && c.fields.empty()) fields.Error("list at least one field");
  }
  for (size_t i = 0; i < c.fields.size(); ++i) {
    c.needs_sketch = c.needs_sketch || AggNeedsSketch(c.fields[i].kind);
    for (size_t j = 0; j < i; ++j) {
      if (c.fields[i].field == c.fields[j].field) {
        fields.Error("field '" + std::string(c.fields[i].field.name()) + "' is listed twice");
      }
    }
    if (c.fields[i].field.name() == "count") {
      (aggregate.is_map() ? aggregate : fields).Error("'count' is the name of the events-per-period field",
                                                      "rename the input field first (map: rename)");
    }
  }
  if (c.fields.empty()) c.needs_sketch = AggNeedsSketch(c.default_kind);

  c.fill_previous = cfg["fill"].Enum("none", {"none", "previous"}) == "previous";
  c.max_fill = cfg["max_fill"].Int(100);
  if (c.max_fill < 0) cfg["max_fill"].Error("must be >= 0");
  if (!c.fill_previous && cfg.Has("max_fill")) cfg["max_fill"].Error("only used with fill: previous");
  const int64_t max_keys = cfg["max_keys"].Int(100000);
  if (max_keys <= 0) cfg["max_keys"].Error("must be > 0");
  c.max_keys = static_cast<size_t>(std::max<int64_t>(max_keys, 1));
  const int64_t max_periods = cfg["max_periods_per_key"].Int(1000);
  if (max_periods <= 0) cfg["max_periods_per_key"].Error("must be > 0");
  c.max_periods_per_key = static_cast<size_t>(std::max<int64_t>(max_periods, 1));

  if (c.fields.empty()) {
    ctx.output_schema = ctx.input_schema;
  } else {
    ctx.output_schema.known = true;
    for (const FieldAgg& f : c.fields) ctx.output_schema.fields.insert(std::string(f.field.name()));
  }
  ctx.output_schema.fields.insert("count");
  return c;
}

}  // namespace

ComponentDef ResampleStageDef() {
  ComponentDef def;
  def.kind = ComponentKind::kStage;
  def.type = "resample";
  def.summary = "Downsamples each device to one event per fixed period (e.g. one per minute).";
  def.description =
      "Periods are aligned to the epoch (a 1m period starts on each full minute, UTC). For "
      "every device and period with events, emits one event with `time` = period start, each "
      "field aggregated under its own name (not suffixed) and `count` = events in the period. "
      "Aggregates are those of `window` (count, sum, mean, min, max, stddev, first, last, p50, "
      "p95, p99). Without `fields`, every int or double field seen is aggregated with "
      "`aggregate`; a field without a value in a period is left out of that period's event. A "
      "period closes when the watermark passes its end (and at shutdown); events for a closed "
      "period are late: dropped, counted as `dropped{reason=\"late\"}` and as late events. "
      "Results of one watermark are ordered by period start, then by device in first-seen "
      "order. With `fill: previous`, empty periods between two periods with data repeat the "
      "previous period's values with `count: 0` (at most `max_fill` of them after each period "
      "with data); they are emitted with the next period that has data, since only then is the "
      "gap known to be one. Devices beyond `max_keys`, and periods beyond "
      "`max_periods_per_key` open at once, are dropped and counted.";
  def.params = {
      {"period", "duration", "", "Length of each period (aligned to the epoch).", true},
      {"aggregate", "string or map", "mean",
       "Aggregate for every field, or a map field: aggregate (its keys are then the fields).",
       false},
      {"fields", "list of string", "all int and double fields",
       "Fields to resample (with a single aggregate).", false},
      {"fill", "enum", "none",
       "none | previous: repeat the last values in empty periods between periods with data.",
       false},
      {"max_fill", "integer", "100", "At most this many periods are filled in a row (fill: previous).",
       false},
      {"max_keys", "integer", "100000",
       "Bound on devices with state; events of further devices are dropped and counted.", false},
      {"max_periods_per_key", "integer", "1000",
       "Bound on open (not yet closed) periods per device; events beyond are dropped and counted.",
       false},
  };
  def.example = "resample: { period: 1m, aggregate: { temperature_c: mean, vibration_rms: max } }";
  def.make_stage = [](BuildContext& ctx) -> std::unique_ptr<Stage> {
    auto config = ParseConfig(ctx);
    if (!config || !ctx.ok()) return nullptr;
    return std::make_unique<ResampleStage>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
