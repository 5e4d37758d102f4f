#include "connectors/sim/sim_config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>

#include "common/time_format.h"
#include "config/diagnostics.h"
#include "config/units.h"

namespace edgeflow::sim {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

const std::vector<std::string>& GeneratorKeys() {
  static const std::vector<std::string> kKeys = {"base",    "constant", "sine",   "random_walk",
                                                 "noise",   "step",     "spike",  "drift",
                                                 "dropout", "round",    "integer"};
  return kKeys;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The whole of `s` as a finite number.
bool ReadNumber(std::string_view s, double* out) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
    return false;
  }
  *out = v;
  return true;
}

bool ReadIndex(std::string_view s, int64_t* out) {
  s = Trim(s);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return false;
  *out = v;
  return true;
}

size_t ErrorCount(const ConfigNode& node) {
  return node.diagnostics() ? node.diagnostics()->items().size() : 0;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// A duration that must be >= 0 (or > 0 when `positive`); nullopt when absent
// or wrong (and then reported).
std::optional<TimeMicros> ReadDuration(const ConfigNode& node, bool positive) {
  if (!node.defined()) return std::nullopt;
  const size_t before = ErrorCount(node);
  const TimeMicros d = node.Duration(0);
  if (ErrorCount(node) != before) return std::nullopt;
  if (positive ? d <= 0 : d < 0) {
    node.Error(positive ? "must be > 0" : "must be >= 0");
    return std::nullopt;
  }
  return d;
}

double ReadProbability(const ConfigNode& node, double fallback) {
  const double p = node.Double(fallback);
  if (p < 0 || p > 1) {
    node.Error("must be a probability between 0 and 1");
    return fallback;
  }
  return p;
}

double ReadNonNegative(const ConfigNode& node, double fallback) {
  const double v = node.Double(fallback);
  if (v < 0) {
    node.Error("must be >= 0");
    return fallback;
  }
  return v;
}

// A map, or a list of maps, as a list of nodes.
std::vector<ConfigNode> OneOrMany(const ConfigNode& node) {
  std::vector<ConfigNode> out;
  if (node.is_sequence()) {
    for (size_t i = 0; i < node.size(); ++i) out.push_back(node.At(i));
  } else {
    out.push_back(node);
  }
  return out;
}

bool ExpectMap(const ConfigNode& node, const char* example) {
  if (node.is_map()) return true;
  node.Error("expected a map", std::string("e.g. ") + example);
  return false;
}

void ParseSine(const ConfigNode& node, SignalSpec* spec) {
  if (!ExpectMap(node, "{ amplitude: 5, period: 10m }")) return;
  node.CheckKeys({"amplitude", "period", "phase"});
  SignalSpec::Sine sine;
  sine.amplitude = node["amplitude"].Double(0);
  if (!node.Require("period")) return;
  const std::optional<TimeMicros> period = ReadDuration(node["period"], /*positive=*/true);
  if (!period) return;
  sine.period = *period;
  const ConfigNode phase = node["phase"];
  if (phase.defined()) {
    const std::string text = phase.is_scalar() ? phase.yaml().Scalar() : "";
    double degrees = 0;
    if (ReadNumber(text, &degrees)) {
      sine.phase_radians = degrees * std::numbers::pi / 180.0;
    } else if (auto shift = ParseDuration(text); shift.ok()) {
      sine.phase_radians = 2.0 * std::numbers::pi * static_cast<double>(*shift % sine.period) /
                           static_cast<double>(sine.period);
    } else {
      phase.Error("expected degrees (a number such as 90) or a time shift (a duration such as 2m)");
    }
  }
  spec->sines.push_back(sine);
}

void ParseRandomWalk(const ConfigNode& node, SignalSpec* spec) {
  if (!ExpectMap(node, "{ start: 101, step: 0.05, min: 90, max: 110 }")) return;
  node.CheckKeys({"start", "step", "min", "max"});
  SignalSpec::RandomWalk& w = spec->random_walk;
  spec->has_random_walk = true;
  w.min = node["min"].Double(-kInf);
  w.max = node["max"].Double(kInf);
  if (w.min >= w.max) {
    node["max"].Error("must be greater than min");
    w.max = kInf;
  }
  double default_start = 0;
  if (std::isfinite(w.min) && std::isfinite(w.max)) {
    default_start = (w.min + w.max) / 2;
  } else if (std::isfinite(w.min)) {
    default_start = std::max(0.0, w.min);
  } else if (std::isfinite(w.max)) {
    default_start = std::min(0.0, w.max);
  }
  w.start = node["start"].Double(default_start);
  if (w.start < w.min || w.start > w.max) {
    node["start"].Error("must be between min and max");
    w.start = std::clamp(w.start, w.min, w.max);
  }
  if (node.Require("step")) w.step = ReadNonNegative(node["step"], 0);
}

void ParseNoise(const ConfigNode& node, SignalSpec* spec) {
  SignalSpec::Noise& noise = spec->noise;
  if (node.is_scalar()) {
    noise.kind = SignalSpec::NoiseKind::kGaussian;
    noise.stddev = ReadNonNegative(node, 0);
    return;
  }
  if (!ExpectMap(node,
                 "0.5 (a gaussian stddev), { stddev: 0.5 } or { uniform: { min: -1, max: 1 } }")) {
    return;
  }
  node.CheckKeys({"stddev", "uniform"});
  const bool has_stddev = node.Has("stddev");
  const bool has_uniform = node.Has("uniform");
  if (has_stddev == has_uniform) {
    node.Error("set exactly one of stddev or uniform");
    return;
  }
  if (has_stddev) {
    noise.kind = SignalSpec::NoiseKind::kGaussian;
    noise.stddev = ReadNonNegative(node["stddev"], 0);
    return;
  }
  const ConfigNode uniform = node["uniform"];
  if (!ExpectMap(uniform, "{ min: -1, max: 1 }")) return;
  uniform.CheckKeys({"min", "max"});
  if (!uniform.Require("min") || !uniform.Require("max")) return;
  noise.kind = SignalSpec::NoiseKind::kUniform;
  noise.min = uniform["min"].Double(0);
  noise.max = uniform["max"].Double(0);
  if (noise.min > noise.max) {
    uniform["max"].Error("must be >= min");
    noise.max = noise.min;
  }
}

void ParseStep(const ConfigNode& node, SignalSpec* spec) {
  if (!ExpectMap(node, "{ at: 5m, delta: 4 }")) return;
  node.CheckKeys({"at", "delta"});
  if (!node.Require("at") || !node.Require("delta")) return;
  const std::optional<TimeMicros> at = ReadDuration(node["at"], /*positive=*/false);
  if (!at) return;
  spec->steps.push_back({*at, node["delta"].Double(0)});
}

void ParseSpike(const ConfigNode& node, SignalSpec* spec) {
  if (!ExpectMap(node, "{ probability: 0.001, height: 3, width: 1 }")) return;
  node.CheckKeys({"probability", "height", "width"});
  if (!node.Require("probability") || !node.Require("height")) return;
  spec->spike.probability = ReadProbability(node["probability"], 0);
  spec->spike.height = node["height"].Double(0);
  const int64_t width = node["width"].Int(1);
  if (width < 1 || width > 1'000'000) {
    node["width"].Error("must be between 1 and 1000000 samples");
  } else {
    spec->spike.width = static_cast<int>(width);
  }
}

void ParseDropout(const ConfigNode& node, SignalSpec* spec) {
  if (node.is_scalar()) {
    spec->dropout.fraction = ReadProbability(node, 0);
    return;
  }
  if (!ExpectMap(node, "0.01 or { probability: 0.01, length: 10 }")) return;
  node.CheckKeys({"probability", "length"});
  if (!node.Require("probability")) return;
  spec->dropout.fraction = ReadProbability(node["probability"], 0);
  const int64_t length = node["length"].Int(1);
  if (length < 1 || length > 1'000'000) {
    node["length"].Error("must be between 1 and 1000000 samples");
  } else {
    spec->dropout.length = static_cast<int>(length);
  }
}

void ParseField(const ConfigNode& node, SignalSpec* spec) {
  if (node.is_scalar()) {
    spec->base = node.Double(0);
    return;
  }
  if (!node.is_map()) {
    node.Error("expected a number (a constant) or a map of generators",
               "e.g. { base: 20, noise: 0.5 }; generators: " + Join(GeneratorKeys()));
    return;
  }
  node.CheckKeys(GeneratorKeys());
  if (node.Has("base") && node.Has("constant")) {
    node["constant"].Error("set either base or constant, not both");
  }
  spec->base = node.Has("base") ? node["base"].Double(0) : node["constant"].Double(0);
  if (node.Has("sine")) {
    for (const ConfigNode& sine : OneOrMany(node["sine"])) ParseSine(sine, spec);
  }
  if (node.Has("random_walk")) ParseRandomWalk(node["random_walk"], spec);
  if (node.Has("noise")) ParseNoise(node["noise"], spec);
  if (node.Has("step")) {
    for (const ConfigNode& step : OneOrMany(node["step"])) ParseStep(step, spec);
  }
  if (node.Has("spike")) ParseSpike(node["spike"], spec);
  if (node.Has("drift")) {
    const ConfigNode drift = node["drift"];
    auto rate = ParsePerHour(drift.is_scalar() ? drift.yaml().Scalar() : "");
    if (rate.ok()) {
      spec->drift_per_hour = *rate;
    } else {
      drift.Error(rate.status().message());
    }
  }
  if (node.Has("dropout")) ParseDropout(node["dropout"], spec);
  if (node.Has("round")) {
    const int64_t digits = node["round"].Int(-1);
    if (digits < 0 || digits > 15) {
      node["round"].Error("must be a number of decimal digits between 0 and 15");
    } else {
      spec->round_digits = static_cast<int>(digits);
    }
  }
  spec->integer = node["integer"].Bool(false);
}

std::vector<uint32_t> ParseDeviceList(const ConfigNode& node, const SimConfig& config) {
  std::vector<uint32_t> devices;
  const std::string range = "devices are 0.." + std::to_string(config.devices - 1) + " (" +
                            config.DeviceId(0) + ".." + config.DeviceId(config.devices - 1) + ")";
  if (node.is_scalar() && node.yaml().Scalar() == "all") {
    for (uint32_t d = 0; d < config.devices; ++d) devices.push_back(d);
    return devices;
  }
  if (!node.is_scalar() && !node.is_sequence()) {
    node.Error("expected a device index, a list of them, or all", "e.g. [3, 17]");
    return devices;
  }
  for (const ConfigNode& item : OneOrMany(node)) {
    if (!item.is_scalar()) {
      item.Error("expected a device index or id");
      continue;
    }
    const std::string text = item.yaml().Scalar();
    int64_t index = -1;
    if (!ReadIndex(text, &index)) {
      // A device id: the prefix and the index.
      const std::string_view prefix = config.device_prefix;
      if (text.size() > prefix.size() && text.compare(0, prefix.size(), prefix) == 0 &&
          ReadIndex(std::string_view(text).substr(prefix.size()), &index) && index >= 0 &&
          index < config.devices && config.DeviceId(static_cast<uint32_t>(index)) == text) {
        devices.push_back(static_cast<uint32_t>(index));
      } else {
        item.Error("unknown device '" + text + "'", "use an index or an id; " + range);
      }
      continue;
    }
    if (index < 0 || index >= config.devices) {
      item.Error("device index " + text + " is out of range", range);
      continue;
    }
    devices.push_back(static_cast<uint32_t>(index));
  }
  std::sort(devices.begin(), devices.end());
  devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
  return devices;
}

std::vector<std::string> FieldNames(const SimConfig& config) {
  std::vector<std::string> names;
  for (const FieldConfig& f : config.fields) names.push_back(f.name);
  return names;
}

// Resolves the field a scenario affects: `key` when set (must exist), else
// `fallback` (reported at the fault when it does not exist, unless optional).
int ResolveFaultField(const ConfigNode& fault, const std::string& key, const std::string& fallback,
                      const std::string& scenario, const SimConfig& config, bool optional) {
  const ConfigNode node = fault[key];
  const std::string hint = "fields: " + Join(FieldNames(config));
  if (node.defined()) {
    const std::string name = node.String();
    const int index = config.FieldIndex(name);
    if (index < 0) {
      std::string close = ClosestMatch(name, FieldNames(config));
      for (const std::string& candidate : FieldNames(config)) {
        // "pressure" for "pressure_kpa": a name without its unit.
        if (close.empty() && !name.empty() && candidate.starts_with(name)) close = candidate;
      }
      node.Error("no field '" + name + "' in this source",
                 close.empty() ? hint : "did you mean '" + close + "'?");
    }
    return index;
  }
  const int index = config.FieldIndex(fallback);
  if (index < 0 && !optional) {
    fault.Error("scenario '" + scenario + "' affects field '" + fallback +
                    "' by default, which this source does not simulate",
                "set `" + key + ":` to one of the " + hint);
  }
  return index;
}

void ParseFault(const ConfigNode& node, SimConfig* config) {
  if (!ExpectMap(node, "{ scenario: overheating, devices: [8], start: 30s }")) return;
  if (!node.Require("scenario")) return;
  const ConfigNode scenario_node = node["scenario"];
  const std::string scenario = scenario_node.String();
  const std::optional<FaultKind> kind = ParseFaultKind(scenario);
  if (!kind) {
    const std::string close = ClosestMatch(scenario, FaultKindNames());
    scenario_node.Error("unknown scenario '" + scenario + "'",
                        (close.empty() ? "" : "did you mean '" + close + "'? ") +
                            "scenarios: " + Join(FaultKindNames()));
    return;
  }
  std::vector<std::string> keys = {"scenario", "devices", "start", "duration"};
  switch (*kind) {
    case FaultKind::kBearingWear:
      keys.insert(keys.end(), {"field", "ramp", "factor", "temperature_field", "temperature_rise"});
      break;
    case FaultKind::kOverheating: keys.insert(keys.end(), {"field", "rate", "max_rise"}); break;
    case FaultKind::kSensorStuck: keys.push_back("field"); break;
    case FaultKind::kGlitch: keys.insert(keys.end(), {"field", "probability", "values"}); break;
    case FaultKind::kDriftFault: keys.insert(keys.end(), {"field", "rate"}); break;
    case FaultKind::kCommsLoss: break;
  }
  node.CheckKeys(keys);

  FaultSpec fault;
  fault.kind = *kind;
  if (node.Require("devices")) {
    fault.devices = ParseDeviceList(node["devices"], *config);
    if (fault.devices.empty() && node["devices"].is_sequence() && node["devices"].size() == 0) {
      node["devices"].Error("lists no devices");
    }
  }
  fault.start = ReadDuration(node["start"], /*positive=*/false).value_or(0);
  fault.duration = ReadDuration(node["duration"], /*positive=*/true);

  if (*kind != FaultKind::kCommsLoss) {
    fault.field = ResolveFaultField(node, "field", DefaultFaultField(*kind), scenario, *config,
                                    /*optional=*/false);
  }
  auto read_rate = [&](const char* key, double fallback_per_hour) {
    const ConfigNode rate = node[key];
    if (!rate.defined()) return fallback_per_hour;
    auto parsed = ParsePerHour(rate.is_scalar() ? rate.yaml().Scalar() : "");
    if (!parsed.ok()) {
      rate.Error(parsed.status().message());
      return fallback_per_hour;
    }
    return *parsed;
  };
  switch (*kind) {
    case FaultKind::kBearingWear:
      fault.secondary_field = ResolveFaultField(node, "temperature_field", "temperature_f",
                                                scenario, *config, /*optional=*/true);
      fault.ramp = ReadDuration(node["ramp"], /*positive=*/false).value_or(fault.ramp);
      fault.factor = ReadNonNegative(node["factor"], fault.factor);
      fault.temperature_rise = node["temperature_rise"].Double(fault.temperature_rise);
      break;
    case FaultKind::kOverheating:
      fault.rate_per_hour = read_rate("rate", 120.0);
      if (node.Has("max_rise")) fault.max_rise = node["max_rise"].Double(0);
      break;
    case FaultKind::kGlitch:
      fault.probability = ReadProbability(node["probability"], fault.probability);
      if (node.Has("values")) {
        const ConfigNode values = node["values"];
        if (!values.is_sequence() || values.size() == 0) {
          values.Error("expected a non-empty list of numbers", "e.g. [-999, 9999]");
        } else {
          fault.values.clear();
          for (size_t i = 0; i < values.size(); ++i) fault.values.push_back(values.At(i).Double(0));
        }
      }
      break;
    case FaultKind::kDriftFault: fault.rate_per_hour = read_rate("rate", 1.0); break;
    case FaultKind::kSensorStuck:
    case FaultKind::kCommsLoss: break;
  }
  config->faults.push_back(std::move(fault));
}

SignalSpec MakeSpec(double base, double noise) {
  SignalSpec spec;
  spec.base = base;
  spec.noise.kind = SignalSpec::NoiseKind::kGaussian;
  spec.noise.stddev = noise;
  spec.round_digits = 3;
  return spec;
}

}  // namespace

