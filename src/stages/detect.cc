#include "stages/detect.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "analytics/detector_methods.h"
#include "analytics/post_process.h"
#include "stages/series_key.h"
#include "stages/stage_util.h"

namespace edgeflow {
namespace {

using analytics::Detector;
using analytics::DetectorFactory;
using analytics::MethodParams;

// Options of the stage itself; every other key is a parameter of the method.
const std::vector<std::string> kStageOptions = {"field",  "fields", "method", "methods", "combine", "key_by",
                                                "threshold", "warmup", "output", "explain", "seed", "max_series",
                                                "min",    "max"};

struct FieldOutputs {
  Symbol input;
  Symbol flag;       // <prefix>
  Symbol score;      // <prefix>_score
  Symbol expected;   // <prefix>_expected (explain)
  Symbol deviation;  // <prefix>_deviation (explain)
};

struct DetectConfig {
  std::vector<FieldOutputs> fields;
  std::shared_ptr<const DetectorFactory> factory;
  SeriesKey key;
  double threshold = 0.5;
  int64_t warmup = 0;
  bool explain = false;
  uint64_t seed = 0;
  size_t max_series = 10000;
  double min = std::nan("");
  double max = std::nan("");
};

// One key's detectors (one per field), linked into a most-recently-seen list.
struct Series {
  std::vector<std::unique_ptr<Detector>> detectors;
  std::vector<int64_t> seen;  // values fed per field (for `warmup`)
  int32_t newer = -1;
  int32_t older = -1;
  uint32_t device_id = 0;  // device-only keys
  std::string key;         // composite keys
};

uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

class DetectStage final : public Stage {
 public:
  DetectStage(DetectConfig config, const ComponentContext& ctx)
      : c_(std::move(config)),
        evicted_(ctx.metrics->GetCounter("detect_series_evicted", ctx.counters.labels,
                                         "series forgotten (least recently seen) at max_series")),
        skipped_(ctx.metrics->GetCounter("detect_values_skipped", ctx.counters.labels,
                                         "values not fed: missing, not numeric, NaN or infinite")),
        anomalies_(ctx.metrics->GetCounter("detect_anomalies", ctx.counters.labels, "values flagged anomalous")) {}

  void Process(Batch& batch, Emitter& out) override {
    for (Event& e : batch) Apply(e);
    if (!batch.empty()) out.Emit(batch);
  }

 private:
  void Apply(Event& e) {
    Series* series = nullptr;
    for (size_t f = 0; f < c_.fields.size(); ++f) {
      const FieldOutputs& o = c_.fields[f];
      const std::optional<double> v = e.Number(o.input);
      if (!v || !std::isfinite(*v)) {
        skipped_->Add();
        continue;
      }
      if (series == nullptr) series = &Touch(e);
      const analytics::Verdict verdict = series->detectors[f]->Update(e.time, *v);
      const bool warm = !verdict.warming_up && ++series->seen[f] > c_.warmup;
      const double score = warm ? std::clamp(verdict.score, 0.0, 1.0) : 0.0;
      const bool anomaly = warm && score >= c_.threshold;
      if (anomaly) anomalies_->Add();
      e.SetDouble(o.score, score);
      e.SetBool(o.flag, anomaly);
      if (c_.explain) {
        e.SetDouble(o.expected, verdict.expected);
        e.SetDouble(o.deviation, verdict.deviation);
      }
    }
  }

  // The series of `e`'s key, made most recent; created (evicting the least
  // recently seen one when full) if new.
  Series& Touch(const Event& e) {
    int32_t slot = -1;
    if (c_.key.device_only()) {
      const uint32_t id = e.device.id();
      if (id < by_device_.size()) slot = by_device_[id];
    } else {
      c_.key.Encode(e, key_buffer_);
      const auto it = by_key_.find(key_buffer_);
      if (it != by_key_.end()) slot = it->second;
    }
    if (slot < 0) slot = Create(e);
    MakeNewest(slot);
    return series_[static_cast<size_t>(slot)];
  }

