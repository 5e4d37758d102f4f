#include "stages/features.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "analytics/features/band_energy.h"
#include "analytics/features/signal_features.h"
#include "stages/stage_util.h"

namespace edgeflow {
namespace {

using analytics::SignalFeature;

struct FeaturesConfig {
  Symbol field;
  std::vector<SignalFeature> features;
  std::vector<Symbol> feature_outputs;
  std::vector<analytics::FrequencyBand> bands;
  std::vector<Symbol> band_outputs;
  double sample_rate = 0;
  size_t max_samples = 65536;
};

enum class ParseResult { kOk, kMalformed, kTruncated };

// Parses "1.5, -2, 3e-1" or "[1.5 -2 0.3]" into `out` (at most max values).
ParseResult ParseSamples(std::string_view text, size_t max, std::vector<double>& out) {
  out.clear();
  size_t i = 0;
  const auto is_sep = [](char ch) { return ch == ',' || ch == ';' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; };
  while (i < text.size() && is_sep(text[i])) ++i;
  bool bracket = i < text.size() && text[i] == '[';
  if (bracket) ++i;
  while (true) {
    while (i < text.size() && is_sep(text[i])) ++i;
    if (i >= text.size()) break;
    if (bracket && text[i] == ']') {
      ++i;
      while (i < text.size() && is_sep(text[i])) ++i;
      if (i != text.size()) return ParseResult::kMalformed;
      bracket = false;
      break;
    }
    if (text[i] == '+') ++i;  // from_chars does not take a leading '+'
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), v);
    if (ec != std::errc() || !std::isfinite(v)) return ParseResult::kMalformed;
    i = static_cast<size_t>(end - text.data());
    if (i < text.size() && !is_sep(text[i]) && text[i] != ']') return ParseResult::kMalformed;
    if (out.size() >= max) return ParseResult::kTruncated;
    out.push_back(v);
  }
  if (bracket) return ParseResult::kMalformed;  // no closing bracket
  return ParseResult::kOk;
}

class FeaturesStage final : public Stage {
 public:
  FeaturesStage(FeaturesConfig config, const ComponentContext& ctx)
      : c_(std::move(config)),
        bad_(ctx.counters.ErrorsFor("bad_waveform")),
        missing_(ctx.metrics->GetCounter("features_missing_field", ctx.counters.labels,
                                         "events without the waveform field (passed on unchanged)")),
        over_cap_(ctx.metrics->GetCounter("features_samples_over_cap", ctx.counters.labels,
                                          "waveforms truncated at max_samples")) {}

  void Process(Batch& batch, Emitter& out) override {
    for (Event& e : batch) Apply(e);
    if (!batch.empty()) out.Emit(batch);
  }

 private:
  void Apply(Event& e) {
    const Value* v = e.Find(c_.field);
    if (v == nullptr) {
      missing_->Add();
      return;
    }
    if (v->type != ValueType::kString) {
      bad_->Add();
      return;
    }
    const ParseResult r = ParseSamples(e.Text(*v), c_.max_samples, samples_);
    if (r == ParseResult::kMalformed || samples_.empty()) {
      bad_->Add();
      return;
    }
    if (r == ParseResult::kTruncated) over_cap_->Add();
    for (size_t i = 0; i < c_.features.size(); ++i) {
      const double f = analytics::ComputeSignalFeature(c_.features[i], samples_);
      if (!std::isnan(f)) e.SetDouble(c_.feature_outputs[i], f);
    }
    if (!c_.bands.empty()) {
      fft_.Compute(samples_, c_.sample_rate, c_.bands, energies_);
      for (size_t b = 0; b < c_.bands.size(); ++b) {
        if (!std::isnan(energies_[b])) e.SetDouble(c_.band_outputs[b], energies_[b]);
      }
    }
  }

  FeaturesConfig c_;
  Counter* bad_;
  Counter* missing_;
  Counter* over_cap_;
  std::vector<double> samples_;
  std::vector<double> energies_;
  analytics::BandEnergyCalculator fft_;
};

