// Pipeline: the built graph of one pipeline file, ready for an Executor.
//
// BuildPipeline reads the YAML (sources, stages, sinks, settings), checks it
// against the Registry and builds every component, collecting all errors in
// Diagnostics (so `edgeflow check` reports them together).
//
// Streams connect components. Each source writes to a stream (`to:`,
// default `input`); each stage reads `from:` (default: the previous stage's
// output, or `input` for the first) and writes its main output to `to:`
// (default: a stream named after its id); a sink reads `from:` (default: the
// last stage's output). A stage may only read streams produced by sources or
// by stages listed before it, so the file order is a topological order and
// cycles cannot be written. The reserved stream `dead_letter` carries
// rejected input with the reason attached.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/yaml_loader.h"
#include "pipeline/component.h"
#include "pipeline/registry.h"

namespace edgeflow {

inline constexpr const char* kDeadLetterStream = "dead_letter";
inline constexpr const char* kDefaultInputStream = "input";

struct PipelineSettings {
  size_t batch_size = 1024;           // max events per source poll
  TimeMicros tick = 100 * kMicrosPerMilli;  // processing-time tick period
  // Bound on distinct field names and device ids taken from input data
  // (Symbol::InternData); records bringing more are rejected (name_limit).
  size_t max_names = 1'000'000;
};

struct SourceNode {
  std::string id;
  std::string type;
  std::unique_ptr<Source> source;
  int stream = -1;
  TimeMicros watermark_delay = 0;
  TimeMicros idle_timeout = 5 * kMicrosPerSecond;
  ComponentCounters counters;
};

struct StageNode {
  std::string id;
  std::string type;
  std::unique_ptr<Stage> stage;
  std::vector<int> inputs;   // stream indexes
  std::vector<int> outputs;  // port -> stream index (port 0 = main)
  ComponentCounters counters;
};

struct SinkNode {
  std::string id;
  std::string type;
  std::unique_ptr<Sink> sink;
  std::vector<int> inputs;
  ComponentCounters counters;
};

struct Pipeline {
  std::string node_name;
  PipelineSettings settings;
  std::vector<std::string> streams;  // index -> name
  std::vector<SourceNode> sources;
  std::vector<StageNode> stages;     // in topological (file) order
  std::vector<SinkNode> sinks;
  int dead_letter_stream = -1;
  // Shared by the sources that notify the executor of new data.
  std::unique_ptr<Wakeup> wakeup = std::make_unique<Wakeup>();
};

struct BuildServices {
  const Registry* registry = nullptr;
  const Clock* clock = nullptr;
  MetricsRegistry* metrics = nullptr;
  DeadLetters* dead_letters = nullptr;
};

// Builds the pipeline; on any error returns nullptr with `diagnostics` filled.
std::unique_ptr<Pipeline> BuildPipeline(const LoadedConfig& config, const BuildServices& services,
                                        Diagnostics* diagnostics);

}  // namespace edgeflow
