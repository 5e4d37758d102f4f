#include "stages/window.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <unordered_map>

#include "analytics/features/band_energy.h"
#include "analytics/features/signal_features.h"
#include "config/units.h"
#include "stages/aggregator.h"
#include "stages/series_key.h"
#include "stages/stage_util.h"
#include "stages/window_assigner.h"
#include "common/time_format.h"

namespace edgeflow {
namespace {

enum class WindowKind { kTumbling, kHopping, kSliding, kSession, kCalendar };
enum class LatePolicy { kDrop, kSide, kUpdate };

// A signal-feature aggregate (rms, kurtosis, band energy...), computed from
// the window's buffered samples of one input field.
struct SignalSpec {
  size_t input;                                   // index in inputs
  std::optional<analytics::SignalFeature> feature;  // nullopt: band energy
  size_t band = 0;                                // band energy: index in bands
  Symbol output;
};

struct WindowConfig {
  WindowKind kind = WindowKind::kTumbling;
  TimeMicros size = 0;
  TimeMicros hop = 0;
  TimeMicros gap = 0;
  std::optional<WindowAssigner> assigner;
  SeriesKey key;
  std::vector<Symbol> inputs;  // distinct aggregated fields
  std::vector<AggSpec> specs;
  std::vector<size_t> spec_input;  // spec -> index in inputs
  bool needs_sketch = false;
  std::vector<SignalSpec> signal_specs;
  std::vector<analytics::FrequencyBand> bands;
  double sample_rate = 0;
  size_t max_samples = 0;  // per window and field; 0 when no signal aggregate
  TimeMicros allowed_lateness = 0;
  LatePolicy late = LatePolicy::kDrop;
  int late_port = -1;
  size_t max_keys = 100000;
  size_t max_windows_per_key = 1000;
  size_t max_samples_per_key = 100000;  // sliding
  bool emit_bounds = false;
};

struct WindowState {
  TimeMicros start = 0;
  TimeMicros end = 0;  // exclusive; for sessions: last event + gap
  TimeMicros last_event = 0;
  uint64_t events = 0;
  bool fired = false;
  int revision = 0;
  std::vector<AggState> aggs;
};

// Buffered samples of one key in time order; values has inputs.size()
// entries per sample, NaN where the field was missing.
struct SlidingSamples {
  std::deque<TimeMicros> times;
  std::deque<double> values;
};

struct KeyState {
  Event prototype;  // device and key fields, copied into every result
  uint64_t order = 0;
  std::vector<WindowState> windows;  // sorted by start
  // Sliding windows only (allocated on first use: an empty std::deque
  // already costs ~600 bytes, times 100,000 keys).
  std::unique_ptr<SlidingSamples> samples;
  std::string index_key;  // encoded key (composite keys only)
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class WindowStage final : public Stage {
 public:
  WindowStage(WindowConfig config, const ComponentContext& ctx)
      : c_(std::move(config)),
        ctx_(ctx),
        late_dropped_(ctx.counters.Dropped("late")),
        too_late_(ctx.counters.Dropped("too_late")),
        key_limit_(ctx.counters.Dropped("max_keys")),
        window_limit_(ctx.counters.Dropped("max_windows_per_key")),
        not_in_window_(ctx.counters.Dropped("not_in_window")),
        evicted_(ctx.metrics->GetCounter("window_keys_evicted", ctx.counters.labels, "idle keys forgotten at max_keys")),
        samples_over_cap_(ctx.metrics->GetCounter("window_samples_over_cap", ctx.counters.labels,
                                                  "values left out of signal features at max_samples_per_window")),
        count_(Symbol::Intern("count")),
        revision_(Symbol::Intern("revision")),
        window_start_(Symbol::Intern("window_start")),
        window_end_(Symbol::Intern("window_end")),
        duration_(Symbol::Intern("duration_s")) {
    values_.resize(c_.inputs.size());
  }

  void Process(Batch& batch, Emitter& out) override {
    results_.Clear();
    late_.Clear();
    for (Event& e : batch) {
      KeyState* key = FindOrCreateKey(e);
      if (key == nullptr) continue;
      ReadValues(e);
      switch (c_.kind) {
        case WindowKind::kSliding: AddSliding(*key, e); break;
        case WindowKind::kSession: AddSession(*key, e); break;
        default: AddFixed(*key, e); break;
      }
    }
    if (!results_.empty()) out.Emit(results_);
    if (!late_.empty()) out.Emit(c_.late_port, late_);
  }

  void OnWatermark(TimeMicros wm, Emitter& out) override {
    watermark_ = wm;
    if (wm < next_due_) return;
    FireUpTo(wm, out);
  }

  void Flush(Emitter& out) override {
    FireUpTo(std::numeric_limits<TimeMicros>::max(), out);
  }

 private:
  KeyState* FindOrCreateKey(const Event& e) {
    if (c_.key.device_only()) {
      const uint32_t id = e.device.id();
      if (id < by_device_.size() && by_device_[id] >= 0) return keys_[static_cast<size_t>(by_device_[id])].get();
      if (!ReserveKey(e)) return nullptr;
      if (id >= by_device_.size()) by_device_.resize(id + 1024, -1);
      by_device_[id] = static_cast<int32_t>(keys_.size());
      return NewKey(e);
    }
    c_.key.Encode(e, key_buffer_);
    auto it = by_key_.find(std::string_view(key_buffer_));
    if (it != by_key_.end()) return keys_[static_cast<size_t>(it->second)].get();
    if (!ReserveKey(e)) return nullptr;
    by_key_.emplace(key_buffer_, static_cast<int32_t>(keys_.size()));
    KeyState* key = NewKey(e);
    key->index_key = key_buffer_;
    return key;
  }

  bool ReserveKey(const Event&) {
    if (keys_.size() < c_.max_keys) return true;
    if (EvictIdleKeys() > 0) return true;
    key_limit_->Add();
    return false;
  }

  // Forgets keys without open windows or buffered samples; returns how many.
  // O(keys), run only when the key limit is reached.
  size_t EvictIdleKeys() {
    const size_t before = keys_.size();
    keys_.erase(std::remove_if(keys_.begin(), keys_.end(),
                               [](const std::unique_ptr<KeyState>& k) {
                                 return k->windows.empty() && (!k->samples || k->samples->times.empty());
                               }),
                keys_.end());
    if (keys_.size() == before) return 0;
    std::fill(by_device_.begin(), by_device_.end(), -1);
    by_key_.clear();
    for (size_t i = 0; i < keys_.size(); ++i) {
      KeyState& k = *keys_[i];
      if (c_.key.device_only()) {
        by_device_[k.prototype.device.id()] = static_cast<int32_t>(i);
      } else {
        by_key_.emplace(k.index_key, static_cast<int32_t>(i));
      }
    }
    evicted_->Add(before - keys_.size());
    return before - keys_.size();
  }

  KeyState* NewKey(const Event& e) {
    auto key = std::make_unique<KeyState>();
    key->order = next_order_++;
    key->prototype.device = e.device;
    for (const SeriesKeyPart& part : c_.key.parts()) {
      if (part.kind == SeriesKeyPart::Kind::kField) {
        if (const Value* v = e.Find(part.name)) key->prototype.SetFrom(part.name, *v, e);
      } else if (part.kind == SeriesKeyPart::Kind::kTag) {
        if (auto t = e.Tag(part.name)) key->prototype.SetTag(part.name, *t);
      }
    }
    keys_.push_back(std::move(key));
    return keys_.back().get();
  }

  void ReadValues(const Event& e) {
    for (size_t i = 0; i < c_.inputs.size(); ++i) {
      const std::optional<double> v = e.Number(c_.inputs[i]);
      values_[i] = v && std::isfinite(*v) ? *v : std::nan("");
    }
  }

  void AddValues(WindowState& w, TimeMicros t) {
    ++w.events;
    for (size_t i = 0; i < values_.size(); ++i) {
      if (!std::isnan(values_[i]) && !w.aggs[i].Add(values_[i], t)) samples_over_cap_->Add();
    }
  }

  WindowState& InsertWindow(KeyState& key, TimeMicros start, TimeMicros end) {
    auto it = std::lower_bound(key.windows.begin(), key.windows.end(), start,
                               [](const WindowState& w, TimeMicros s) { return w.start < s; });
    it = key.windows.insert(it, WindowState{});
    it->start = start;
    it->end = end;
    it->aggs.resize(c_.inputs.size());
    for (AggState& a : it->aggs) a.Reset(c_.needs_sketch, c_.max_samples);
    next_due_ = std::min(next_due_, end);
    return *it;
  }

  void HandleLate(Event& e) {
    ctx_.counters.late->Add();
    switch (c_.late) {
      case LatePolicy::kSide: late_.Append(e); break;
      case LatePolicy::kUpdate: too_late_->Add(); break;
      case LatePolicy::kDrop: late_dropped_->Add(); break;
    }
  }

  // Tumbling, hopping and calendar windows.
  void AddFixed(KeyState& key, Event& e) {
    bounds_.clear();
    c_.assigner->Assign(e.time, bounds_);
    if (bounds_.empty()) {  // between hopping windows (hop > size): no window wants it
      not_in_window_->Add();
      return;
    }
    const TimeMicros lateness = c_.late == LatePolicy::kUpdate ? c_.allowed_lateness : 0;
    bool accepted = false;
    bool refused = false;
    for (const WindowBounds& b : bounds_) {
      WindowState* w = nullptr;
      for (WindowState& existing : key.windows) {
        if (existing.start == b.start) w = &existing;
      }
      // A window whose end the watermark passed has fired; only `update`
      // keeps accepting events for it, until its lateness runs out.
      const bool closed = watermark_ != kNone && b.end <= watermark_;
      if (closed && (c_.late != LatePolicy::kUpdate || b.end + lateness <= watermark_)) continue;
      if (w == nullptr) {
        if (key.windows.size() >= c_.max_windows_per_key) {
          refused = true;
          continue;
        }
        w = &InsertWindow(key, b.start, b.end);
      }
      AddValues(*w, e.time);
      accepted = true;
      if (closed) {  // an update to a fired (or never-fired, past) window
        w->fired = true;
        ++w->revision;
        EmitResult(key, *w, results_);
      }
    }
    if (accepted) return;
    if (refused) {
      window_limit_->Add();
    } else {
      HandleLate(e);
    }
  }

  void AddSession(KeyState& key, Event& e) {
    const TimeMicros t = e.time;
    const TimeMicros lateness = c_.late == LatePolicy::kUpdate ? c_.allowed_lateness : 0;
    // Sessions this event touches: start - gap <= t < end.
    WindowState* target = nullptr;
    for (size_t i = 0; i < key.windows.size();) {
      WindowState& w = key.windows[i];
      if (t >= w.start - c_.gap && t < w.end) {
        if (target == nullptr) {
          target = &w;
          ++i;
        } else {  // bridges two sessions: merge w into target
          target->start = std::min(target->start, w.start);
          target->end = std::max(target->end, w.end);
          target->last_event = std::max(target->last_event, w.last_event);
          target->events += w.events;
          target->revision = std::max(target->revision, w.revision);
          target->fired = target->fired || w.fired;
          for (size_t a = 0; a < target->aggs.size(); ++a) {
            samples_over_cap_->Add(target->aggs[a].Merge(w.aggs[a]));
          }
          const TimeMicros target_start = target->start;
          key.windows.erase(key.windows.begin() + static_cast<std::ptrdiff_t>(i));
          for (WindowState& s : key.windows) {
            if (s.start == target_start) target = &s;
          }
        }
      } else {
        ++i;
      }
    }
    const bool past = watermark_ != kNone && t + c_.gap <= watermark_ - lateness;
    if (target == nullptr && (past || (watermark_ != kNone && c_.late != LatePolicy::kUpdate &&
                                       t + c_.gap <= watermark_))) {
      HandleLate(e);
      return;
    }
    if (target == nullptr) {
      if (key.windows.size() >= c_.max_windows_per_key) {
        window_limit_->Add();
        return;
      }
      target = &InsertWindow(key, t, t + c_.gap);
      target->last_event = t;
    } else if (target->fired && c_.late != LatePolicy::kUpdate) {
      HandleLate(e);
      return;
    }
    target->start = std::min(target->start, t);
    target->last_event = std::max(target->last_event, t);
    target->end = std::max(target->end, t + c_.gap);
    next_due_ = std::min(next_due_, target->end);
    AddValues(*target, t);
    if (target->fired) {
      ++target->revision;
      EmitResult(key, *target, results_);
    }
  }

  void AddSliding(KeyState& key, Event& e) {
    const TimeMicros t = e.time;
    if (watermark_ != kNone && t < watermark_ - c_.allowed_lateness) {
      HandleLate(e);
      return;
    }
    if (!key.samples) key.samples = std::make_unique<SlidingSamples>();
    std::deque<TimeMicros>& times = key.samples->times;
    std::deque<double>& values = key.samples->values;
    // Insert in time order (usually at the back).
    auto pos = std::upper_bound(times.begin(), times.end(), t);
    const auto index = static_cast<size_t>(pos - times.begin());
    times.insert(pos, t);
    const size_t n = c_.inputs.size();
    values.insert(values.begin() + static_cast<std::ptrdiff_t>(index * n), values_.begin(), values_.end());
    // Bound memory: drop the oldest samples beyond the cap or the horizon.
    const TimeMicros newest = times.back();
    while (!times.empty() && (times.size() > c_.max_samples_per_key ||
                              times.front() <= newest - c_.size - c_.allowed_lateness)) {
      times.pop_front();
      values.erase(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(n));
    }
    WindowState& w = sliding_state_;
    w.start = t - c_.size;
    w.end = t;
    w.events = 0;
    w.revision = 0;
    if (w.aggs.size() != n) w.aggs.resize(n);
    for (AggState& a : w.aggs) a.Reset(c_.needs_sketch, c_.max_samples);
    for (size_t s = 0; s < times.size(); ++s) {
      const TimeMicros st = times[s];
      if (st <= t - c_.size || st > t) continue;
      ++w.events;
      for (size_t i = 0; i < n; ++i) {
        const double v = values[s * n + i];
        if (!std::isnan(v) && !w.aggs[i].Add(v, st)) samples_over_cap_->Add();
      }
    }
    EmitResult(key, w, results_, /*time=*/t);
  }

  void EmitResult(const KeyState& key, const WindowState& w, Batch& out,
                  std::optional<TimeMicros> time = std::nullopt) {
    Event& r = out.Append();
    r.CopyFrom(key.prototype);
    r.time = time.value_or(w.start);
    r.SetInt(count_, static_cast<int64_t>(w.events));
    for (size_t s = 0; s < c_.specs.size(); ++s) {
      const AggState& a = w.aggs[c_.spec_input[s]];
      const std::optional<double> v = a.Get(c_.specs[s].kind);
      if (!v) continue;
      if (c_.specs[s].kind == AggKind::kCount) {
        r.SetInt(c_.specs[s].output, static_cast<int64_t>(*v));
      } else {
        r.SetDouble(c_.specs[s].output, *v);
      }
    }
    EmitSignalFeatures(w, r);
    if (c_.kind == WindowKind::kSession) {
      r.SetDouble(duration_, static_cast<double>(w.last_event - w.start) / kMicrosPerSecond);
    }
    if (c_.emit_bounds) {
      std::string text;
      AppendIsoTime(w.start, text);
      r.SetString(window_start_, text);
      text.clear();
      AppendIsoTime(c_.kind == WindowKind::kSession ? w.last_event : w.end, text);
      r.SetString(window_end_, text);
    }
    if (w.revision > 0) r.SetInt(revision_, w.revision);
  }

  // Signal features of each input's buffered samples; undefined ones (NaN,
  // e.g. the crest factor of silence) are left out like empty aggregates.
  void EmitSignalFeatures(const WindowState& w, Event& r) {
    size_t prepared = SIZE_MAX;
    bool bands_ready = false;
    for (const SignalSpec& spec : c_.signal_specs) {
      if (spec.input != prepared) {
        w.aggs[spec.input].SamplesInTimeOrder(samples_);
        prepared = spec.input;
        bands_ready = false;
      }
      double v;
      if (spec.feature) {
        v = analytics::ComputeSignalFeature(*spec.feature, samples_);
      } else {
        if (!bands_ready) {
          fft_.Compute(samples_, c_.sample_rate, c_.bands, energies_);
          bands_ready = true;
        }
        v = energies_[spec.band];
      }
      if (!std::isnan(v)) r.SetDouble(spec.output, v);
    }
  }

  void FireUpTo(TimeMicros wm, Emitter& out) {
    const TimeMicros lateness = c_.late == LatePolicy::kUpdate ? c_.allowed_lateness : 0;
    TimeMicros next = kNever;
    std::vector<Due>& fire = due_;
    fire.clear();
    for (auto& key : keys_) {
      for (size_t i = 0; i < key->windows.size(); ++i) {
        WindowState& w = key->windows[i];
        if (!w.fired && w.end <= wm) fire.push_back({w.start, key->order, key.get(), i});
      }
    }
    std::sort(fire.begin(), fire.end(), [](const Due& a, const Due& b) {
      return a.start != b.start ? a.start < b.start : a.order < b.order;
    });
    results_.Clear();
    for (const Due& d : fire) {
      WindowState& w = d.key->windows[d.window];
      w.fired = true;
      EmitResult(*d.key, w, results_);
    }
    // Free windows past their lateness; find the next time anything is due.
    for (auto& key : keys_) {
      auto& ws = key->windows;
      ws.erase(std::remove_if(ws.begin(), ws.end(),
                              [&](const WindowState& w) {
                                return w.fired && (wm == kNever || w.end + lateness <= wm);
                              }),
               ws.end());
      for (const WindowState& w : ws) {
        next = std::min(next, w.fired ? w.end + lateness : w.end);
      }
    }
    next_due_ = next;
    if (!results_.empty()) out.Emit(results_);
    results_.Clear();
  }

  // A window whose end the watermark reached, to emit in (start, key) order.
  struct Due {
    TimeMicros start;
    uint64_t order;
    KeyState* key;
    size_t window;
  };

  static constexpr TimeMicros kNone = std::numeric_limits<TimeMicros>::min();
  static constexpr TimeMicros kNever = std::numeric_limits<TimeMicros>::max();

  WindowConfig c_;
  ComponentContext ctx_;
  Counter* late_dropped_;
  Counter* too_late_;
  Counter* key_limit_;
  Counter* window_limit_;
  Counter* not_in_window_;
  Counter* evicted_;
  Counter* samples_over_cap_;
  Symbol count_, revision_, window_start_, window_end_, duration_;

  std::vector<std::unique_ptr<KeyState>> keys_;
  uint64_t next_order_ = 0;  // creation order of keys, for a stable output order
  std::vector<int32_t> by_device_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> by_key_;
  std::string key_buffer_;
  std::vector<double> values_;
  std::vector<WindowBounds> bounds_;
  std::vector<Due> due_;  // reused by FireUpTo
  WindowState sliding_state_;
  std::vector<double> samples_;   // one input's samples, for signal features
  std::vector<double> energies_;  // band energies of samples_
  analytics::BandEnergyCalculator fft_;
  TimeMicros watermark_ = kNone;
  TimeMicros next_due_ = kNever;
  Batch results_;
  Batch late_;
};

// sample_rate, bands and max_samples_per_window: the options of the signal
// aggregates; band_energy expands into one output per band.
void ParseSignalOptions(const ConfigNode& cfg, const std::vector<size_t>& wants_bands, WindowConfig& c) {
  const bool signal = !c.signal_specs.empty() || !wants_bands.empty();
  if (!signal) {
    for (const char* key : {"bands", "sample_rate", "max_samples_per_window"}) {
      if (cfg.Has(key)) cfg[key].Error("only used with signal aggregates (rms, kurtosis, band_energy...)");
    }
    return;
  }
  const int64_t max_samples = cfg["max_samples_per_window"].Int(8192);
  if (max_samples < 1 || max_samples > 1'000'000) cfg["max_samples_per_window"].Error("must be between 1 and 1000000");
  c.max_samples = static_cast<size_t>(std::clamp<int64_t>(max_samples, 1, 1'000'000));
  if (wants_bands.empty()) {
    if (cfg.Has("bands")) cfg["bands"].Error("only used with the band_energy aggregate");
    return;
  }
  if (!cfg.Require("sample_rate") || !cfg.Require("bands")) return;
  c.sample_rate = cfg["sample_rate"].Double(0);
  if (!(c.sample_rate > 0)) cfg["sample_rate"].Error("must be > 0 (Hz)");
  const ConfigNode bands = cfg["bands"];
  if (!bands.is_map()) {
    bands.Error("expected a map of name: [low_hz, high_hz]", "bands: { low: [0, 100], high: [100, 500] }");
    return;
  }
  for (const std::string& name : bands.Keys()) {
    const ConfigNode range = bands[name];
    if (!range.is_sequence() || range.size() != 2) {
      range.Error("expected [low_hz, high_hz]");
      continue;
    }
    const double low = range.At(0).Double(-1);
    const double high = range.At(1).Double(-1);
    if (!(low >= 0 && high > low)) {
      range.Error("needs 0 <= low_hz < high_hz");
      continue;
    }
    c.bands.push_back({name, low, high});
  }
  for (const size_t input : wants_bands) {
    const std::string field(c.inputs[input].name());
    for (size_t b = 0; b < c.bands.size(); ++b) {
      c.signal_specs.push_back({input, std::nullopt, b, Symbol::Intern(field + "_band_" + c.bands[b].name)});
    }
  }
}

std::optional<WindowConfig> ParseConfig(BuildContext& ctx) {
  const ConfigNode& cfg = ctx.config;
  WindowConfig c;
  const std::string kind = cfg["type"].Enum("tumbling", {"tumbling", "hopping", "sliding", "session", "calendar"});
  if (kind == "hopping") c.kind = WindowKind::kHopping;
  else if (kind == "sliding") c.kind = WindowKind::kSliding;
  else if (kind == "session") c.kind = WindowKind::kSession;
  else if (kind == "calendar") c.kind = WindowKind::kCalendar;
  // `calendar: day` alone implies the calendar kind.
  if (cfg.Has("calendar") && !cfg.Has("type")) c.kind = WindowKind::kCalendar;

  switch (c.kind) {
    case WindowKind::kTumbling:
    case WindowKind::kHopping:
    case WindowKind::kSliding: {
      if (!cfg.Require("size")) return std::nullopt;
      c.size = cfg["size"].Duration(0);
      if (c.size <= 0) cfg["size"].Error("must be > 0");
      c.hop = c.kind == WindowKind::kHopping ? cfg["hop"].Duration(0) : c.size;
      if (c.kind == WindowKind::kHopping && !cfg.Has("hop")) cfg.Require("hop");
      if (c.kind == WindowKind::kHopping && c.hop <= 0) {
        cfg["hop"].Error("must be > 0");
      } else if (c.size > 0 && c.size / c.hop > 1000) {
        cfg["hop"].Error("too small for the window size: at most 1000 windows may overlap");
      }
      if (c.size > 0 && c.hop > 0) {
        c.assigner = WindowAssigner::Fixed(c.size, c.hop, cfg["offset"].Duration(0));
      }
      break;
    }
    case WindowKind::kSession:
      if (!cfg.Require("gap")) return std::nullopt;
      c.gap = cfg["gap"].Duration(0);
      if (c.gap <= 0) cfg["gap"].Error("must be > 0");
      break;
    case WindowKind::kCalendar: {
      const std::string unit = cfg["calendar"].Enum("day", {"hour", "day", "week", "month"});
      CalendarUnit u = CalendarUnit::kDay;
      if (unit == "hour") u = CalendarUnit::kHour;
      else if (unit == "week") u = CalendarUnit::kWeek;
      else if (unit == "month") u = CalendarUnit::kMonth;
      const std::string zone_name = cfg["timezone"].String("UTC");
      auto zone = TimeZone::Load(zone_name);
      if (!zone.ok()) {
        cfg["timezone"].Error(zone.status().message(), "an IANA name such as Europe/Berlin or America/New_York");
        return std::nullopt;
      }
      const std::string ws = cfg["week_start"].Enum("monday", {"monday", "sunday", "saturday"});
      const int week_start = ws == "monday" ? 1 : ws == "sunday" ? 7 : 6;  // ISO weekdays
      c.assigner = WindowAssigner::Calendar(std::move(zone).value(), u, week_start);
      break;
    }
  }

  // Key.
  c.key = SeriesKey::Parse(ctx, cfg, "key");

  // Aggregates: {field: [agg, ...]} or {field: agg}.
  std::vector<size_t> wants_bands;  // inputs with band_energy
  ConfigNode aggs = cfg["aggregate"];
  if (aggs.defined() && !aggs.is_map()) aggs.Error("expected a map of field: [aggregates]");
  for (const std::string& field : aggs.Keys()) {
    ConfigNode list = aggs[field];
    CheckFieldKnown(ctx, list, field);
    const Symbol input = Symbol::Intern(field);
    size_t input_index = c.inputs.size();
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      if (c.inputs[i] == input) input_index = i;
    }
    if (input_index == c.inputs.size()) c.inputs.push_back(input);
    for (const std::string& name : list.StringList()) {
      const auto kind = ParseAggKind(name);
      if (!kind) {
        if (const auto feature = analytics::ParseSignalFeature(name)) {
          c.signal_specs.push_back({input_index, feature, 0,
                                    Symbol::Intern(field + "_" + std::string(analytics::SignalFeatureName(*feature)))});
          continue;
        }
        if (name == "band_energy") {
          wants_bands.push_back(input_index);
          continue;
        }
        std::vector<std::string> known = AggKindNames();
        for (const std::string& f : analytics::SignalFeatureNames()) known.push_back(f);
        known.push_back("band_energy");
        const std::string close = ClosestMatch(name, known);
        list.Error("unknown aggregate '" + name + "'",
                   close.empty() ? "aggregates: count sum mean min max stddev first last p50 p95 p99 "
                                   "rms peak peak_to_peak crest skewness kurtosis zcr band_energy"
                                 : "did you mean '" + close + "'?");
        continue;
      }
      c.needs_sketch = c.needs_sketch || AggNeedsSketch(*kind);
      c.specs.push_back({input, *kind, Symbol::Intern(field + "_" + std::string(AggKindName(*kind)))});
      c.spec_input.push_back(input_index);
    }
  }

