#include "stages/smooth.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "stages/device_slots.h"
#include "stages/stage_util.h"

namespace edgeflow {
namespace {

enum class Method { kMovingAverage, kMovingMedian, kEwma };

inline constexpr int64_t kMaxWindow = 1000;

struct SmoothConfig {
  std::vector<Symbol> fields;
  std::vector<Symbol> outputs;  // the field itself (replace) or `<field>_smooth`
  Method method = Method::kMovingAverage;
  size_t window = 10;
  double alpha = 0.2;
  TimeMicros half_life = 0;  // > 0: ewma weighted by event time
  size_t max_keys = 100000;
};

// One device's state for one field.
struct FieldState {
  size_t count = 0;        // samples in the window (moving methods)
  size_t head = 0;         // ring position the next sample goes to
  size_t since_resum = 0;  // samples since `sum` was recomputed
  double sum = 0;
  double ewma = 0;
  TimeMicros last_time = 0;
  bool started = false;
};

// One device's state for all fields. `ring` and `sorted` hold `window`
// slots per field and are sized once, when the device is first seen.
struct KeyState {
  std::vector<FieldState> fields;
  std::vector<double> ring;    // samples in arrival order (circular)
  std::vector<double> sorted;  // moving_median: the window's samples, sorted
};

class SmoothStage final : public Stage {
 public:
  SmoothStage(SmoothConfig config, const ComponentContext& ctx)
      : c_(std::move(config)), slots_(c_.max_keys), key_limit_(ctx.counters.Dropped("max_keys")) {}

  void Process(Batch& batch, Emitter& out) override {
    batch.Retain([this](Event& e) { return Apply(e); });
    if (!batch.empty()) out.Emit(batch);
  }

 private:
  bool Apply(Event& e) {
    bool created = false;
    const int64_t slot = slots_.Find(e.device, &created);
    if (slot < 0) {
      key_limit_->Add();
      return false;
    }
    if (created) keys_.push_back(NewKey());
    KeyState& key = keys_[static_cast<size_t>(slot)];
    for (size_t i = 0; i < c_.fields.size(); ++i) {
      const std::optional<double> v = e.Number(c_.fields[i]);
      if (!v || !std::isfinite(*v)) continue;
      e.SetDouble(c_.outputs[i], Feed(key, i, *v, e.time));
    }
    return true;
  }

  KeyState NewKey() const {
    KeyState key;
    key.fields.resize(c_.fields.size());
    if (c_.method != Method::kEwma) key.ring.resize(c_.fields.size() * c_.window);
    if (c_.method == Method::kMovingMedian) key.sorted.resize(c_.fields.size() * c_.window);
    return key;
  }

  // Adds one sample and returns the smoothed value.
  double Feed(KeyState& key, size_t field, double x, TimeMicros t) {
    FieldState& s = key.fields[field];
    switch (c_.method) {
      case Method::kMovingAverage: return MovingAverage(s, &key.ring[field * c_.window], x);
      case Method::kMovingMedian:
        return MovingMedian(s, &key.ring[field * c_.window], &key.sorted[field * c_.window], x);
      case Method::kEwma: return Ewma(s, x, t);
    }
    return x;
  }

  double MovingAverage(FieldState& s, double* ring, double x) {
    if (s.count == c_.window) {
      s.sum -= ring[s.head];
    } else {
      ++s.count;
    }
    ring[s.head] = x;
    s.sum += x;
    s.head = (s.head + 1) % c_.window;
    // A running sum accumulates rounding error; recomputing it once per
    // window keeps the error bounded at O(1) amortised cost.
    if (++s.since_resum >= c_.window) {
      s.since_resum = 0;
      s.sum = 0;
      for (size_t i = 0; i < s.count; ++i) s.sum += ring[i];
    }
    return s.sum / static_cast<double>(s.count);
  }

