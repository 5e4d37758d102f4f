// Logging: spdlog behind a small facade.
//
// On a terminal, logs are human-readable lines on stderr; otherwise (or with
// --log-format json) one JSON object per line. RateLimitedLog keeps repeated
// messages (e.g. one per bad payload) from flooding: it logs the first few
// per interval and then a summary count.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <mutex>
#include <string>

#include "common/clock.h"

namespace edgeflow {

enum class LogFormat { kText, kJson };

// Configures the default logger: format, level ("debug", "info", "warn", "error").
void InitLogging(LogFormat format, const std::string& level);

// Escapes `s` for use inside a JSON string.
std::string JsonEscape(std::string_view s);

class RateLimitedLog {
 public:
  explicit RateLimitedLog(int max_per_interval = 5, TimeMicros interval = 10 * kMicrosPerSecond)
      : max_per_interval_(max_per_interval), interval_(interval) {}

  // Logs a warning `message` unless the limit for this interval is reached.
  void Warn(const Clock& clock, const std::string& message);
  // True when one more message may be logged now (counts it); callers that
  // build costly messages ask first.
  bool Admit(const Clock& clock);

 private:
  std::mutex mu_;
  int max_per_interval_;
  TimeMicros interval_;
  TimeMicros window_start_ = 0;
  int logged_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace edgeflow
