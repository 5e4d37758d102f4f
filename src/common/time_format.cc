#include "common/time_format.h"

#include <cmath>
#include <cstdio>

namespace edgeflow {

// Howard Hinnant's days_from_civil algorithm (public domain).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  *year = y + (m <= 2);
  *month = m;
  *day = d;
}

namespace {

bool ReadDigits(std::string_view s, size_t& pos, size_t count, int64_t* out) {
  if (pos + count > s.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += count;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

std::optional<TimeMicros> ParseIsoTime(std::string_view s) {
  size_t pos = 0;
  int64_t year, month, day, hour = 0, minute = 0, second = 0, micros = 0;
  if (!ReadDigits(s, pos, 4, &year) || !Expect(s, pos, '-') ||
      !ReadDigits(s, pos, 2, &month) || !Expect(s, pos, '-') ||
      !ReadDigits(s, pos, 2, &day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  int64_t offset_seconds = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    ++pos;
    if (!ReadDigits(s, pos, 2, &hour) || !Expect(s, pos, ':') ||
        !ReadDigits(s, pos, 2, &minute)) {
      return std::nullopt;
    }
    if (Expect(s, pos, ':') && !ReadDigits(s, pos, 2, &second)) return std::nullopt;
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    if (Expect(s, pos, '.') || Expect(s, pos, ',')) {
      int64_t scale = 100000;
      size_t digits = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (scale > 0) micros += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
        ++digits;
      }
      if (digits == 0) return std::nullopt;
    }
    if (pos < s.size()) {
      char c = s[pos];
      if (c == 'Z' || c == 'z') {
        ++pos;
      } else if (c == '+' || c == '-') {
        ++pos;
        int64_t oh, om = 0;
        if (!ReadDigits(s, pos, 2, &oh)) return std::nullopt;
        Expect(s, pos, ':');
        if (pos < s.size() && !ReadDigits(s, pos, 2, &om)) return std::nullopt;
        offset_seconds = (oh * 3600 + om * 60) * (c == '-' ? -1 : 1);
      } else {
        return std::nullopt;
      }
    }
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return seconds * kMicrosPerSecond + micros;
}

void AppendIsoTime(TimeMicros t, std::string& out) {
  int64_t seconds = t / kMicrosPerSecond;
  int64_t micros = t % kMicrosPerSecond;
  if (micros < 0) {
    micros += kMicrosPerSecond;
    seconds -= 1;
  }
  int64_t days = seconds / 86400;
  int64_t sod = seconds % 86400;
  if (sod < 0) {
    sod += 86400;
    days -= 1;
  }
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(year), month, day,
                        static_cast<long long>(sod / 3600),
                        static_cast<long long>((sod / 60) % 60),
                        static_cast<long long>(sod % 60));
  out.append(buf, static_cast<size_t>(n));
  if (micros != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, "%06lld", static_cast<long long>(micros));
    int len = 6;
    while (len > 0 && frac[len - 1] == '0') --len;
    out.push_back('.');
    out.append(frac, static_cast<size_t>(len));
  }
  out.push_back('Z');
}

std::string FormatIsoTime(TimeMicros t) {
  std::string out;
  AppendIsoTime(t, out);
  return out;
}

TimeMicros EpochToMicros(int64_t v, EpochUnit unit) {
  switch (unit) {
    case EpochUnit::kSeconds: return v * kMicrosPerSecond;
    case EpochUnit::kMillis: return v * kMicrosPerMilli;
    case EpochUnit::kMicros: return v;
    case EpochUnit::kNanos: return v / 1000;
  }
  return 0;
}

}  // namespace edgeflow
