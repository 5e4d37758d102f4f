// golden_runner FILE.yaml: runs one data-driven pipeline test.
//
// The file holds the pipeline (without sources and sinks unless the test
// needs its own), the input events and control steps, and the exact expected
// output, counters or configuration errors. Format: tests/golden/README.md.
// Exit 0 when everything matches; otherwise prints a diff-like report.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "connectors/builtin.h"
#include "connectors/codec/json_encoder.h"
#include "common/time_format.h"
#include "config/units.h"
#include "config/yaml_loader.h"
#include "pipeline/dead_letter_queue.h"
#include "pipeline/executor.h"
#include "stages/builtin.h"

namespace edgeflow {
namespace {

using Json = nlohmann::json;

// The input side: a source that only the runner feeds (through Inject).
ComponentDef InjectSourceDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSource;
  def.type = "inject";
  def.summary = "test input";
  def.make_source = [](BuildContext&) -> std::unique_ptr<Source> {
    struct Inject final : Source {
      PollResult Poll(Batch&, size_t) override { return PollResult::kIdle; }
    };
    return std::make_unique<Inject>();
  };
  return def;
}

// The output side: records every event as a JSON line.
ComponentDef CaptureSinkDef(std::map<std::string, std::vector<std::string>>* captured) {
  ComponentDef def;
  def.kind = ComponentKind::kSink;
  def.type = "capture";
  def.summary = "test output";
  def.make_sink = [captured](BuildContext& ctx) -> std::unique_ptr<Sink> {
    struct Capture final : Sink {
      std::vector<std::string>* lines;
      void Write(const Batch& batch) override {
        for (const Event& e : batch) {
          std::string line;
          AppendEventJson(e, JsonEncodeOptions{}, line);
          lines->push_back(line);
        }
      }
    };
    auto sink = std::make_unique<Capture>();
    sink->lines = &(*captured)[ctx.services.id];
    return sink;
  };
  return def;
}

Json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json j = Json::object();
      for (const auto& kv : node) j[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      Json j = Json::array();
      for (const auto& item : node) j.push_back(YamlToJson(item));
      return j;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted: always a string
      if (s == "true") return true;
      if (s == "false") return false;
      if (s == "null" || s == "~") return nullptr;
      char* end = nullptr;
      const long long i = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && *end == '\0') return i;
      const double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && *end == '\0') return d;
      return s;
    }
    default: return nullptr;
  }
}

// Numbers compare with a relative tolerance of 1e-9 (platforms may differ in
// the last bits); everything else exactly.
bool JsonEqual(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    return x == y || std::fabs(x - y) <= 1e-9 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key()) || !JsonEqual(it.value(), b[it.key()])) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!JsonEqual(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

bool FillEvent(const Json& j, Event& e, std::string* error) {
  e.Clear();
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const Json& v = it.value();
    if (key == "time") {
      if (v.is_string()) {
        auto t = ParseIsoTime(v.get<std::string>());
        if (!t) {
          *error = "bad time " + v.dump();
          return false;
        }
        e.time = *t;
      } else {
        e.time = v.get<int64_t>();
      }
    } else if (key == "device") {
      e.device = Symbol::Intern(v.get<std::string>());
    } else if (key == "tags") {
      for (auto t = v.begin(); t != v.end(); ++t) e.SetTag(Symbol::Intern(t.key()), t.value().get<std::string>());
    } else if (v.is_boolean()) {
      e.SetBool(Symbol::Intern(key), v.get<bool>());
    } else if (v.is_number_integer() && !v.is_number_float()) {
      e.SetInt(Symbol::Intern(key), v.get<int64_t>());
    } else if (v.is_number()) {
      e.SetDouble(Symbol::Intern(key), v.get<double>());
    } else if (v.is_string()) {
      e.SetString(Symbol::Intern(key), v.get<std::string>());
    } else if (!v.is_null()) {
      *error = "unsupported value for " + key;
      return false;
    }
  }
  return true;
}