  int32_t Create(const Event& e) {
    int32_t slot;
    if (series_.size() < c_.max_series) {
      slot = static_cast<int32_t>(series_.size());
      series_.emplace_back();
    } else {
      slot = oldest_;
      Unlink(slot);
      Series& old = series_[static_cast<size_t>(slot)];
      if (c_.key.device_only()) {
        by_device_[old.device_id] = -1;
      } else {
        by_key_.erase(old.key);
      }
      evicted_->Add();
    }
    Series& s = series_[static_cast<size_t>(slot)];
    uint64_t key_hash;
    if (c_.key.device_only()) {
      s.device_id = e.device.id();
      if (s.device_id >= by_device_.size()) by_device_.resize(static_cast<size_t>(s.device_id) + 1024, -1);
      by_device_[s.device_id] = slot;
      key_hash = Fnv1a(e.device.name());
    } else {
      s.key = key_buffer_;
      by_key_.emplace(s.key, slot);
      key_hash = Fnv1a(s.key);
    }
    s.detectors.clear();
    s.seen.assign(c_.fields.size(), 0);
    for (size_t f = 0; f < c_.fields.size(); ++f) {
      analytics::SeriesInfo info;
      info.min = c_.min;
      info.max = c_.max;
      // A seed from the configured one and the series' name: deterministic
      // whatever order series appear in.
      info.seed = c_.seed ^ Fnv1a(c_.fields[f].input.name(), key_hash);
      s.detectors.push_back(c_.factory->Make(info));
    }
    return slot;
  }

  void Unlink(int32_t slot) {
    Series& s = series_[static_cast<size_t>(slot)];
    if (s.newer >= 0) series_[static_cast<size_t>(s.newer)].older = s.older; else newest_ = s.older;
    if (s.older >= 0) series_[static_cast<size_t>(s.older)].newer = s.newer; else oldest_ = s.newer;
    s.newer = s.older = -1;
  }

  void MakeNewest(int32_t slot) {
    if (newest_ == slot) return;
    Series& s = series_[static_cast<size_t>(slot)];
    if (s.newer >= 0 || s.older >= 0 || oldest_ == slot) Unlink(slot);
    s.older = newest_;
    if (newest_ >= 0) series_[static_cast<size_t>(newest_)].newer = slot;
    newest_ = slot;
    if (oldest_ < 0) oldest_ = slot;
  }