  double MovingMedian(FieldState& s, double* ring, double* sorted, double x) {
    double* end = sorted + s.count;
    if (s.count == c_.window) {  // forget the oldest sample
      double* old = std::lower_bound(sorted, end, ring[s.head]);
      std::copy(old + 1, end, old);
      --end;
    } else {
      ++s.count;
    }
    double* pos = std::upper_bound(sorted, end, x);
    std::copy_backward(pos, end, end + 1);
    *pos = x;
    ring[s.head] = x;
    s.head = (s.head + 1) % c_.window;
    const size_t mid = s.count / 2;
    return s.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  double Ewma(FieldState& s, double x, TimeMicros t) {
    if (!s.started) {
      s.started = true;
      s.ewma = x;
      s.last_time = t;
      return x;
    }
    double alpha = c_.alpha;
    if (c_.half_life > 0) {
      // alpha = 1 - exp(-ln2 * dt / half_life) = 1 - 2^(-dt / half_life). A
      // sample at or before the previous one's time has weight 0.
      const TimeMicros dt = std::max<TimeMicros>(0, t - s.last_time);
      alpha = 1 - std::exp2(-static_cast<double>(dt) / static_cast<double>(c_.half_life));
      s.last_time = std::max(s.last_time, t);
    }
    s.ewma = alpha * x + (1 - alpha) * s.ewma;
    return s.ewma;
  }

  SmoothConfig c_;
  DeviceSlots slots_;
  Counter* key_limit_;
  std::vector<KeyState> keys_;  // by slot
};

std::optional<SmoothConfig> ParseConfig(BuildContext& ctx) {
  const ConfigNode& cfg = ctx.config;
  SmoothConfig c;
  if (!cfg.Has("fields")) return std::nullopt;  // reported by CheckDeclaredKeys (required)
  const ConfigNode fields = cfg["fields"];
  for (const std::string& name : fields.StringList()) {
    CheckFieldKnown(ctx, fields, name);
    const Symbol field = Symbol::Intern(name);
    if (std::find(c.fields.begin(), c.fields.end(), field) != c.fields.end()) {
      fields.Error("field '" + name + "' is listed twice");
    }
    c.fields.push_back(field);
  }
  if (c.fields.empty()) fields.Error("list at least one field");

  const std::string method =
      cfg["method"].Enum("moving_average", {"moving_average", "moving_median", "ewma"});
  c.method = method == "ewma"            ? Method::kEwma
             : method == "moving_median" ? Method::kMovingMedian
                                         : Method::kMovingAverage;
  if (c.method == Method::kEwma) {
    if (cfg.Has("window")) cfg["window"].Error("only used with moving_average or moving_median");
    if (cfg.Has("alpha") && cfg.Has("half_life")) {
      cfg["half_life"].Error("give either alpha or half_life, not both");
    }
    c.alpha = cfg["alpha"].Double(0.2);
    if (!(c.alpha > 0 && c.alpha <= 1)) cfg["alpha"].Error("must be > 0 and <= 1");
    c.half_life = cfg["half_life"].Duration(0);
    if (cfg.Has("half_life") && c.half_life <= 0) cfg["half_life"].Error("must be > 0");
  } else {
    for (const char* key : {"alpha", "half_life"}) {
      if (cfg.Has(key)) cfg[key].Error("only used with method: ewma");
    }
    const int64_t window = cfg["window"].Int(10);
    if (window < 1 || window > kMaxWindow) {
      cfg["window"].Error("must be between 1 and " + std::to_string(kMaxWindow) + " samples");
    }
    c.window = static_cast<size_t>(std::clamp<int64_t>(window, 1, kMaxWindow));
  }

  const std::string output = cfg["output"].Enum("suffix", {"suffix", "replace"});
  ctx.output_schema = ctx.input_schema;
  for (Symbol f : c.fields) {
    if (output == "replace") {
      c.outputs.push_back(f);
    } else {
      const std::string name = std::string(f.name()) + "_smooth";
      c.outputs.push_back(Symbol::Intern(name));
      ctx.output_schema.fields.insert(name);
    }
  }
  const int64_t max_keys = cfg["max_keys"].Int(100000);
  if (max_keys <= 0) cfg["max_keys"].Error("must be > 0");
  c.max_keys = static_cast<size_t>(std::max<int64_t>(max_keys, 1));
  return c;
}

}  // namespace

ComponentDef SmoothStageDef() {
  ComponentDef def;
  def.kind = ComponentKind::kStage;
  def.type = "smooth";
  def.summary = "Smooths numeric fields per device: moving average, moving median or EWMA.";
  def.description =
      "For each listed field an event carries, the stage feeds the value to the device's "
      "smoother and writes the result as `<field>_smooth` (`output: suffix`, the default, so "
      "the raw value is never silently replaced) or over the field (`output: replace`). "
      "`moving_average` and `moving_median` use the last `window` samples (fewer while the "
      "window fills; the median of an even count is the mean of the middle two). `ewma` computes "
      "`s = alpha * x + (1 - alpha) * s`, starting at the first sample; with `half_life` the "
      "weight depends on the event time since the previous sample, "
      "`alpha = 1 - exp(-ln2 * dt / half_life)`, so irregular sampling is handled and a sample "
      "one half-life later moves the average half-way (samples at or before the previous time "
      "get weight 0). Missing, text, NaN and infinite values are not fed and get no smoothed "
      "value. Devices beyond `max_keys` are dropped and counted as `dropped{reason=\"max_keys\"}`.";
  def.params = {
      {"fields", "list of string", "", "Numeric fields to smooth.", true},
      {"method", "enum", "moving_average", "moving_average | moving_median | ewma.", false},
      {"window", "integer", "10", "Samples per moving average or median (1 to 1000).", false},
      {"alpha", "number", "0.2", "EWMA weight of each new sample, in (0, 1].", false},
      {"half_life", "duration", "",
       "EWMA by event time: the time after which a sample's weight halves (instead of alpha).",
       false},
      {"output", "enum", "suffix",
       "suffix: write `<field>_smooth`; replace: overwrite the field.", false},
      {"max_keys", "integer", "100000",
       "Bound on devices with state; events of further devices are dropped and counted.", false},
  };
  def.example = "smooth: { fields: [vibration_rms], method: ewma, half_life: 30s }";
  def.make_stage = [](BuildContext& ctx) -> std::unique_ptr<Stage> {
    auto config = ParseConfig(ctx);
    if (!config || !ctx.ok()) return nullptr;
    return std::make_unique<SmoothStage>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