int CompareLines(const std::string& what, const std::vector<std::string>& actual, const Json& expected) {
  std::vector<Json> got;
  for (const std::string& line : actual) got.push_back(Json::parse(line));
  bool ok = got.size() == expected.size();
  for (size_t i = 0; ok && i < got.size(); ++i) ok = JsonEqual(got[i], expected[i]);
  if (ok) return 0;
  std::cerr << "FAIL " << what << ": expected " << expected.size() << " events, got " << got.size() << "\n";
  const size_t n = std::max(got.size(), expected.size());
  for (size_t i = 0; i < n; ++i) {
    const bool same = i < got.size() && i < expected.size() && JsonEqual(got[i], expected[i]);
    if (i < expected.size()) std::cerr << (same ? "  " : "- ") << expected[i].dump() << "\n";
    if (!same && i < got.size()) std::cerr << "+ " << got[i].dump() << "\n";
  }
  return 1;
}

int RunGolden(const std::string& path) {
  YAML::Node test;
  try {
    test = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    std::cerr << path << ": " << e.what() << "\n";
    return 1;
  }
  for (const auto& kv : test) {
    const std::string k = kv.first.as<std::string>();
    if (k != "description" && k != "pipeline" && k != "input" && k != "expect" && k != "counters" &&
        k != "errors" && k != "capture" && k != "batch_size") {
      std::cerr << path << ": unknown key '" << k << "'\n";
      return 1;
    }
  }
  // Relative paths in the pipeline (replay files) are relative to the test.
  std::filesystem::current_path(std::filesystem::absolute(path).parent_path());

  YAML::Node pipeline = YAML::Clone(test["pipeline"]);
  if (!pipeline.IsMap()) pipeline = YAML::Node(YAML::NodeType::Map);
  // Without sources (or with a first source of type `inject`, to set its
  // watermark options), the runner feeds `input` through source 0.
  const bool injected = !pipeline["sources"] || (pipeline["sources"][0]["type"] &&
                                                 pipeline["sources"][0]["type"].as<std::string>() == "inject");
  if (!pipeline["sources"]) pipeline["sources"].push_back(YAML::Load("{id: input, type: inject}"));
  // Capture the default output and every stream listed under `capture`.
  std::map<std::string, std::string> capture_streams = {{"output", ""}};
  if (test["capture"]) {
    for (const auto& s : test["capture"]) capture_streams[s.first.as<std::string>()] = s.first.as<std::string>();
  }
  for (const auto& [name, stream] : capture_streams) {
    YAML::Node sink = YAML::Load("{type: capture}");
    sink["id"] = "capture:" + name;
    if (!stream.empty()) sink["from"] = stream;
    pipeline["sinks"].push_back(sink);
  }

  std::map<std::string, std::vector<std::string>> captured;
  Registry registry;
  RegisterBuiltinConnectors(registry);
  RegisterBuiltinStages(registry);
  registry.Add(InjectSourceDef());
  registry.Add(CaptureSinkDef(&captured));

  ManualClock clock(ParseIsoTime("2024-01-01T00:00:00Z").value());
  MetricsRegistry metrics;
  DeadLetterQueue dead_letters(&clock, &metrics);
  Diagnostics diagnostics;
  YAML::Emitter emitter;
  emitter << pipeline;
  auto loaded = LoadYamlText(emitter.c_str(), "pipeline", ProcessEnv, &diagnostics);
  std::unique_ptr<Pipeline> built;
  if (loaded) built = BuildPipeline(*loaded, {&registry, &clock, &metrics, &dead_letters}, &diagnostics);

  if (test["errors"]) {
    const std::string report = diagnostics.ToString();
    int failures = 0;
    if (built) {
      std::cerr << "FAIL: expected configuration errors, but the pipeline built\n";
      return 1;
    }
    for (const auto& e : test["errors"]) {
      if (report.find(e.as<std::string>()) == std::string::npos) {
        std::cerr << "FAIL: no error containing '" << e.as<std::string>() << "'\n";
        ++failures;
      }
    }
    if (failures) std::cerr << "errors were:\n" << report;
    return failures ? 1 : 0;
  }
  if (!built) {
    std::cerr << "FAIL: pipeline did not build:\n" << diagnostics.ToString();
    return 1;
  }

  Executor executor(built.get(), &clock, &dead_letters);
  if (Status st = executor.Start(); !st.ok()) {
    std::cerr << "FAIL: start: " << st.ToString() << "\n";
    return 1;
  }
  const size_t batch_size = test["batch_size"] ? test["batch_size"].as<size_t>() : 1;
  Batch batch;
  auto flush_batch = [&] {
    if (!batch.empty()) executor.Inject(0, batch);
    batch.Clear();
  };
  if (test["input"]) {
    if (!injected) {
      std::cerr << "FAIL: 'input' needs a pipeline without its own sources\n";
      return 1;
    }
    for (const auto& step : test["input"]) {
      const Json j = YamlToJson(step);
      if (j.contains("advance")) {
        flush_batch();
        auto d = ParseDuration(j["advance"].get<std::string>());
        if (!d.ok()) {
          std::cerr << "bad advance: " << d.status().ToString() << "\n";
          return 1;
        }
        // Tick at the pipeline's tick period so idle detection is realistic.
        for (TimeMicros left = *d; left > 0; left -= built->settings.tick) {
          clock.Advance(std::min(left, built->settings.tick));
          executor.Tick();
        }
      } else if (j.contains("watermark")) {
        flush_batch();
        executor.AdvanceSourceTime(0, ParseIsoTime(j["watermark"].get<std::string>()).value());
      } else {
        std::string error;
        if (!FillEvent(j, batch.Append(), &error)) {
          std::cerr << "bad input event " << j.dump() << ": " << error << "\n";
          return 1;
        }
        if (batch.size() >= batch_size) flush_batch();
      }
    }
    flush_batch();
  } else {
    // The pipeline has its own sources (e.g. replay): run until they end.
    for (int i = 0; i < 10'000'000 && !executor.stats().all_sources_ended; ++i) {
      if (!executor.Step()) {
        clock.Advance(built->settings.tick);
        executor.Tick();
      }
    }
  }
  executor.Finish();

  int failures = 0;
  if (test["expect"]) failures += CompareLines("output", captured["capture:output"], YamlToJson(test["expect"]));
  if (test["capture"]) {
    for (const auto& s : test["capture"]) {
      const std::string name = s.first.as<std::string>();
      failures += CompareLines("stream " + name, captured["capture:" + name], YamlToJson(s.second));
    }
  }
  if (test["counters"]) {
    for (const auto& kv : test["counters"]) {
      const std::string key = kv.first.as<std::string>();
      const size_t brace = key.find('{');
      const std::string name = key.substr(0, brace);
      const std::string labels = brace == std::string::npos ? "" : key.substr(brace + 1, key.size() - brace - 2);
      const uint64_t want = kv.second.as<uint64_t>();
      const uint64_t got = labels.empty() ? metrics.CounterTotal(name) : metrics.CounterValue(name, labels);
      if (got != want) {
        std::cerr << "FAIL counter " << key << ": expected " << want << ", got " << got << "\n";
        ++failures;
      }
    }
  }
  if (failures) {
    std::cerr << "all counters:\n";
    for (const MetricSample& m : metrics.Snapshot()) {
      if (m.value != 0) std::cerr << "  " << m.name << "{" << m.labels << "} " << m.value << "\n";
    }
  }
  return failures ? 1 : 0;
}

}  // namespace
}  // namespace edgeflow

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: golden_runner FILE.yaml\n");
    return 2;
  }
  return edgeflow::RunGolden(argv[1]);
}