std::unique_ptr<Stage> Build(BuildContext& ctx) {
  const ConfigNode& cfg = ctx.config;
  FeaturesConfig c;
  if (!cfg.Has("field")) return nullptr;  // reported as required
  const std::string field = cfg["field"].String();
  CheckFieldKnown(ctx, cfg["field"], field);
  c.field = Symbol::Intern(field);
  const std::string prefix = cfg["prefix"].String(field);
  std::vector<std::string> names = {"rms", "peak", "peak_to_peak", "crest", "skewness", "kurtosis", "zcr"};
  if (cfg.Has("features")) names = cfg["features"].StringList();
  bool band_energy = false;
  ctx.output_schema = ctx.input_schema;
  for (const std::string& name : names) {
    if (name == "band_energy") {
      band_energy = true;
      continue;
    }
    const auto f = analytics::ParseSignalFeature(name);
    if (!f) {
      std::vector<std::string> known = analytics::SignalFeatureNames();
      known.push_back("band_energy");
      const std::string close = ClosestMatch(name, known);
      cfg["features"].Error("unknown feature '" + name + "'",
                            close.empty() ? "features: rms peak peak_to_peak crest skewness kurtosis zcr band_energy"
                                          : "did you mean '" + close + "'?");
      continue;
    }
    c.features.push_back(*f);
    const std::string out = prefix + "_" + std::string(analytics::SignalFeatureName(*f));
    c.feature_outputs.push_back(Symbol::Intern(out));
    ctx.output_schema.fields.insert(out);
  }
  const int64_t max_samples = cfg["max_samples"].Int(65536);
  if (max_samples < 1 || max_samples > 1'000'000) cfg["max_samples"].Error("must be between 1 and 1000000");
  c.max_samples = static_cast<size_t>(std::clamp<int64_t>(max_samples, 1, 1'000'000));
  if (band_energy) {
    if (!cfg.Require("sample_rate") || !cfg.Require("bands")) return nullptr;
    c.sample_rate = cfg["sample_rate"].Double(0);
    if (!(c.sample_rate > 0)) cfg["sample_rate"].Error("must be > 0 (Hz)");
    const ConfigNode bands = cfg["bands"];
    if (!bands.is_map()) bands.Error("expected a map of name: [low_hz, high_hz]");
    for (const std::string& name : bands.Keys()) {
      const ConfigNode range = bands[name];
      const double low = range.is_sequence() && range.size() == 2 ? range.At(0).Double(-1) : -1;
      const double high = range.is_sequence() && range.size() == 2 ? range.At(1).Double(-1) : -1;
      if (!(low >= 0 && high > low)) {
        range.Error("expected [low_hz, high_hz] with 0 <= low_hz < high_hz");
        continue;
      }
      c.bands.push_back({name, low, high});
      const std::string out = prefix + "_band_" + name;
      c.band_outputs.push_back(Symbol::Intern(out));
      ctx.output_schema.fields.insert(out);
    }
  } else {
    for (const char* key : {"sample_rate", "bands"}) {
      if (cfg.Has(key)) cfg[key].Error("only used with the band_energy feature");
    }
  }
  if (!ctx.ok()) return nullptr;
  return std::make_unique<FeaturesStage>(std::move(c), ctx.services);
}

}  // namespace

ComponentDef FeaturesStageDef() {
  ComponentDef def;
  def.kind = ComponentKind::kStage;
  def.type = "features";
  def.summary = "Computes signal features (rms, kurtosis, band energies...) of a waveform carried by each event.";
  def.description =
      "`field` holds the samples as text: numbers separated by commas, semicolons or spaces, "
      "optionally in [brackets]. Each listed feature is added as `<prefix>_<feature>`; "
      "band_energy adds `<prefix>_band_<name>` per band (power in [low_hz, high_hz), so that "
      "bands covering the spectrum add up to rms^2). Definitions in docs/analytics/features.md. "
      "Undefined features (e.g. the crest factor of silence) are left out. A waveform longer "
      "than `max_samples` is truncated (counted as features_samples_over_cap); a malformed one "
      "passes on without features, counted as errors{reason=\"bad_waveform\"}.";
  def.params = {
      {"field", "string", "", "Field holding the waveform's samples as text.", true},
      {"features", "list of string", "[rms, peak, peak_to_peak, crest, skewness, kurtosis, zcr]",
       "Features to compute: rms peak peak_to_peak crest skewness kurtosis zcr band_energy.", false},
      {"prefix", "string", "the field name", "Prefix of the output fields.", false},
      {"sample_rate", "number", "", "Sampling rate in Hz (band_energy).", false},
      {"bands", "map", "", "band_energy bands, name: [low_hz, high_hz].", false},
      {"max_samples", "integer", "65536", "Samples used per waveform; longer ones are truncated and counted.", false},
  };
  def.example =
      "features: { field: accel, features: [rms, crest, kurtosis, band_energy], sample_rate: 1000, "
      "bands: { low: [0, 100], high: [100, 500] } }";
  def.make_stage = [](BuildContext& ctx) { return Build(ctx); };
  return def;
}

}  // namespace edgeflow
