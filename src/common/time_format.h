// Conversions between TimeMicros and text: RFC 3339 / ISO 8601 timestamps
// and the units of numeric epoch values (s, ms, us, ns). Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace edgeflow {

// Civil date <-> days since 1970-01-01 (proleptic Gregorian).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

// Parses "2024-03-01T12:00:00Z", "2024-03-01T12:00:00.123456+01:00",
// "2024-03-01 12:00:00" (UTC assumed) or "2024-03-01" (midnight UTC).
std::optional<TimeMicros> ParseIsoTime(std::string_view text);

// Formats as "2024-03-01T12:00:00Z", with a fraction only when non-zero
// (".5", ".123456": the shortest exact one).
std::string FormatIsoTime(TimeMicros t);
// Appends the same text to `out` without allocating when it has capacity.
void AppendIsoTime(TimeMicros t, std::string& out);

enum class EpochUnit { kSeconds, kMillis, kMicros, kNanos };
// The caller checks that value * unit fits (see decode_options.cc).
TimeMicros EpochToMicros(int64_t value, EpochUnit unit);

}  // namespace edgeflow
