#include <cstdio>
#include <vector>

#include "app/commands.h"
#include "app/components.h"
#include "common/clock.h"
#include "pipeline/dead_letter_queue.h"
#include "pipeline/pipeline.h"

namespace edgeflow {

int CheckCommand(const std::vector<std::string>& paths, bool quiet) {
  int exit_code = kExitOk;
  for (const std::string& path : paths) {
    Diagnostics diagnostics;
    auto loaded = LoadYamlFile(path, &diagnostics);
    if (loaded) {
      // Building checks every key, type, expression and field; nothing is
      // started, no file opened and no connection made (that happens in Start).
      ManualClock clock;
      MetricsRegistry metrics;
      DeadLetterQueue dead_letters(&clock, &metrics);
      BuildServices services{&BuiltinRegistry(), &clock, &metrics, &dead_letters};
      BuildPipeline(*loaded, services, &diagnostics);
    }
    if (diagnostics.has_errors()) {
      std::fprintf(stderr, "%s", diagnostics.ToString().c_str());
      std::fprintf(stderr, "%s: %zu error%s\n", path.c_str(), diagnostics.items().size(),
                   diagnostics.items().size() == 1 ? "" : "s");
      exit_code = kExitBadConfig;
    } else if (!quiet) {
      std::printf("%s: ok\n", path.c_str());
    }
  }
  return exit_code;
}

}  // namespace edgeflow
