// TimeZone: an IANA time zone (e.g. "Europe/Berlin") read from the system's
// compiled zoneinfo files, with the UTC-offset lookups and local-calendar
// arithmetic that calendar windows need.
//
// Sources: a TZif file (RFC 8536, versions 1 to 4; the 64-bit block is used
// when present) and, for instants after its last transition, the POSIX TZ
// rule in the file's footer (e.g. "CET-1CEST,M3.5.0,M10.5.0/3"), so "slim"
// zone files and dates far in the future work. Zones with leap seconds
// ("right/...") are rejected. Nothing but the files is needed (no
// std::chrono::tzdb, no libc TZ state).
//
// Ownership and threads: a TimeZone is an immutable value sharing its parsed
// data through a shared_ptr<const>; copying is two pointer copies and any
// number of threads may use the same object's const methods concurrently.
//
// Errors: Load() returns InvalidConfig for a malformed name or a leap-second
// zone, NotFound for a zone with no file (or a directory), IoError when the
// file cannot be read and Corruption when the file or its footer rule is
// malformed. Lookups never fail.
//
// Cost: lookups up to 2100 are a binary search (~30 ns for a floor); later
// instants, and zones built from a bare rule, evaluate the rule (~0.4 us).
//
// All instants are whole-second UTC transitions; TimeMicros arguments are
// floored to the second for the lookup, results are whole seconds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace edgeflow {

// Local calendar periods for calendar-aligned windows.
enum class CalendarUnit { kHour, kDay, kWeek, kMonth };

class TimeZone {
 public:
  // UTC.
  TimeZone();

  // Loads `name` (e.g. "Europe/Berlin") from `zoneinfo_dir`. "UTC" and
  // "Etc/UTC" work even without a zoneinfo directory. Names must be relative
  // paths made of letters, digits and "/_-+", without "." or ".." segments.
  static Result<TimeZone> Load(std::string_view name,
                               std::string_view zoneinfo_dir = "/usr/share/zoneinfo");

  // Parses the bytes of a TZif file; `name` is only used for name() and
  // messages. Load() uses it; exposed for tests and fuzzing.
  static Result<TimeZone> FromTzif(std::string_view name, std::string_view tzif_bytes);

  // A zone described only by a POSIX TZ rule such as "EST5EDT,M3.2.0,M11.1.0"
  // or "<+0530>-5:30" (RFC 8536 section 3.3 syntax, including its extensions:
  // transition times from -167 to 167 hours). name() is the rule itself.
  // A DST name without a rule gets the US rule ",M3.2.0,M11.1.0" (as glibc).
  static Result<TimeZone> FromPosixRule(std::string_view rule);

  const std::string& name() const;

  // The UTC offset in seconds (local = UTC + offset) in effect at `utc`.
  int64_t OffsetSeconds(TimeMicros utc) const;

  // Converts a local wall-clock time, given as seconds since 1970-01-01T00:00
  // as if that wall clock were UTC, to a UTC instant. Every local time gets
  // exactly one answer, computed with the offset that was in effect just
  // BEFORE the nearest transition (like Python's fold=0 or java.time):
  //  - gap (spring forward, the local time does not exist): the local time is
  //    read with the old offset, so the result lies after the gap, shifted by
  //    the gap length. Berlin 2024-03-31 02:30 -> 01:30Z (= 03:30 CEST); a
  //    local time at the very start of a gap (02:00) maps to the transition
  //    instant itself (01:00Z = 03:00 CEST).
  //  - overlap (fall back, the local time occurs twice): the earlier instant.
  //    Berlin 2024-10-27 02:30 -> 00:30Z (= 02:30 CEST), not 01:30Z.
  TimeMicros LocalToUtc(int64_t local_seconds) const;

  // The UTC instant at which the local calendar period (`unit`) containing
  // `utc` starts. Weeks start on `week_start_weekday` (ISO numbering:
  // 1 = Monday ... 7 = Sunday; CHECK-fails outside 1..7).
  //
  // Periods partition the time line; their boundaries are the instants at
  // which the local period number changes (the local clock reaches the next
  // hour/day/week/month, or a UTC-offset change moves it into another one).
  // Consequences across transitions:
  //  - a period whose local start lies in a gap starts at the transition
  //    (Lord_Howe's 30-minute spring forward at 02:00 gives a 30-minute
  //    02:30-03:00 "hour"); local days are 23 h or 25 h long on DST days;
  //  - when the clock falls back within a period, the repeated local times
  //    stay in that period, so the day (week, month) is longer; except for
  //    kHour, where every instant showing a local :00 is a boundary: Berlin's
  //    2024-10-27 has two one-hour 02:00 periods (CEST, then CET). A 30-minute
  //    fall back (Lord_Howe 02:00 -> 01:30) makes one 90-minute hour. (A fall
  //    back across a period boundary, e.g. 00:30 -> 23:30 for days, which no
  //    current zone does, gives the repeated part its own short period.)
  // Hours follow local :00 in every zone, including +05:30 or +05:45.
  TimeMicros FloorToCalendar(TimeMicros utc, CalendarUnit unit,
                             int week_start_weekday = 1) const;

  // The start of the period after the one starting at `period_start_utc`
  // (a value returned by FloorToCalendar or by this function with the same
  // unit and week start). Returns the next period boundary strictly after
  // `period_start_utc` under the rules above.
  TimeMicros NextCalendarBoundary(TimeMicros period_start_utc, CalendarUnit unit,
                                  int week_start_weekday = 1) const;

  struct Data;  // parsed transitions and rule; defined in time_zone.cc

 private:
  explicit TimeZone(std::shared_ptr<const Data> data) : data_(std::move(data)) {}

  std::shared_ptr<const Data> data_;
};

}  // namespace edgeflow
