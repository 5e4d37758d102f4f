#include "app/status_line.h"

#include <map>

#include "config/units.h"

namespace edgeflow {

void StatusLine::MaybePrint(std::FILE* out) {
  const TimeMicros now = clock_->Monotonic();
  if (last_print_ == 0) {
    last_print_ = now;
    return;
  }
  if (now - last_print_ < kMicrosPerSecond) return;
  const ExecutorStats& s = executor_->stats();
  const double seconds = static_cast<double>(now - last_print_) / kMicrosPerSecond;
  const double rate = static_cast<double>(s.events_in - last_events_) / seconds;
  std::string lag = "-";
  if (s.max_event_time != kNoWatermark) {
    const double lag_s = static_cast<double>(clock_->Now() - s.max_event_time) / kMicrosPerSecond;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", lag_s);
    lag = buf;
  }
  std::fprintf(out, "[status] %.0f events/s  total %llu  lag %s  dropped %llu  late %llu  errors %llu\n",
               rate, static_cast<unsigned long long>(s.events_in), lag.c_str(),
               static_cast<unsigned long long>(metrics_->CounterTotal("dropped")),
               static_cast<unsigned long long>(metrics_->CounterTotal("events_late")),
               static_cast<unsigned long long>(metrics_->CounterTotal("errors")));
  std::fflush(out);
  last_print_ = now;
  last_events_ = s.events_in;
}

std::string StatusLine::StatsTable(const MetricsRegistry& metrics) {
  std::string out = "counters:\n";
  for (const MetricSample& m : metrics.Snapshot()) {
    if (m.is_counter && m.value == 0 && m.name != "events_in" && m.name != "events_out") continue;
    char value[32];
    std::snprintf(value, sizeof value, "%.0f", m.value);
    out += "  " + m.name + (m.labels.empty() ? "" : "{" + m.labels + "}") + " " + value + "\n";
  }
  return out;
}

}  // namespace edgeflow
