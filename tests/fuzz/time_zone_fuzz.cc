// Fuzzes TimeZone::FromTzif and TimeZone::FromPosixRule
// (src/common/time_zone.h) on the input bytes, then queries every zone that
// parses at a few instants (1900 to 2200, around the epoch, and some the
// input chooses): OffsetSeconds, LocalToUtc, FloorToCalendar and
// NextCalendarBoundary for every unit. Malformed zones are fine (Corruption
// or InvalidConfig); crashes, sanitizer reports and broken invariants are
// not: a period's floor is at or before the instant, and the next boundary
// after it is after the instant ("periods partition the time line").
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "common/time_zone.h"

namespace edgeflow {
namespace {

void Fail(const char* what, TimeMicros t, int unit) {
  std::fprintf(stderr, "time_zone_fuzz: invariant broken: %s (t=%lld us, unit %d)\n", what,
               static_cast<long long>(t), unit);
  std::abort();
}

void Query(const TimeZone& tz, std::string_view input) {
  (void)tz.name();
  // Instants: fixed ones across the range calendar windows use, and up to
  // four chosen by the input's last bytes (within 1900..2200).
  constexpr int64_t kMin = -2'208'988'800LL;  // 1900-01-01
  constexpr int64_t kMax = 7'258'118'400LL;   // 2200-01-01
  TimeMicros instants[10] = {
      0,
      -1,
      kMin * kMicrosPerSecond,
      kMax * kMicrosPerSecond,
      1'711'846'800LL * kMicrosPerSecond,         // 2024-03-31T01:00Z (EU spring forward)
      1'729'990'800LL * kMicrosPerSecond + 1,     // 2024-10-27T01:00:00.000001Z
  };
  int count = 6;
  for (size_t i = 0; i + 8 <= input.size() && i < 32 && count < 10; i += 8) {
    uint64_t bits;
    std::memcpy(&bits, input.data() + input.size() - 8 - i, 8);
    const int64_t seconds = kMin + static_cast<int64_t>(bits % static_cast<uint64_t>(kMax - kMin));
    instants[count++] = seconds * kMicrosPerSecond + static_cast<int64_t>(bits >> 44) % kMicrosPerSecond;
  }
  for (int i = 0; i < count; ++i) {
    const TimeMicros t = instants[i];
    const int64_t offset = tz.OffsetSeconds(t);
    (void)tz.LocalToUtc(t / kMicrosPerSecond + offset);
    for (int unit = 0; unit <= static_cast<int>(CalendarUnit::kMonth); ++unit) {
      const auto u = static_cast<CalendarUnit>(unit);
      const int week_start = 1 + i % 7;
      const TimeMicros floor = tz.FloorToCalendar(t, u, week_start);
      if (floor > t) Fail("FloorToCalendar after the instant", t, unit);
      const TimeMicros next = tz.NextCalendarBoundary(floor, u, week_start);
      if (next <= floor) Fail("NextCalendarBoundary not after the period start", t, unit);
      if (next <= t) Fail("the instant lies past its period's end", t, unit);
    }
  }
}

}  // namespace
}  // namespace edgeflow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgeflow;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  Result<TimeZone> tzif = TimeZone::FromTzif("Fuzz/Tzif", input);
  if (tzif.ok()) Query(*tzif, input);

  // POSIX rules are short: fuzzing megabytes of rule text finds nothing more.
  if (size <= 256) {
    Result<TimeZone> rule = TimeZone::FromPosixRule(input);
    if (rule.ok()) Query(*rule, input);
  }
  return 0;
}
