#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "app/commands.h"
#include "app/components.h"
#include "app/status_line.h"
#include "pipeline/dead_letter_queue.h"
#include "pipeline/executor.h"
#include "pipeline/pipeline.h"

namespace edgeflow {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void HandleStopSignal(int) { g_stop.store(true); }

}  // namespace

int RunCommand(const RunOptions& options) {
  InitLogging(options.log_format, options.log_level);
  Diagnostics diagnostics;
  auto loaded = LoadYamlFile(options.pipeline_path, &diagnostics);
  SystemClock& clock = SystemClock::Instance();
  MetricsRegistry metrics;
  DeadLetterQueue dead_letters(&clock, &metrics);
  std::unique_ptr<Pipeline> pipeline;
  if (loaded) {
    BuildServices services{&BuiltinRegistry(), &clock, &metrics, &dead_letters};
    pipeline = BuildPipeline(*loaded, services, &diagnostics);
  }
  if (!pipeline) {
    std::fprintf(stderr, "%s", diagnostics.ToString().c_str());
    return kExitBadConfig;
  }

  Executor executor(pipeline.get(), &clock, &dead_letters);
  if (Status st = executor.Start(); !st.ok()) {
    spdlog::error("cannot start pipeline: {}", st.ToString());
    return kExitFailure;
  }
  spdlog::info("pipeline '{}' running: {} sources, {} stages, {} sinks", pipeline->node_name,
               pipeline->sources.size(), pipeline->stages.size(), pipeline->sinks.size());

  struct sigaction action {};
  action.sa_handler = HandleStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // A closed stdout pipe (`edgeflow run ... | head`) makes writes fail
  // instead of killing the process, so shutdown still flushes the other sinks.
  std::signal(SIGPIPE, SIG_IGN);

  const bool show_status = options.status_line && ::isatty(STDERR_FILENO) &&
                           options.log_format == LogFormat::kText;
  StatusLine status(&clock, &metrics, &executor);
  const TimeMicros deadline =
      options.duration_seconds > 0
          ? clock.Monotonic() + static_cast<TimeMicros>(options.duration_seconds * kMicrosPerSecond)
          : 0;
  const TimeMicros started = clock.Monotonic();
  executor.Run(g_stop, [&] {
    if (show_status) status.MaybePrint(stderr);
    if (deadline != 0 && clock.Monotonic() >= deadline) g_stop.store(true);
  });
  std::fflush(stdout);
  spdlog::info("pipeline stopped after {} events", executor.stats().events_in);
  if (options.print_stats) {
    std::fprintf(stderr, "%s", StatusLine::StatsTable(metrics).c_str());
    // Process figures, read by bench/run_factory_bench.
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double wall = static_cast<double>(clock.Monotonic() - started) / kMicrosPerSecond;
    const double user = static_cast<double>(usage.ru_utime.tv_sec) + usage.ru_utime.tv_usec / 1e6;
    const double sys = static_cast<double>(usage.ru_stime.tv_sec) + usage.ru_stime.tv_usec / 1e6;
    const uint64_t events = executor.stats().events_in;
    std::fprintf(stderr,
                 "process: events %llu wall_s %.3f cpu_user_s %.3f cpu_sys_s %.3f peak_rss_kb %ld "
                 "events_per_s %.0f\n",
                 static_cast<unsigned long long>(events), wall, user, sys, usage.ru_maxrss,
                 wall > 0 ? static_cast<double>(events) / wall : 0.0);
  }
  return kExitOk;
}

}  // namespace edgeflow