std::string SimConfig::DeviceId(uint32_t index) const {
  std::string digits = std::to_string(index);
  if (static_cast<int>(digits.size()) < device_digits) {
    digits.insert(0, static_cast<size_t>(device_digits) - digits.size(), '0');
  }
  return device_prefix + digits;
}

int SimConfig::FieldIndex(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<FieldConfig> DefaultFields() {
  std::vector<FieldConfig> fields;
  SignalSpec temperature = MakeSpec(160, 0.5);
  temperature.sines.push_back({5, 10 * kMicrosPerMinute, 0});
  fields.push_back({"temperature_f", temperature});
  SignalSpec vibration = MakeSpec(0.3, 0.02);
  vibration.spike = {0.001, 0.5, 1};
  fields.push_back({"vibration_rms", vibration});
  SignalSpec pressure;
  pressure.has_random_walk = true;
  pressure.random_walk = {101, 0.05, 90, 110};
  pressure.round_digits = 3;
  fields.push_back({"pressure_kpa", pressure});
  fields.push_back({"current_a", MakeSpec(12, 0.1)});
  return fields;
}

Result<double> ParseRatePeriod(std::string_view text) {
  const std::string_view s = Trim(text);
  const std::string hint = "expected a frequency such as 10Hz or 0.5Hz, or a period such as 100ms";
  double hz = 0;
  bool is_frequency = false;
  auto ends_with = [&](std::string_view suffix) {
    if (s.size() < suffix.size()) return false;
    for (size_t i = 0; i < suffix.size(); ++i) {
      const char c = s[s.size() - suffix.size() + i];
      if (std::tolower(static_cast<unsigned char>(c)) != suffix[i]) return false;
    }
    return true;
  };
  if (ends_with("khz")) {
    if (!ReadNumber(s.substr(0, s.size() - 3), &hz))
      return InvalidConfig("bad rate '" + std::string(text) + "'; " + hint);
    hz *= 1000;
    is_frequency = true;
  } else if (ends_with("hz")) {
    if (!ReadNumber(s.substr(0, s.size() - 2), &hz))
      return InvalidConfig("bad rate '" + std::string(text) + "'; " + hint);
    is_frequency = true;
  } else if (ReadNumber(s, &hz)) {
    is_frequency = true;
  }
  if (is_frequency) {
    if (hz <= 0) return InvalidConfig("rate must be > 0, got '" + std::string(text) + "'");
    const double period = 1e6 / hz;
    if (period < 1) return InvalidConfig("rate '" + std::string(text) + "' is above 1MHz");
    return period;
  }
  auto period = ParseDuration(s);
  if (!period.ok()) return InvalidConfig("bad rate '" + std::string(text) + "'; " + hint);
  if (*period <= 0)
    return InvalidConfig("rate period must be > 0, got '" + std::string(text) + "'");
  return static_cast<double>(*period);
}

Result<double> ParsePerHour(std::string_view text) {
  const std::string_view s = Trim(text);
  const std::string hint = "expected a change per time such as 0.01/h, 2/m or 1.5/30s";
  const size_t slash = s.find('/');
  double amount = 0;
  if (slash == std::string_view::npos) {
    if (ReadNumber(s, &amount)) return amount;  // per hour
    return InvalidConfig("bad rate '" + std::string(text) + "'; " + hint);
  }
  if (!ReadNumber(s.substr(0, slash), &amount)) {
    return InvalidConfig("bad rate '" + std::string(text) + "'; " + hint);
  }
  std::string per(Trim(s.substr(slash + 1)));
  if (!per.empty() && std::isalpha(static_cast<unsigned char>(per.front()))) per.insert(0, "1");
  auto duration = ParseDuration(per);
  if (!duration.ok() || *duration <= 0) {
    return InvalidConfig("bad rate '" + std::string(text) + "'; " + hint);
  }
  return amount * static_cast<double>(kMicrosPerHour) / static_cast<double>(*duration);
}

std::optional<SimConfig> ParseSimConfig(const ConfigNode& config) {
  const size_t errors_before = ErrorCount(config);
  SimConfig out;

  const int64_t devices = config["devices"].Int(1);
  if (devices <= 0 || devices > kMaxDevices) {
    config["devices"].Error("must be between 1 and " + std::to_string(kMaxDevices));
  } else {
    out.devices = static_cast<uint32_t>(devices);
  }
  out.device_prefix = config["device_prefix"].String(out.device_prefix);
  out.device_digits = std::max<int>(4, static_cast<int>(std::to_string(out.devices - 1).size()));

  const ConfigNode rate = config["rate"];
  if (rate.defined()) {
    auto period = ParseRatePeriod(rate.is_scalar() ? rate.yaml().Scalar() : "");
    if (period.ok()) {
      out.period_micros = *period;
    } else {
      rate.Error(period.status().message());
    }
  }

  out.seed = static_cast<uint64_t>(config["seed"].Int(0));
  const ConfigNode start = config["start"];
  if (start.defined()) {
    std::optional<TimeMicros> t = ParseIsoTime(start.String());
    if (t) {
      out.start = *t;
    } else {
      start.Error("expected a time such as \"2024-01-01T00:00:00Z\"");
    }
  }
  out.pace =
      config["pace"].Enum("realtime", {"realtime", "max"}) == "max" ? Pace::kMax : Pace::kRealtime;
  out.duration = ReadDuration(config["duration"], /*positive=*/true);
  if (config.Has("count")) {
    const int64_t count = config["count"].Int(0);
    if (count <= 0) {
      config["count"].Error("must be > 0");
    } else {
      out.count = static_cast<uint64_t>(count);
    }
    if (config.Has("duration")) config["count"].Error("set either duration or count, not both");
  }

  const ConfigNode fields = config["fields"];
  if (!fields.defined()) {
    out.fields = DefaultFields();
  } else if (!fields.is_map() || fields.size() == 0) {
    fields.Error("expected a map of field name to generators",
                 "e.g. { temperature_f: { base: 160, noise: 0.5 } }");
  } else {
    for (const std::string& name : fields.Keys()) {
      if (name.empty()) {
        fields.Error("field names must not be empty");
        continue;
      }
      if (out.FieldIndex(name) >= 0) {
        fields[name].Error("duplicate field '" + name + "'");
        continue;
      }
      FieldConfig field;
      field.name = name;
      ParseField(fields[name], &field.spec);
      out.fields.push_back(std::move(field));
    }
  }

  const ConfigNode tags = config["tags"];
  if (tags.defined()) {
    if (!tags.is_map()) {
      tags.Error("expected a map of tag name to text", "e.g. { site: plant-1 }");
    } else {
      for (const std::string& name : tags.Keys()) {
        out.tags.emplace_back(name, tags[name].String());
      }
    }
  }

  const ConfigNode faults = config["faults"];
  if (faults.defined()) {
    if (!faults.is_sequence()) {
      faults.Error("expected a list of faults", "e.g. - { scenario: overheating, devices: [8] }");
    } else {
      for (size_t i = 0; i < faults.size(); ++i) ParseFault(faults.At(i), &out);
    }
  }

  if (ErrorCount(config) != errors_before) return std::nullopt;
  return out;
}

}  // namespace edgeflow::sim