  DetectConfig c_;
  Counter* evicted_;
  Counter* skipped_;
  Counter* anomalies_;
  std::vector<Series> series_;
  std::vector<int32_t> by_device_;  // device symbol id -> slot
  std::unordered_map<std::string, int32_t> by_key_;
  std::string key_buffer_;
  int32_t newest_ = -1;
  int32_t oldest_ = -1;
};

// A method parameter from the YAML: scalars only.
bool ScalarParam(const ConfigNode& node, std::string* out) {
  if (!node.is_scalar()) {
    node.Error("a method parameter must be a single value");
    return false;
  }
  *out = node.yaml().Scalar();
  return true;
}

// Builds the factory: `method` plus inline parameters, or `methods:` (an
// ensemble: names or {method: name, param: value} maps) plus `combine`.
std::shared_ptr<const DetectorFactory> ParseMethod(const ConfigNode& cfg) {
  MethodParams params;
  std::map<std::string, ConfigNode> where;  // parameter key -> node, for errors
  std::string method;
  if (cfg.Has("methods")) {
    if (cfg.Has("method")) cfg["method"].Error("give either method or methods, not both");
    method = "ensemble";
    const ConfigNode list = cfg["methods"];
    if (!list.is_sequence() || list.size() == 0) list.Error("expected a list of methods");
    std::string names;
    for (size_t i = 0; i < list.size(); ++i) {
      const ConfigNode item = list.At(i);
      std::string name;
      if (item.is_scalar()) {
        name = item.String();
      } else if (item.is_map()) {
        if (!item.Require("method")) continue;
        name = item["method"].String();
        for (const std::string& key : item.Keys()) {
          if (key == "method") continue;
          std::string value;
          if (ScalarParam(item[key], &value)) {
            params.Set(name + "." + key, value);
            where.emplace(name + "." + key, item[key]);
          }
        }
      } else {
        item.Error("expected a method name or {method: name, ...parameters}");
        continue;
      }
      names += (names.empty() ? "" : ",") + name;
    }
    params.Set("methods", names);
    where.emplace("methods", list);
    if (cfg.Has("combine")) {
      params.Set("combine", cfg["combine"].String());
      where.emplace("combine", cfg["combine"]);
    }
  } else {
    if (cfg.Has("combine")) cfg["combine"].Error("only used with methods:");
    method = cfg["method"].String(std::string(analytics::kDefaultDetectorMethod));
  }
  for (const std::string& key : cfg.Keys()) {
    if (std::find(kStageOptions.begin(), kStageOptions.end(), key) != kStageOptions.end()) continue;
    std::string value;
    if (ScalarParam(cfg[key], &value)) {
      params.Set(key, value);
      where.emplace(key, cfg[key]);
    }
  }
  auto factory = analytics::BuildDetectorFactory(method, params);
  for (const analytics::ParamError& e : params.errors()) {
    if (e.key == "method") {
      cfg["method"].Error(e.message);
      continue;
    }
    const auto it = where.find(e.key);
    const ConfigNode& at = it != where.end() ? it->second : cfg;
    if (e.message.find("unknown parameter") != std::string::npos) {
      at.Error("'" + e.key + "' is neither a detect option nor a parameter of method " + method,
               "edgeflow nab methods lists every method's parameters");
    } else {
      at.Error(e.key + ": " + e.message);
    }
  }
  return factory;
}

std::optional<DetectConfig> ParseConfig(BuildContext& ctx) {
  const ConfigNode& cfg = ctx.config;
  DetectConfig c;
  const std::string output = cfg["output"].String("anomaly");
  if (output.empty()) cfg["output"].Error("must not be empty");
  std::vector<std::pair<std::string, std::string>> names;  // input, prefix
  if (cfg.Has("field") == cfg.Has("fields")) {
    cfg.Error("give the value to watch as field: <name> (or fields: [a, b])");
  } else if (cfg.Has("field")) {
    names.push_back({cfg["field"].String(), output});
  } else {
    for (const std::string& f : cfg["fields"].StringList()) names.push_back({f, f + "_" + output});
    if (names.empty()) cfg["fields"].Error("list at least one field");
  }
  ctx.output_schema = ctx.input_schema;
  c.explain = cfg["explain"].Bool(false);
  for (const auto& [input, prefix] : names) {
    CheckFieldKnown(ctx, cfg.Has("field") ? cfg["field"] : cfg["fields"], input);
    FieldOutputs o;
    o.input = Symbol::Intern(input);
    for (const FieldOutputs& other : c.fields) {
      if (other.input == o.input) cfg["fields"].Error("field '" + input + "' is listed twice");
    }
    o.flag = Symbol::Intern(prefix);
    o.score = Symbol::Intern(prefix + "_score");
    o.expected = Symbol::Intern(prefix + "_expected");
    o.deviation = Symbol::Intern(prefix + "_deviation");
    ctx.output_schema.fields.insert(prefix);
    ctx.output_schema.fields.insert(prefix + "_score");
    if (c.explain) {
      ctx.output_schema.fields.insert(prefix + "_expected");
      ctx.output_schema.fields.insert(prefix + "_deviation");
    }
    c.fields.push_back(o);
  }

  c.key = SeriesKey::Parse(ctx, cfg, "key_by");

  c.threshold = cfg["threshold"].Double(0.5);
  if (!(c.threshold >= 0 && c.threshold <= 1)) cfg["threshold"].Error("must be between 0 and 1");
  c.warmup = cfg["warmup"].Int(0);
  if (c.warmup < 0) cfg["warmup"].Error("must be >= 0");
  const int64_t seed = cfg["seed"].Int(0);
  if (seed < 0) cfg["seed"].Error("must be >= 0");
  c.seed = static_cast<uint64_t>(std::max<int64_t>(seed, 0));
  const int64_t max_series = cfg["max_series"].Int(10000);
  if (max_series < 1 || max_series > 10'000'000) cfg["max_series"].Error("must be between 1 and 10000000");
  c.max_series = static_cast<size_t>(std::clamp<int64_t>(max_series, 1, 10'000'000));
  if (cfg.Has("min")) c.min = cfg["min"].Double(c.min);
  if (cfg.Has("max")) c.max = cfg["max"].Double(c.max);
  if (cfg.Has("min") && cfg.Has("max") && !(c.max > c.min)) cfg["max"].Error("must be greater than min");

  c.factory = ParseMethod(cfg);
  if (!c.factory) return std::nullopt;
  return c;
}

std::string MethodList() {
  std::string text;
  for (const analytics::DetectorMethod& m : analytics::DetectorMethods()) {
    text += "\n\n**" + m.name + "**" + (m.name == analytics::kDefaultDetectorMethod ? " (default)" : "") + ": " +
            m.summary + ".";
    for (const analytics::MethodParam& p : m.params) {
      text += "\n- `" + p.name + "`" + (p.default_value.empty() ? "" : " (default " + p.default_value + ")") + ": " +
              p.description;
    }
  }
  text += "\n\n**Every method** also accepts these parameters, which post-process its scores:";
  for (const analytics::MethodParam& p : analytics::PostProcessMethodParams()) {
    text += "\n- `" + p.name + "` (default " + p.default_value + "): " + p.description;
  }
  return text;
}

}  // namespace

ComponentDef DetectStageDef() {
  ComponentDef def;
  def.kind = ComponentKind::kStage;
  def.type = "detect";
  def.summary = "Streaming anomaly detection per device and field (robust z-score, EWMA, seasonal, ensembles).";
  def.description =
      "Each value of the watched field is fed, in arrival order, to a detector kept for its series "
      "(one per `key_by` value and field) and the event gets `<output>_score` (the anomaly score, "
      "in [0, 1]) and `<output>` (true when the score is >= `threshold`). With `fields:` the "
      "outputs are `<field>_<output>_score` and `<field>_<output>`. `explain: true` adds "
      "`<output>_expected` (what the method expected) and `<output>_deviation` (value - expected; "
      "NaN for methods without that notion). While a series warms up (the method's own warm-up, "
      "then `warmup` more values) its score is 0 and it is never flagged. Missing, text, NaN and "
      "infinite values are not fed (counted in `detect_values_skipped`) and get no outputs.\n\n"
      "The method's parameters are written inline, next to `method:` (e.g. `window: 50`); "
      "`methods:` (a list of names or `{method: name, param: value}` maps) runs an ensemble whose "
      "scores are combined by `combine:` (mean, max or vote). Unknown keys are errors.\n\n"
      "State is bounded: at most `max_series` keys keep detectors; a new key beyond that evicts the "
      "least recently seen one (counted in `detect_series_evicted`), which starts afresh if it "
      "comes back. Memory is about `max_series` x fields x the method's state (robust_z: 16 bytes "
      "x window; ewma: ~64 bytes; seasonal: 16 bytes x bins). Output is deterministic for a given "
      "`seed` and input order.\n\nMethods and their parameters:" +
      MethodList();
  def.free_form_keys = true;
  def.params = {
      {"field", "string", "", "The numeric field to watch (or `fields`).", false},
      {"fields", "list of string", "", "Several fields, each with its own detector and outputs.", false},
      {"method", "string", std::string(analytics::kDefaultDetectorMethod),
       "Detection method: " + analytics::DetectorMethodNames() + ". Its parameters go inline.", false},
      {"methods", "list", "", "An ensemble: method names or {method: name, param: value} maps.", false},
      {"combine", "enum", "mean", "Ensemble: max | mean | vote.", false},
      {"key_by", "string or list", "device", "What makes a series: device, tags.<name> or field names.", false},
      {"threshold", "number", "0.5", "Scores >= this set the boolean output.", false},
      {"warmup", "integer", "0", "Values per series never flagged, after the method's own warm-up.", false},
      {"output", "string", "anomaly", "Output field name (prefix of the _score, _expected, _deviation fields).",
       false},
      {"explain", "bool", "false", "Also write <output>_expected and <output>_deviation.", false},
      {"seed", "integer", "0", "Seed for methods that use randomness.", false},
      {"max_series", "integer", "10000", "Bound on keys with state; the least recently seen is evicted.", false},
      {"min", "number", "", "Expected minimum of the field, when known (some methods scale by the range).", false},
      {"max", "number", "", "Expected maximum of the field, when known.", false},
  };
  def.example = "detect: { field: temperature, method: robust_z, window: 60, threshold: 0.9, explain: true }";
  def.make_stage = [](BuildContext& ctx) -> std::unique_ptr<Stage> {
    auto config = ParseConfig(ctx);
    if (!config || !ctx.ok()) return nullptr;
    return std::make_unique<DetectStage>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