  ParseSignalOptions(cfg, wants_bands, c);

  c.allowed_lateness = cfg["allowed_lateness"].Duration(0);
  if (c.allowed_lateness < 0) cfg["allowed_lateness"].Error("must be >= 0");
  const std::string late = cfg["late"].Enum("drop", {"drop", "side", "update"});
  c.late = late == "side" ? LatePolicy::kSide : late == "update" ? LatePolicy::kUpdate : LatePolicy::kDrop;
  if (c.late == LatePolicy::kSide) {
    c.late_port = ctx.declare_output(cfg["late_to"].String("late"));
  } else if (cfg.Has("late_to")) {
    cfg["late_to"].Error("only used with 'late: side'");
  }
  if (c.kind == WindowKind::kSliding && c.late == LatePolicy::kUpdate) {
    cfg["late"].Error("sliding windows emit per event; use drop or side");
  }
  c.max_keys = static_cast<size_t>(cfg["max_keys"].Int(100000));
  c.max_windows_per_key = static_cast<size_t>(cfg["max_windows_per_key"].Int(1000));
  c.max_samples_per_key = static_cast<size_t>(cfg["max_samples_per_key"].Int(100000));
  if (c.max_keys == 0) cfg["max_keys"].Error("must be > 0");
  c.emit_bounds = cfg["bounds"].Bool(false);

