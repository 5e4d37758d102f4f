// Clock: the only way code reads processing time, so tests can drive it.
//
// Event time (carried by events) is separate and never read from a clock.
// SystemClock is thread-safe; ManualClock is for single-threaded tests.
#pragma once

#include <atomic>
#include <cstdint>

namespace edgeflow {

// Microseconds since the Unix epoch (UTC), the unit of every timestamp.
using TimeMicros = int64_t;

inline constexpr TimeMicros kMicrosPerMilli = 1000;
inline constexpr TimeMicros kMicrosPerSecond = 1000 * 1000;
inline constexpr TimeMicros kMicrosPerMinute = 60 * kMicrosPerSecond;
inline constexpr TimeMicros kMicrosPerHour = 60 * kMicrosPerMinute;
inline constexpr TimeMicros kMicrosPerDay = 24 * kMicrosPerHour;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, microseconds since the epoch.
  virtual TimeMicros Now() const = 0;
  // Monotonic time for measuring intervals, microseconds from an arbitrary origin.
  virtual TimeMicros Monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimeMicros Now() const override;
  TimeMicros Monotonic() const override;
  // A process-wide instance.
  static SystemClock& Instance();
};

// A clock that only moves when told to; Now() and Monotonic() move together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMicros start = 0) : now_(start) {}
  TimeMicros Now() const override { return now_.load(std::memory_order_relaxed); }
  TimeMicros Monotonic() const override { return Now(); }
  void Advance(TimeMicros delta) { now_.fetch_add(delta, std::memory_order_relaxed); }
  void Set(TimeMicros t) { now_.store(t, std::memory_order_relaxed); }

 private:
  std::atomic<TimeMicros> now_;
};

}  // namespace edgeflow
