#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <unistd.h>

namespace edgeflow {

void InitLogging(LogFormat format, const std::string& level) {
  auto logger = spdlog::stderr_color_mt("edgeflow");
  if (format == LogFormat::kJson) {
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

void RateLimitedLog::Warn(const Clock& clock, const std::string& message) {
  std::lock_guard lock(mu_);
  const TimeMicros now = clock.Monotonic();
  if (now - window_start_ >= interval_) {
    if (suppressed_ > 0) {
      spdlog::warn("{} similar messages suppressed in the last {}s", suppressed_,
                   interval_ / kMicrosPerSecond);
    }
    window_start_ = now;
    logged_ = 0;
    suppressed_ = 0;
  }
  if (logged_ < max_per_interval_) {
    ++logged_;
    spdlog::warn("{}", message);
  } else {
    ++suppressed_;
  }
}

}  // namespace edgeflow
