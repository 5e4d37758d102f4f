// WindowAssigner: which time windows an event time belongs to.
//
// Fixed windows (tumbling: hop == size; hopping: hop < size, overlapping;
// hop > size leaves gaps) are aligned to the epoch plus `offset`. Calendar
// windows follow the local hours, days, weeks or months of an IANA time zone,
// so a day in Europe/Berlin is 23 h or 25 h long on DST days. Immutable.
#pragma once

#include <optional>
#include <vector>

#include "common/clock.h"
#include "common/time_zone.h"

namespace edgeflow {

struct WindowBounds {
  TimeMicros start;
  TimeMicros end;  // exclusive
};

class WindowAssigner {
 public:
  static WindowAssigner Fixed(TimeMicros size, TimeMicros hop, TimeMicros offset);
  static WindowAssigner Calendar(TimeZone zone, CalendarUnit unit, int week_start);

  // Appends the windows containing `t` to `out`, in increasing start order.
  void Assign(TimeMicros t, std::vector<WindowBounds>& out) const;
  // Longest window span (for bounding state).
  TimeMicros max_size() const { return size_; }

 private:
  WindowAssigner() = default;
  TimeMicros size_ = 0;
  TimeMicros hop_ = 0;
  TimeMicros offset_ = 0;
  std::optional<TimeZone> zone_;
  CalendarUnit unit_ = CalendarUnit::kDay;
  int week_start_ = 1;
};

}  // namespace edgeflow