  // Output schema: key fields, count, aggregates.
  ctx.output_schema.known = true;
  ctx.output_schema.fields.insert("count");
  for (const SeriesKeyPart& p : c.key.parts()) {
    if (p.kind == SeriesKeyPart::Kind::kField) ctx.output_schema.fields.insert(std::string(p.name.name()));
  }
  for (const AggSpec& s : c.specs) ctx.output_schema.fields.insert(std::string(s.output.name()));
  for (const SignalSpec& s : c.signal_specs) ctx.output_schema.fields.insert(std::string(s.output.name()));
  if (c.kind == WindowKind::kSession) ctx.output_schema.fields.insert("duration_s");
  if (c.emit_bounds) {
    ctx.output_schema.fields.insert("window_start");
    ctx.output_schema.fields.insert("window_end");
  }
  ctx.output_schema.fields.insert("revision");
  return c;
}

}  // namespace

ComponentDef WindowStageDef() {
  ComponentDef def;
  def.kind = ComponentKind::kStage;
  def.type = "window";
  def.summary = "Aggregates events per key over event-time windows (tumbling, hopping, sliding, session, calendar).";
  def.description =
      "A window fires when the watermark passes its end and emits one event per key with "
      "`time` = window start, the key, `count` and `<field>_<aggregate>` fields. Aggregates: "
      "count, sum, mean, min, max, stddev (sample), first, last, p50, p95, p99 (p-values from "
      "a sketch with 1% relative error). Late events follow `late`. Calendar windows use the "
      "local calendar of `timezone`, so daily totals follow local midnight across DST changes. "
      "Signal aggregates for waveform data (rms, peak, peak_to_peak, crest, skewness, kurtosis, "
      "zcr, band_energy) are computed from the window's samples in time order, at most "
      "`max_samples_per_window` of them (see docs/analytics/features.md).";
  def.params = {
      {"type", "enum", "tumbling", "tumbling | hopping | sliding | session | calendar.", false},
      {"size", "duration", "", "Window length (tumbling, hopping, sliding).", false},
      {"hop", "duration", "", "Distance between window starts (hopping).", false},
      {"offset", "duration", "0s", "Shifts fixed window boundaries from the epoch.", false},
      {"gap", "duration", "", "Inactivity that closes a session (session).", false},
      {"calendar", "enum", "day", "hour | day | week | month (calendar).", false},
      {"timezone", "string", "UTC", "IANA time zone of calendar windows.", false},
      {"week_start", "enum", "monday", "monday | sunday | saturday (calendar weeks).", false},
      {"key", "string or list", "device", "Grouping: `device`, field names, `tags.NAME`.", false},
      {"aggregate", "map", "", "field: [aggregates] to compute.", false},
      {"allowed_lateness", "duration", "0s", "With late: update, how long after firing a window still accepts events.", false},
      {"late", "enum", "drop", "drop | side | update: what happens to events whose window has fired.", false},
      {"late_to", "string", "late", "Stream that receives late events (late: side).", false},
      {"max_keys", "integer", "100000", "Bound on keys with state; events of further keys are dropped and counted.", false},
      {"max_windows_per_key", "integer", "1000", "Bound on open windows per key.", false},
      {"max_samples_per_key", "integer", "100000", "Bound on buffered events per key (sliding).", false},
      {"bounds", "bool", "false", "Add window_start and window_end (ISO 8601) to results.", false},
      {"sample_rate", "number", "", "Sampling rate in Hz of the aggregated fields (band_energy).", false},
      {"bands", "map", "", "band_energy bands, name: [low_hz, high_hz]; output `<field>_band_<name>`.", false},
      {"max_samples_per_window", "integer", "8192",
       "Signal aggregates: samples buffered per window and field; further values are left out of "
       "the signal features and counted as window_samples_over_cap.", false},
  };
  def.example =
      "window: { size: 10s, aggregate: { vibration_rms: [mean, max, stddev], temperature_c: [mean, p95] } }";
  def.make_stage = [](BuildContext& ctx) -> std::unique_ptr<Stage> {
    auto config = ParseConfig(ctx);
    if (!config || !ctx.ok()) return nullptr;
    return std::make_unique<WindowStage>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
