// TestHarness: builds one component from a YAML snippet, outside a pipeline,
// with a manual clock, its own metrics and a recording dead-letter sink.
// For unit tests of sources, stages and sinks.
//
//   TestHarness h;
//   auto stage = h.BuildStage(registry_def, "expr: x > 1");
//   ASSERT_TRUE(stage) << h.errors();
//   h.Process(*stage, batch);  // h.output() holds what it emitted on port 0
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "config/yaml_loader.h"
#include "pipeline/registry.h"

namespace edgeflow {

class RecordingDeadLetters : public DeadLetters {
 public:
  struct Rejection {
    std::string component;
    std::string reason;
    std::string raw;
    bool had_event = false;
  };
  void Reject(const std::string& component, Counter* counter, std::string_view reason,
              const Event* event, std::string_view raw) override {
    if (counter) counter->Add();
    rejections.push_back({component, std::string(reason), std::string(raw), event != nullptr});
  }
  std::vector<Rejection> rejections;
};

// Collects emitted batches per port.
class CollectingEmitter : public Emitter {
 public:
  using Emitter::Emit;
  void Emit(int port, Batch& batch) override {
    Batch& dest = ports[port];
    for (const Event& e : batch) dest.Append(e);
  }
  std::map<int, Batch> ports;
  Batch& main() { return ports[0]; }
};

class TestHarness {
 public:
  TestHarness() : clock_(1'700'000'000LL * kMicrosPerSecond) {}

  // Builds from the YAML text of the component's config (for stages, the
  // value under the type key; for sources and sinks, the whole item).
  std::unique_ptr<Stage> BuildStage(const ComponentDef& def, const std::string& yaml,
                                    Schema input = {});
  std::unique_ptr<Source> BuildSource(const ComponentDef& def, const std::string& yaml);
  std::unique_ptr<Sink> BuildSink(const ComponentDef& def, const std::string& yaml);

  // The registry factories see (stages that build actions look them up).
  void set_registry(const Registry* registry) { registry_ = registry; }

  std::string errors() const { return diagnostics_.ToString(); }
  const Diagnostics& diagnostics() const { return diagnostics_; }
  ManualClock& clock() { return clock_; }
  MetricsRegistry& metrics() { return metrics_; }
  RecordingDeadLetters& dead_letters() { return dead_letters_; }
  // Declared side-output streams, by port number.
  const std::vector<std::string>& side_outputs() const { return side_outputs_; }
  Schema last_output_schema;

  // Counter value for this harness' component ("in", "out", "dropped"...).
  uint64_t CounterTotal(const std::string& name) const { return metrics_.CounterTotal(name); }

 private:
  BuildContext MakeContext(const ComponentDef& def, const std::string& yaml, Schema input);

  ManualClock clock_;
  MetricsRegistry metrics_;
  Diagnostics diagnostics_;
  RecordingDeadLetters dead_letters_;
  std::vector<std::string> side_outputs_;
  std::vector<LoadedConfig> keep_alive_;
  const Registry* registry_ = nullptr;
};

}  // namespace edgeflow
