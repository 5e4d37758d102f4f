#include "common/time_zone.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "common/time_format.h"

namespace edgeflow {
namespace {

constexpr char kZoneinfo[] = "/usr/share/zoneinfo";

TimeMicros T(const char* iso) {
  std::optional<TimeMicros> t = ParseIsoTime(iso);
  CHECK(t.has_value()) << iso;
  return *t;
}

// A local wall-clock time as seconds since the epoch "as if UTC".
int64_t Local(const char* iso) { return T(iso) / kMicrosPerSecond; }

// Loads a system zone or skips the test when the machine has no tzdata.
#define LOAD_OR_SKIP(var, zone)                                              \
  Result<TimeZone> var##_result = TimeZone::Load(zone);                      \
  if (!var##_result.ok() && var##_result.status().code() == StatusCode::kNotFound) { \
    GTEST_SKIP() << "no tzdata for " << zone;                                \
  }                                                                          \
  ASSERT_TRUE(var##_result.ok()) << var##_result.status().ToString();        \
  const TimeZone& var = *var##_result

TimeZone Rule(const char* rule) {
  Result<TimeZone> tz = TimeZone::FromPosixRule(rule);
  CHECK(tz.ok()) << tz.status().ToString();
  return *tz;
}

int64_t PeriodMinutes(const TimeZone& tz, TimeMicros inside, CalendarUnit unit) {
  const TimeMicros start = tz.FloorToCalendar(inside, unit);
  return (tz.NextCalendarBoundary(start, unit) - start) / kMicrosPerMinute;
}

int64_t PeriodHours(const TimeZone& tz, TimeMicros inside, CalendarUnit unit, int week_start = 1) {
  const TimeMicros start = tz.FloorToCalendar(inside, unit, week_start);
  return (tz.NextCalendarBoundary(start, unit, week_start) - start) / kMicrosPerHour;
}

TEST(TimeZoneTest, UtcBuiltInAndByName) {
  TimeZone utc;
  EXPECT_EQ(utc.name(), "UTC");
  EXPECT_EQ(utc.OffsetSeconds(T("2024-03-31T01:30:00Z")), 0);
  // Works without any zoneinfo directory.
  for (const char* name : {"UTC", "Etc/UTC"}) {
    Result<TimeZone> tz = TimeZone::Load(name, "/nonexistent/zoneinfo");
    ASSERT_TRUE(tz.ok()) << tz.status().ToString();
    EXPECT_EQ(tz->name(), name);
    EXPECT_EQ(tz->OffsetSeconds(T("2300-06-01T00:00:00Z")), 0);
    EXPECT_EQ(tz->FloorToCalendar(T("2024-03-31T17:45:10.5Z"), CalendarUnit::kDay),
              T("2024-03-31T00:00:00Z"));
    EXPECT_EQ(tz->LocalToUtc(Local("2024-03-31T02:30:00Z")), T("2024-03-31T02:30:00Z"));
  }
  EXPECT_EQ(PeriodHours(utc, T("2024-02-10T00:00:00Z"), CalendarUnit::kMonth), 29 * 24);
}

TEST(TimeZoneTest, BerlinOffsetsAroundBothTransitions) {
  LOAD_OR_SKIP(tz, "Europe/Berlin");
  EXPECT_EQ(tz.name(), "Europe/Berlin");
  EXPECT_EQ(tz.OffsetSeconds(T("2024-01-15T12:00:00Z")), 3600);
  EXPECT_EQ(tz.OffsetSeconds(T("2024-03-31T00:59:59.999999Z")), 3600);
  EXPECT_EQ(tz.OffsetSeconds(T("2024-03-31T01:00:00Z")), 7200);
  EXPECT_EQ(tz.OffsetSeconds(T("2024-10-27T00:59:59Z")), 7200);
  EXPECT_EQ(tz.OffsetSeconds(T("2024-10-27T01:00:00Z")), 3600);
  // Before the first transition: local mean time (+0:53:28).
  EXPECT_EQ(tz.OffsetSeconds(T("1850-01-01T00:00:00Z")), 3208);
}

TEST(TimeZoneTest, BerlinDayLengthsAcrossDst) {
  LOAD_OR_SKIP(tz, "Europe/Berlin");
  const TimeMicros spring = tz.FloorToCalendar(T("2024-03-31T12:00:00Z"), CalendarUnit::kDay);
  EXPECT_EQ(spring, T("2024-03-30T23:00:00Z"));
  EXPECT_EQ(tz.NextCalendarBoundary(spring, CalendarUnit::kDay), T("2024-03-31T22:00:00Z"));
  EXPECT_EQ(PeriodHours(tz, T("2024-03-31T12:00:00Z"), CalendarUnit::kDay), 23);
  EXPECT_EQ(PeriodHours(tz, T("2024-10-27T12:00:00Z"), CalendarUnit::kDay), 25);
  EXPECT_EQ(PeriodHours(tz, T("2024-06-15T12:00:00Z"), CalendarUnit::kDay), 24);
  // The repeated 02:00-03:00 belongs to 2024-10-27 both times.
  EXPECT_EQ(tz.FloorToCalendar(T("2024-10-27T01:30:00Z"), CalendarUnit::kDay),
            T("2024-10-26T22:00:00Z"));
  // The first instant of a day is its own floor; the last belongs to it.
  EXPECT_EQ(tz.FloorToCalendar(T("2024-10-26T22:00:00Z"), CalendarUnit::kDay),
            T("2024-10-26T22:00:00Z"));
  EXPECT_EQ(tz.FloorToCalendar(T("2024-10-26T21:59:59.999999Z"), CalendarUnit::kDay),
            T("2024-10-25T22:00:00Z"));
}

TEST(TimeZoneTest, BerlinHoursAcrossDst) {
  LOAD_OR_SKIP(tz, "Europe/Berlin");
  auto count_hours = [&](const char* day) {
    TimeMicros start = tz.FloorToCalendar(T(day), CalendarUnit::kDay);
    const TimeMicros end = tz.NextCalendarBoundary(start, CalendarUnit::kDay);
    int hours = 0;
    for (TimeMicros h = start; h < end; h = tz.NextCalendarBoundary(h, CalendarUnit::kHour)) {
      EXPECT_EQ(tz.FloorToCalendar(h, CalendarUnit::kHour), h);
      EXPECT_EQ(tz.NextCalendarBoundary(h, CalendarUnit::kHour) - h, kMicrosPerHour);
      ++hours;
    }
    return hours;
  };
  EXPECT_EQ(count_hours("2024-03-31T12:00:00Z"), 23);
  EXPECT_EQ(count_hours("2024-10-27T12:00:00Z"), 25);
  // Two one-hour 02:00 periods on the fall-back day: CEST then CET.
  EXPECT_EQ(tz.FloorToCalendar(T("2024-10-27T00:30:00Z"), CalendarUnit::kHour),
            T("2024-10-27T00:00:00Z"));
  EXPECT_EQ(tz.FloorToCalendar(T("2024-10-27T01:30:00Z"), CalendarUnit::kHour),
            T("2024-10-27T01:00:00Z"));
  // Spring forward: 01:00 CET is followed by 03:00 CEST.
  EXPECT_EQ(tz.NextCalendarBoundary(T("2024-03-31T00:00:00Z"), CalendarUnit::kHour),
            T("2024-03-31T01:00:00Z"));
}

TEST(TimeZoneTest, WeekStart) {
  LOAD_OR_SKIP(tz, "Europe/Berlin");
  // Thursday 2024-03-28; the week (Monday start) contains the spring forward.
  const TimeMicros thursday = T("2024-03-28T12:00:00Z");
  const TimeMicros monday = tz.FloorToCalendar(thursday, CalendarUnit::kWeek);
  EXPECT_EQ(monday, T("2024-03-24T23:00:00Z"));  // Mon 2024-03-25 00:00 CET
  EXPECT_EQ(tz.NextCalendarBoundary(monday, CalendarUnit::kWeek),
            T("2024-03-31T22:00:00Z"));  // Mon 2024-04-01 00:00 CEST
  EXPECT_EQ(PeriodHours(tz, thursday, CalendarUnit::kWeek), 7 * 24 - 1);
  // Sunday weeks.
  const TimeMicros sunday = tz.FloorToCalendar(thursday, CalendarUnit::kWeek, 7);
  EXPECT_EQ(sunday, T("2024-03-23T23:00:00Z"));
  EXPECT_EQ(tz.NextCalendarBoundary(sunday, CalendarUnit::kWeek, 7), T("2024-03-30T23:00:00Z"));
  // A week start is its own floor.
  EXPECT_EQ(tz.FloorToCalendar(monday, CalendarUnit::kWeek), monday);
}

TEST(TimeZoneTest, MonthStart) {
  LOAD_OR_SKIP(tz, "Europe/Berlin");
  const TimeMicros march = tz.FloorToCalendar(T("2024-03-15T08:00:00Z"), CalendarUnit::kMonth);
  EXPECT_EQ(march, T("2024-02-29T23:00:00Z"));
  const TimeMicros april = tz.NextCalendarBoundary(march, CalendarUnit::kMonth);
  EXPECT_EQ(april, T("2024-03-31T22:00:00Z"));
  EXPECT_EQ(tz.NextCalendarBoundary(april, CalendarUnit::kMonth), T("2024-04-30T22:00:00Z"));
  EXPECT_EQ((april - march) / kMicrosPerHour, 31 * 24 - 1);
  // December rolls over into the next year.
  const TimeMicros december = tz.FloorToCalendar(T("2024-12-31T22:59:59Z"), CalendarUnit::kMonth);
  EXPECT_EQ(december, T("2024-11-30T23:00:00Z"));
  EXPECT_EQ(tz.NextCalendarBoundary(december, CalendarUnit::kMonth), T("2024-12-31T23:00:00Z"));
}

TEST(TimeZoneTest, LocalToUtcGapAndOverlap) {
  LOAD_OR_SKIP(tz, "Europe/Berlin");
  // Ordinary times.
  EXPECT_EQ(tz.LocalToUtc(Local("2024-01-10T12:00:00Z")), T("2024-01-10T11:00:00Z"));
  EXPECT_EQ(tz.LocalToUtc(Local("2024-07-10T12:00:00Z")), T("2024-07-10T10:00:00Z"));
  // Gap 02:00-03:00 on 2024-03-31: read with the offset before (+1).
  EXPECT_EQ(tz.LocalToUtc(Local("2024-03-31T01:59:59Z")), T("2024-03-31T00:59:59Z"));
  EXPECT_EQ(tz.LocalToUtc(Local("2024-03-31T02:00:00Z")), T("2024-03-31T01:00:00Z"));
  EXPECT_EQ(tz.LocalToUtc(Local("2024-03-31T02:30:00Z")), T("2024-03-31T01:30:00Z"));
  EXPECT_EQ(tz.LocalToUtc(Local("2024-03-31T03:00:00Z")), T("2024-03-31T01:00:00Z"));
  // Overlap 02:00-03:00 on 2024-10-27: the earlier (CEST) instant.
  EXPECT_EQ(tz.LocalToUtc(Local("2024-10-27T01:59:59Z")), T("2024-10-26T23:59:59Z"));
  EXPECT_EQ(tz.LocalToUtc(Local("2024-10-27T02:00:00Z")), T("2024-10-27T00:00:00Z"));
  EXPECT_EQ(tz.LocalToUtc(Local("2024-10-27T02:30:00Z")), T("2024-10-27T00:30:00Z"));
  EXPECT_EQ(tz.LocalToUtc(Local("2024-10-27T03:00:00Z")), T("2024-10-27T02:00:00Z"));
}

TEST(TimeZoneTest, NewYork) {
  LOAD_OR_SKIP(tz, "America/New_York");
  EXPECT_EQ(tz.OffsetSeconds(T("2024-03-10T06:59:59Z")), -5 * 3600);
  EXPECT_EQ(tz.OffsetSeconds(T("2024-03-10T07:00:00Z")), -4 * 3600);
  EXPECT_EQ(tz.OffsetSeconds(T("2024-11-03T05:59:59Z")), -4 * 3600);
  EXPECT_EQ(tz.OffsetSeconds(T("2024-11-03T06:00:00Z")), -5 * 3600);
  EXPECT_EQ(tz.FloorToCalendar(T("2024-03-10T12:00:00Z"), CalendarUnit::kDay),
            T("2024-03-10T05:00:00Z"));
  EXPECT_EQ(PeriodHours(tz, T("2024-03-10T12:00:00Z"), CalendarUnit::kDay), 23);
  EXPECT_EQ(PeriodHours(tz, T("2024-11-03T12:00:00Z"), CalendarUnit::kDay), 25);
  EXPECT_EQ(tz.LocalToUtc(Local("2024-03-10T02:30:00Z")), T("2024-03-10T07:30:00Z"));
  EXPECT_EQ(tz.LocalToUtc(Local("2024-11-03T01:30:00Z")), T("2024-11-03T05:30:00Z"));
  // Local midnight of 2024-12-31 is 05:00Z.
  EXPECT_EQ(tz.FloorToCalendar(T("2025-01-01T04:59:59Z"), CalendarUnit::kMonth),
            T("2024-12-01T05:00:00Z"));
}

TEST(TimeZoneTest, KolkataHoursStartAtLocalHour) {
  LOAD_OR_SKIP(tz, "Asia/Kolkata");
  EXPECT_EQ(tz.OffsetSeconds(T("2024-05-01T10:10:00Z")), 5 * 3600 + 1800);
  // 15:40 IST -> 15:00 IST = 09:30Z; the next hour starts 16:00 IST.
  const TimeMicros hour = tz.FloorToCalendar(T("2024-05-01T10:10:00Z"), CalendarUnit::kHour);
  EXPECT_EQ(hour, T("2024-05-01T09:30:00Z"));
  EXPECT_EQ(tz.NextCalendarBoundary(hour, CalendarUnit::kHour), T("2024-05-01T10:30:00Z"));
  EXPECT_EQ(tz.FloorToCalendar(T("2024-05-01T10:10:00Z"), CalendarUnit::kDay),
            T("2024-04-30T18:30:00Z"));
}

TEST(TimeZoneTest, LordHoweHalfHourDst) {
  LOAD_OR_SKIP(tz, "Australia/Lord_Howe");
  // Spring forward 2024-10-06 02:00 (+10:30) -> 02:30 (+11) at 15:30Z.
  EXPECT_EQ(tz.OffsetSeconds(T("2024-10-05T15:29:59Z")), 37800);
  EXPECT_EQ(tz.OffsetSeconds(T("2024-10-05T15:30:00Z")), 39600);
  const TimeMicros short_hour = tz.FloorToCalendar(T("2024-10-05T15:45:00Z"), CalendarUnit::kHour);
  EXPECT_EQ(short_hour, T("2024-10-05T15:30:00Z"));  // local 02:30, the "02" hour
  EXPECT_EQ(tz.NextCalendarBoundary(short_hour, CalendarUnit::kHour), T("2024-10-05T16:00:00Z"));
  EXPECT_EQ((T("2024-10-05T15:30:00Z") -
             tz.FloorToCalendar(T("2024-10-05T15:29:59Z"), CalendarUnit::kHour)) /
                kMicrosPerMinute,
            60);
  EXPECT_EQ(PeriodMinutes(tz, T("2024-10-06T02:00:00Z"), CalendarUnit::kDay), 23 * 60 + 30);
  EXPECT_EQ(PeriodMinutes(tz, T("2024-04-07T02:00:00Z"), CalendarUnit::kDay), 24 * 60 + 30);
  // Fall back 2024-04-07 02:00 (+11) -> 01:30 (+10:30) at 15:00Z: one 90-minute hour.
  const TimeMicros long_hour = tz.FloorToCalendar(T("2024-04-06T15:10:00Z"), CalendarUnit::kHour);
  EXPECT_EQ(long_hour, T("2024-04-06T14:00:00Z"));  // local 01:00 (+11)
  EXPECT_EQ(tz.NextCalendarBoundary(long_hour, CalendarUnit::kHour), T("2024-04-06T15:30:00Z"));
  // Gap 02:00-02:30 and overlap 01:30-02:00.
  EXPECT_EQ(tz.LocalToUtc(Local("2024-10-06T02:15:00Z")), T("2024-10-05T15:45:00Z"));
  EXPECT_EQ(tz.LocalToUtc(Local("2024-04-07T01:45:00Z")), T("2024-04-06T14:45:00Z"));
}

TEST(TimeZoneTest, FarFutureUsesFooterRule) {
  LOAD_OR_SKIP(tz, "Europe/Berlin");
  // 2300: last Sunday of March is the 25th, of October the 28th.
  EXPECT_EQ(tz.OffsetSeconds(T("2300-01-15T12:00:00Z")), 3600);
  EXPECT_EQ(tz.OffsetSeconds(T("2300-03-25T00:59:59Z")), 3600);
  EXPECT_EQ(tz.OffsetSeconds(T("2300-03-25T01:00:00Z")), 7200);
  EXPECT_EQ(tz.OffsetSeconds(T("2300-10-28T00:59:59Z")), 7200);
  EXPECT_EQ(tz.OffsetSeconds(T("2300-10-28T01:00:00Z")), 3600);
  EXPECT_EQ(PeriodHours(tz, T("2300-03-25T12:00:00Z"), CalendarUnit::kDay), 23);
  EXPECT_EQ(PeriodHours(tz, T("2300-10-28T12:00:00Z"), CalendarUnit::kDay), 25);
  EXPECT_EQ(tz.LocalToUtc(Local("2300-03-25T02:30:00Z")), T("2300-03-25T01:30:00Z"));
  EXPECT_EQ(tz.LocalToUtc(Local("2300-10-28T02:30:00Z")), T("2300-10-28T00:30:00Z"));

  LOAD_OR_SKIP(ny, "America/New_York");
  // 2300: second Sunday of March is the 11th, first Sunday of November the 4th.
  EXPECT_EQ(ny.OffsetSeconds(T("2300-03-11T06:59:59Z")), -5 * 3600);
  EXPECT_EQ(ny.OffsetSeconds(T("2300-03-11T07:00:00Z")), -4 * 3600);
  EXPECT_EQ(ny.OffsetSeconds(T("2300-11-04T05:59:59Z")), -4 * 3600);
  EXPECT_EQ(ny.OffsetSeconds(T("2300-11-04T06:00:00Z")), -5 * 3600);
}

TEST(TimeZoneTest, PosixRuleForms) {
  // Mm.w.d with a transition time, northern hemisphere.
  TimeZone cet = Rule("CET-1CEST,M3.5.0,M10.5.0/3");
  EXPECT_EQ(cet.name(), "CET-1CEST,M3.5.0,M10.5.0/3");
  EXPECT_EQ(cet.OffsetSeconds(T("2024-03-31T00:59:59Z")), 3600);
  EXPECT_EQ(cet.OffsetSeconds(T("2024-03-31T01:00:00Z")), 7200);
  EXPECT_EQ(cet.OffsetSeconds(T("2024-10-27T01:00:00Z")), 3600);
  EXPECT_EQ(cet.OffsetSeconds(T("1900-07-01T00:00:00Z")), 7200);  // rules apply to all years

  // Default 02:00 times, west of UTC.
  TimeZone est = Rule("EST5EDT,M3.2.0,M11.1.0");
  EXPECT_EQ(est.OffsetSeconds(T("2024-03-10T06:59:59Z")), -18000);
  EXPECT_EQ(est.OffsetSeconds(T("2024-03-10T07:00:00Z")), -14400);
  EXPECT_EQ(est.OffsetSeconds(T("2024-11-03T06:00:00Z")), -18000);

  // Quoted names, minutes, southern hemisphere, 30-minute DST (Lord Howe).
  TimeZone lhst = Rule("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
  EXPECT_EQ(lhst.OffsetSeconds(T("2024-01-15T00:00:00Z")), 39600);
  EXPECT_EQ(lhst.OffsetSeconds(T("2024-04-06T14:59:59Z")), 39600);
  EXPECT_EQ(lhst.OffsetSeconds(T("2024-04-06T15:00:00Z")), 37800);
  EXPECT_EQ(lhst.OffsetSeconds(T("2024-10-05T15:30:00Z")), 39600);
  EXPECT_EQ(lhst.OffsetSeconds(T("2024-12-31T23:59:59Z")), 39600);

  // Jn never counts Feb 29: J60 is March 1 even in leap years.
  TimeZone julian = Rule("AAA3BBB,J60/0,J300/0");
  EXPECT_EQ(julian.OffsetSeconds(T("2024-03-01T02:59:59Z")), -3 * 3600);
  EXPECT_EQ(julian.OffsetSeconds(T("2024-03-01T03:00:00Z")), -2 * 3600);
  // n counts from 0 and includes Feb 29: day 59 is Feb 29 in 2024, Mar 1 in 2023.
  TimeZone zero_based = Rule("AAA3BBB,59/0,300/0");
  EXPECT_EQ(zero_based.OffsetSeconds(T("2024-02-29T03:00:00Z")), -2 * 3600);
  EXPECT_EQ(zero_based.OffsetSeconds(T("2023-02-28T23:00:00Z")), -3 * 3600);
  EXPECT_EQ(zero_based.OffsetSeconds(T("2023-03-01T03:00:00Z")), -2 * 3600);

  // Over-24 h transition time (Israel: Thursday 26:00 = Friday 02:00).
  TimeZone israel = Rule("IST-2IDT,M3.4.4/26,M10.5.0");
  EXPECT_EQ(israel.OffsetSeconds(T("2024-03-28T23:59:59Z")), 7200);
  EXPECT_EQ(israel.OffsetSeconds(T("2024-03-29T00:00:00Z")), 10800);
  EXPECT_EQ(israel.OffsetSeconds(T("2024-10-26T22:59:59Z")), 10800);
  EXPECT_EQ(israel.OffsetSeconds(T("2024-10-26T23:00:00Z")), 7200);

  // Negative transition time (Nuuk: Saturday 23:00 before the last Sunday).
  TimeZone nuuk = Rule("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  EXPECT_EQ(nuuk.OffsetSeconds(T("2024-03-31T00:59:59Z")), -7200);
  EXPECT_EQ(nuuk.OffsetSeconds(T("2024-03-31T01:00:00Z")), -3600);
  EXPECT_EQ(nuuk.OffsetSeconds(T("2024-10-27T00:59:59Z")), -3600);
  EXPECT_EQ(nuuk.OffsetSeconds(T("2024-10-27T01:00:00Z")), -7200);

  // DST all year (RFC 8536 example).
  TimeZone always = Rule("EST5EDT4,0/0,J365/25");
  for (const char* t : {"2023-12-31T23:59:59Z", "2024-01-01T05:00:00Z", "2024-06-01T00:00:00Z",
                        "2024-12-31T12:00:00Z", "2025-01-01T04:30:00Z"}) {
    EXPECT_EQ(always.OffsetSeconds(T(t)), -4 * 3600) << t;
  }
  EXPECT_EQ(PeriodHours(always, T("2024-12-31T12:00:00Z"), CalendarUnit::kDay), 24);

  // No DST, fixed offset.
  TimeZone fixed = Rule("<+0545>-5:45");
  EXPECT_EQ(fixed.OffsetSeconds(T("2024-05-01T00:00:00Z")), 5 * 3600 + 45 * 60);
  EXPECT_EQ(fixed.FloorToCalendar(T("2024-05-01T00:00:00Z"), CalendarUnit::kHour),
            T("2024-04-30T23:15:00Z"));
}

TEST(TimeZoneTest, BadPosixRulesAreRejected) {
  for (const char* bad : {"", "CET", "AB-1", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0",
                          "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0",
                          "CET-1CEST,J0,J100", "CET-1CEST,M3.5.0/168,M10.5.0", "CET-25",
                          "CET-1 ", "<+01-1", "CET-1CEST,M3.5.0,M10.5.0/3x"}) {
    Result<TimeZone> tz = TimeZone::FromPosixRule(bad);
    EXPECT_FALSE(tz.ok()) << "'" << bad << "'";
    if (!tz.ok()) {
      EXPECT_EQ(tz.status().code(), StatusCode::kCorruption) << bad;
    }
  }
}

TEST(TimeZoneTest, LoadErrors) {
  Result<TimeZone> missing = TimeZone::Load("Nowhere/Atlantis");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("Nowhere/Atlantis"), std::string::npos);

  for (const char* bad : {"../etc/passwd", "Europe/../../etc/passwd", "/etc/passwd", "Europe/",
                          "./UTC", "Europe//Berlin", "Europe/Berlin\n", "zone.tab", ""}) {
    Result<TimeZone> tz = TimeZone::Load(bad);
    ASSERT_FALSE(tz.ok()) << bad;
    EXPECT_EQ(tz.status().code(), StatusCode::kInvalidConfig) << bad;
  }

  // A directory is not a zone.
  Result<TimeZone> directory = TimeZone::Load("Europe", kZoneinfo);
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().code(), StatusCode::kNotFound);
}

// Builds a TZif v2 file: an empty v1 block, then a 64-bit block.
std::string BuildTzif(const std::vector<int64_t>& times, const std::vector<uint8_t>& types,
                      const std::vector<int32_t>& offsets, const std::string& footer) {
  auto be = [](std::string& out, uint64_t v, int size) {
    for (int i = size - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto header = [&](std::string& out, uint32_t timecnt, uint32_t typecnt, uint32_t charcnt) {
    out += "TZif2";
    out.append(15, '\0');
    for (uint32_t count : {0u, 0u, 0u, timecnt, typecnt, charcnt}) be(out, count, 4);
  };
  std::string out;
  header(out, 0, 1, 1);
  be(out, 0, 4);  // v1 block: one UTC type and an empty abbreviation
  out.push_back(0);
  out.push_back(0);
  out.push_back('\0');
  header(out, static_cast<uint32_t>(times.size()), static_cast<uint32_t>(offsets.size()), 4);
  for (int64_t t : times) be(out, static_cast<uint64_t>(t), 8);
  for (uint8_t type : types) out.push_back(static_cast<char>(type));
  for (int32_t offset : offsets) {
    be(out, static_cast<uint32_t>(offset), 4);
    out.push_back(0);
    out.push_back(0);
  }
  out += std::string("ABC", 4);  // "ABC\0"
  out += "\n" + footer + "\n";
  return out;
}

TEST(TimeZoneTest, SlimTzifFallsBackToFooterRule) {
  // One transition in 1980 (from +2 to +1), then the rule.
  const std::string bytes =
      BuildTzif({T("1980-01-01T00:00:00Z") / kMicrosPerSecond}, {1}, {7200, 3600},
                "CET-1CEST,M3.5.0,M10.5.0/3");
  Result<TimeZone> tz = TimeZone::FromTzif("Test/Slim", bytes);
  ASSERT_TRUE(tz.ok()) << tz.status().ToString();
  EXPECT_EQ(tz->name(), "Test/Slim");
  EXPECT_EQ(tz->OffsetSeconds(T("1979-06-01T00:00:00Z")), 7200);  // type 0 before
  EXPECT_EQ(tz->OffsetSeconds(T("1980-01-02T00:00:00Z")), 3600);
  EXPECT_EQ(tz->OffsetSeconds(T("2024-03-31T01:00:00Z")), 7200);
  EXPECT_EQ(tz->OffsetSeconds(T("2024-10-27T01:00:00Z")), 3600);
  EXPECT_EQ(PeriodHours(*tz, T("2024-03-31T12:00:00Z"), CalendarUnit::kDay), 23);
  // At the file's last transition the clock goes from 02:00 back to 01:00
  // local on 1980-01-01, so that day is 25 h long.
  EXPECT_EQ(PeriodHours(*tz, T("1980-01-01T12:00:00Z"), CalendarUnit::kDay), 25);

  // No transitions at all: the footer rule applies everywhere.
  Result<TimeZone> rule_only = TimeZone::FromTzif("Test/RuleOnly",
                                                  BuildTzif({}, {}, {3600}, "CET-1CEST,M3.5.0,M10.5.0/3"));
  ASSERT_TRUE(rule_only.ok()) << rule_only.status().ToString();
  EXPECT_EQ(rule_only->OffsetSeconds(T("2024-07-01T00:00:00Z")), 7200);

  // Without a footer rule the last type applies forever.
  Result<TimeZone> no_rule = TimeZone::FromTzif("Test/NoRule", BuildTzif({0}, {1}, {0, 19800}, ""));
  ASSERT_TRUE(no_rule.ok()) << no_rule.status().ToString();
  EXPECT_EQ(no_rule->OffsetSeconds(T("2300-01-01T00:00:00Z")), 19800);
}

TEST(TimeZoneTest, MalformedTzifIsCorruption) {
  const std::string good = BuildTzif({100}, {1}, {0, 3600}, "CET-1");
  ASSERT_TRUE(TimeZone::FromTzif("ok", good).ok());
  std::vector<std::string> bad = {
      "",
      "TZif",
      "NotTZif" + std::string(60, '\0'),
      good.substr(0, good.size() - 3),              // truncated footer
      good.substr(0, 80),                           // truncated data
      BuildTzif({100}, {2}, {0, 3600}, "CET-1"),    // type index out of range
      BuildTzif({200, 100}, {1, 0}, {0, 3600}, ""),  // transitions out of order
      BuildTzif({100}, {1}, {0, 3600}, "CET-1CEST,M3"),
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    Result<TimeZone> tz = TimeZone::FromTzif("bad", bad[i]);
    ASSERT_FALSE(tz.ok()) << i;
    EXPECT_EQ(tz.status().code(), StatusCode::kCorruption) << i << " " << tz.status().ToString();
  }
}

// Every instant's floor is a boundary reachable by Next from the previous
// floor, for each unit, across a whole year of a DST zone.
TEST(TimeZoneTest, FloorAndNextAgreeOverAYear) {
  for (const char* zone : {"Europe/Berlin", "Australia/Lord_Howe", "America/Sao_Paulo",
                           "Asia/Kathmandu", "America/St_Johns", "Pacific/Apia"}) {
    Result<TimeZone> tz = TimeZone::Load(zone);
    if (!tz.ok()) continue;
    for (CalendarUnit unit :
         {CalendarUnit::kHour, CalendarUnit::kDay, CalendarUnit::kWeek, CalendarUnit::kMonth}) {
      const TimeMicros from = T("2011-01-01T00:00:00Z");
      const TimeMicros to = T("2012-06-01T00:00:00Z");
      TimeMicros start = tz->FloorToCalendar(from, unit, 3);
      while (start < to) {
        const TimeMicros next = tz->NextCalendarBoundary(start, unit, 3);
        ASSERT_GT(next, start) << zone;
        // Floor of the first and last second of the period is its start.
        ASSERT_EQ(tz->FloorToCalendar(start, unit, 3), start) << zone << " " << FormatIsoTime(start);
        ASSERT_EQ(tz->FloorToCalendar(next - kMicrosPerSecond, unit, 3), start)
            << zone << " " << FormatIsoTime(start);
        start = next;
      }
    }
  }
}

TEST(TimeZoneTest, CopiesShareDataAcrossThreads) {
  LOAD_OR_SKIP(tz, "Europe/Berlin");
  std::vector<std::thread> threads;
  std::vector<int64_t> sums(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([copy = tz, &sum = sums[i]] {
      for (int day = 0; day < 2000; ++day) {
        sum += copy.OffsetSeconds(T("2020-01-01T00:00:00Z") + day * kMicrosPerDay);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int64_t sum : sums) EXPECT_EQ(sum, sums[0]);
}

}  // namespace
}  // namespace edgeflow
