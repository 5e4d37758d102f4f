// Batch: the unit in which events move between sources, stages and sinks.
//
// A batch owns a pool of Event objects; Clear() only resets the count, so the
// events' buffers are reused by the next fill and the hot path does not
// allocate once the pool has warmed up. Not thread-safe.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "model/event.h"

namespace edgeflow {

class Batch {
 public:
  static constexpr size_t kDefaultCapacity = 1024;

  Batch() = default;
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
  Batch(Batch&&) = default;
  Batch& operator=(Batch&&) = default;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Event& operator[](size_t i) { return events_[i]; }
  const Event& operator[](size_t i) const { return events_[i]; }
  Event* begin() { return events_.data(); }
  Event* end() { return events_.data() + size_; }
  const Event* begin() const { return events_.data(); }
  const Event* end() const { return events_.data() + size_; }
  Event& back() { return events_[size_ - 1]; }
  const Event& back() const { return events_[size_ - 1]; }

  // Returns a cleared event at the end of the batch.
  Event& Append() {
    if (size_ == events_.size()) events_.emplace_back();
    Event& e = events_[size_++];
    e.Clear();
    return e;
  }
  // Appends a copy of `event`.
  void Append(const Event& event) {
    if (size_ == events_.size()) events_.emplace_back();
    events_[size_++].CopyFrom(event);
  }
  // Moves `event`'s storage into the batch, leaving `event` with the storage
  // of a spare slot (cheap: swaps buffers).
  void AppendSwap(Event& event) {
    if (size_ == events_.size()) events_.emplace_back();
    std::swap(events_[size_++], event);
  }
  // Drops the last event (its storage stays for reuse).
  void PopBack() { --size_; }
  void Clear() { size_ = 0; }

  // Keeps the events for which keep(event) is true, in order.
  template <typename Keep>
  void Retain(Keep&& keep) {
    size_t out = 0;
    for (size_t i = 0; i < size_; ++i) {
      if (keep(events_[i])) {
        if (out != i) std::swap(events_[out], events_[i]);
        ++out;
      }
    }
    size_ = out;
  }

  // Copies all events of `other` to the end of this batch.
  void AppendAll(const Batch& other) {
    for (const Event& e : other) Append(e);
  }

 private:
  std::vector<Event> events_;
  size_t size_ = 0;
};

}  // namespace edgeflow
