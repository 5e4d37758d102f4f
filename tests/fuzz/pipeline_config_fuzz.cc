// Fuzzes loading and building a pipeline file: LoadYamlText
// (src/config/yaml_loader.h), then BuildPipeline (src/pipeline/pipeline.h)
// with the built-in sources, stages and sinks, as `edgeflow check` does.
// Nothing is started (no Start(): no file opened, no thread). Invalid YAML
// and invalid pipelines are fine (they become diagnostics); crashes,
// sanitizer reports and exceptions escaping our code are not. Every build
// either returns a pipeline or reports at least one error.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/metrics.h"
#include "config/diagnostics.h"
#include "config/yaml_loader.h"
#include "pipeline/dead_letter_queue.h"
#include "pipeline/pipeline.h"
#include "pipeline/registry.h"
#include "app/components.h"
#include "fuzz_check.h"

namespace edgeflow {
namespace {

using edgeflow::fuzz::Fail;

const Registry& FuzzRegistry() { return BuiltinRegistry(); }

// A fixed environment, so runs are reproducible: ${EDGEFLOW_FUZZ_RATE} and
// ${EDGEFLOW_FUZZ_ZONE} are set, everything else is unset.
std::optional<std::string> FuzzEnv(const std::string& name) {
  if (name == "EDGEFLOW_FUZZ_RATE") return "10Hz";
  if (name == "EDGEFLOW_FUZZ_ZONE") return "Europe/Berlin";
  return std::nullopt;
}

}  // namespace
}  // namespace edgeflow

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // building may warn; keep the fuzzer's output readable
  (void)edgeflow::FuzzRegistry();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgeflow;
  const std::string text(reinterpret_cast<const char*>(data), size);

  Diagnostics diagnostics;
  std::optional<LoadedConfig> loaded = LoadYamlText(text, "fuzz.yaml", FuzzEnv, &diagnostics);
  if (!loaded) {
    if (!diagnostics.has_errors()) Fail("LoadYamlText failed without an error");
    return 0;
  }
  ManualClock clock(1'700'000'000LL * kMicrosPerSecond);
  MetricsRegistry metrics;
  DeadLetterQueue dead_letters(&clock, &metrics);
  const BuildServices services{&FuzzRegistry(), &clock, &metrics, &dead_letters};
  std::unique_ptr<Pipeline> pipeline = BuildPipeline(*loaded, services, &diagnostics);
  if (pipeline == nullptr && !diagnostics.has_errors()) Fail("BuildPipeline failed without an error");
  (void)diagnostics.ToString();
  return 0;
}
