// DeviceSlots: maps device symbols to dense, bounded state slots.
//
// Per-device stages (deadband, smooth, resample) keep their state in a vector
// indexed by slot. Lookup is an array index by Symbol id (no hashing); slots
// are handed out in first-seen order, which stages also use to order output
// deterministically. At most `max_slots` devices get a slot; Find() returns
// -1 for further devices and the caller drops and counts their events.
// Not thread-safe (stages are single-threaded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/symbol.h"

namespace edgeflow {

class DeviceSlots {
 public:
  explicit DeviceSlots(size_t max_slots) : max_slots_(max_slots) {}

  // The slot of `device`, assigning the next one when it is new and
  // `*created` is set true; -1 when the bound is reached.
  int64_t Find(Symbol device, bool* created) {
    *created = false;
    const uint32_t id = device.id();
    if (id < slot_by_id_.size() && slot_by_id_[id] >= 0) return slot_by_id_[id];
    if (size_ >= max_slots_) return -1;
    // Symbol ids are dense and process-wide; grow in steps to amortise.
    if (id >= slot_by_id_.size()) slot_by_id_.resize(static_cast<size_t>(id) + 1024, -1);
    slot_by_id_[id] = static_cast<int32_t>(size_);
    *created = true;
    return static_cast<int64_t>(size_++);
  }

  size_t size() const { return size_; }

 private:
  size_t max_slots_;
  size_t size_ = 0;
  std::vector<int32_t> slot_by_id_;
};

}  // namespace edgeflow
