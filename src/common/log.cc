#include "common/log.h"

#include "common/json_text.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <unistd.h>

namespace edgeflow {

namespace {

// %* in a pattern: the message, escaped for a JSON string.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string escaped = JsonEscape(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

}  // namespace

void InitLogging(LogFormat format, const std::string& level) {
  spdlog::drop("edgeflow");
  auto logger = spdlog::stderr_color_mt("edgeflow");
  if (format == LogFormat::kJson) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonMessageFlag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%*"})");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

std::string JsonEscape(std::string_view s) {
  std::string quoted;
  AppendJsonString(s, quoted);
  return quoted.substr(1, quoted.size() - 2);
}

bool RateLimitedLog::Admit(const Clock& clock) {
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
    return true;
  }
  ++suppressed_;
  return false;
}

void RateLimitedLog::Warn(const Clock& clock, const std::string& message) {
  if (Admit(clock)) spdlog::warn("{}", message);
}

}  // namespace edgeflow
