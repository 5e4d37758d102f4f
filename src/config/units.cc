#include "config/units.h"

#include "common/text.h"

#include <charconv>
#include <cmath>
#include <string>

namespace edgeflow {
namespace {

constexpr std::string_view kDurationHint =
    "expected a number with a unit: us, ms, s, m, h, d (e.g. 250ms, 10s, 5m, 1h30m)";
constexpr std::string_view kSizeHint =
    "expected a number with a unit: B, KB, MB, GB, TB (binary, 1KB = 1024B; e.g. 64MB)";

// Reads a non-negative decimal number at the start of `s`.
bool ReadNumber(std::string_view& s, double* out) {
  size_t n = 0;
  while (n < s.size() && ((s[n] >= '0' && s[n] <= '9') || s[n] == '.')) ++n;
  if (n == 0) return false;
  std::string digits(s.substr(0, n));
  char* end = nullptr;
  *out = std::strtod(digits.c_str(), &end);
  if (end != digits.c_str() + digits.size()) return false;
  s.remove_prefix(n);
  return true;
}

}  // namespace

Result<TimeMicros> ParseDuration(std::string_view text) {
  std::string_view s = TrimSpaces(text);
  if (s.empty()) return InvalidConfig("empty duration; " + std::string(kDurationHint));
  double total = 0;
  bool negative = false;
  if (s.front() == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  while (!s.empty()) {
    double number;
    if (!ReadNumber(s, &number)) {
      return InvalidConfig("bad duration '" + std::string(text) + "'; " + std::string(kDurationHint));
    }
    size_t n = 0;
    while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n]))) ++n;
    const std::string_view unit = s.substr(0, n);
    s.remove_prefix(n);
    double scale;
    if (unit == "us") scale = 1;
    else if (unit == "ms") scale = 1e3;
    else if (unit == "s") scale = 1e6;
    else if (unit == "m" || unit == "min") scale = 60e6;
    else if (unit == "h") scale = 3600e6;
    else if (unit == "d") scale = 86400e6;
    else if (unit == "w") scale = 7 * 86400e6;
    else {
      return InvalidConfig("bad duration '" + std::string(text) + "': " +
                           (unit.empty() ? std::string("missing unit") : "unknown unit '" + std::string(unit) + "'") +
                           "; " + std::string(kDurationHint));
    }
    total += number * scale;
  }
  if (total > 9.2e18) return InvalidConfig("duration '" + std::string(text) + "' is too long");
  const auto micros = static_cast<TimeMicros>(std::llround(total));
  return negative ? -micros : micros;
}

Result<uint64_t> ParseSize(std::string_view text) {
  std::string_view s = TrimSpaces(text);
  double number;
  if (!ReadNumber(s, &number)) {
    return InvalidConfig("bad size '" + std::string(text) + "'; " + std::string(kSizeHint));
  }
  s = TrimSpaces(s);
  double scale;
  if (s == "B" || s == "b") scale = 1;
  else if (s == "KB" || s == "K" || s == "KiB" || s == "kB" || s == "kb") scale = 1024.0;
  else if (s == "MB" || s == "M" || s == "MiB" || s == "mb") scale = 1024.0 * 1024;
  else if (s == "GB" || s == "G" || s == "GiB" || s == "gb") scale = 1024.0 * 1024 * 1024;
  else if (s == "TB" || s == "T" || s == "TiB" || s == "tb") scale = 1024.0 * 1024 * 1024 * 1024;
  else {
    return InvalidConfig("bad size '" + std::string(text) + "': " +
                         (s.empty() ? std::string("missing unit") : "unknown unit '" + std::string(s) + "'") +
                         "; " + std::string(kSizeHint));
  }
  return static_cast<uint64_t>(std::llround(number * scale));
}

std::string FormatDuration(TimeMicros d) {
  struct Unit {
    TimeMicros micros;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{kMicrosPerDay, "d"}, {kMicrosPerHour, "h"},
                                    {kMicrosPerMinute, "m"}, {kMicrosPerSecond, "s"},
                                    {kMicrosPerMilli, "ms"}, {1, "us"}};
  if (d == 0) return "0s";
  for (const Unit& u : kUnits) {
    if (d % u.micros == 0) return std::to_string(d / u.micros) + u.name;
  }
  return std::to_string(d) + "us";
}

}  // namespace edgeflow
