// StatusLine: the once-per-second summary shown while a pipeline runs on a
// terminal, and the --stats table printed at exit. Reads only the metrics
// registry and executor stats.
#pragma once

#include <cstdio>
#include <string>

#include "common/metrics.h"
#include "pipeline/executor.h"

namespace edgeflow {

class StatusLine {
 public:
  StatusLine(const Clock* clock, const MetricsRegistry* metrics, const Executor* executor)
      : clock_(clock), metrics_(metrics), executor_(executor) {}

  // Prints "events/s, lag, drops" to `out` if a second has passed since the last line.
  void MaybePrint(std::FILE* out);
  // One line per component with its counters.
  static std::string StatsTable(const MetricsRegistry& metrics);

 private:
  const Clock* clock_;
  const MetricsRegistry* metrics_;
  const Executor* executor_;
  TimeMicros last_print_ = 0;
  uint64_t last_events_ = 0;
};

}  // namespace edgeflow
