#include "stages/window_assigner.h"

namespace edgeflow {
namespace {
// Floor division that rounds toward negative infinity.
TimeMicros FloorDiv(TimeMicros a, TimeMicros b) {
  TimeMicros q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
}  // namespace

WindowAssigner WindowAssigner::Fixed(TimeMicros size, TimeMicros hop, TimeMicros offset) {
  WindowAssigner a;
  a.size_ = size;
  a.hop_ = hop;
  a.offset_ = offset;
  return a;
}

WindowAssigner WindowAssigner::Calendar(TimeZone zone, CalendarUnit unit, int week_start) {
  WindowAssigner a;
  a.zone_ = std::move(zone);
  a.unit_ = unit;
  a.week_start_ = week_start;
  switch (unit) {
    case CalendarUnit::kHour: a.size_ = 2 * kMicrosPerHour; break;
    case CalendarUnit::kDay: a.size_ = 26 * kMicrosPerHour; break;
    case CalendarUnit::kWeek: a.size_ = 7 * kMicrosPerDay + 2 * kMicrosPerHour; break;
    case CalendarUnit::kMonth: a.size_ = 31 * kMicrosPerDay + 2 * kMicrosPerHour; break;
  }
  return a;
}

void WindowAssigner::Assign(TimeMicros t, std::vector<WindowBounds>& out) const {
  if (zone_) {
    const TimeMicros start = zone_->FloorToCalendar(t, unit_, week_start_);
    out.push_back({start, zone_->NextCalendarBoundary(start, unit_, week_start_)});
    return;
  }
  // The last window starting at or before t, then earlier ones that still
  // contain t.
  const TimeMicros last_start = FloorDiv(t - offset_, hop_) * hop_ + offset_;
  TimeMicros first_start = last_start;
  while (first_start - hop_ + size_ > t) first_start -= hop_;
  for (TimeMicros s = first_start; s <= last_start; s += hop_) {
    if (s + size_ > t) out.push_back({s, s + size_});
  }
}

}  // namespace edgeflow
