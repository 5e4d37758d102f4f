// EncodedEventQueue: the bounded hand-over of encoded events (one JSON
// object each) from the executor thread to a sink's sender thread.
//
// Holds at most `capacity` events in a ring of strings that keep their
// capacity, so nothing is allocated per event once warmed up. When full,
// `policy` decides:
//   kBlock       Push waits for room (the pipeline slows to the peer's pace)
//   kDropOldest  the oldest waiting event is dropped (the newest data wins)
//   kDropNewest  the event being pushed is dropped
// and the caller counts what was dropped. Thread-safe: one producer and one
// consumer (any number of each works, but ordering is then per thread).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace edgeflow {

enum class OverflowPolicy { kBlock, kDropOldest, kDropNewest };

class EncodedEventQueue {
 public:
  EncodedEventQueue(size_t capacity, OverflowPolicy policy);

  struct PushResult {
    size_t queued = 0;   // events added
    size_t dropped = 0;  // events dropped to respect the bound (old or new)
    size_t refused = 0;  // events not added because the queue is closed
  };
  // Producer: adds `events` in order, applying the overflow policy to each.
  PushResult Push(const std::vector<std::string>& events);

  // Consumer: waits up to `timeout` for an event, then moves up to `max`
  // events into `out` (swapping strings, so their buffers are reused) and
  // marks them in flight until Done(). Returns how many; 0 on timeout or
  // when closed and empty.
  size_t Pop(size_t max, std::vector<std::string>& out, TimeMicros timeout);
  // Consumer: the events of the last Pop are handled (sent or given up).
  void Done();

  // Waits up to `timeout` until nothing is queued or in flight.
  bool WaitIdle(TimeMicros timeout);

  // No more pushes; wakes every waiter. Queued events can still be popped.
  void Close();
  bool closed() const;

  // Events queued (not counting those in flight).
  size_t size() const;
  // Removes every queued event; returns how many there were.
  size_t Clear();

 private:
  const size_t capacity_;
  const OverflowPolicy policy_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::condition_variable idle_;
  std::vector<std::string> ring_;
  size_t head_ = 0;   // index of the oldest event
  size_t count_ = 0;  // events queued
  bool in_flight_ = false;
  bool closed_ = false;
};

}  // namespace edgeflow
