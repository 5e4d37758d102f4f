// FlatHashSet64: a set of 64-bit hashes in one flat array (open addressing,
// linear probing, backward-shift deletion, so no tombstones build up).
//
// Unlike std::unordered_set it allocates only when it grows (doubling at a
// load factor of 1/2), never per insert, which keeps per-event allocation off
// the hot path of stages that remember identities (dedupe). Keys are assumed
// to be well mixed (they are hashes). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgeflow {

class FlatHashSet64 {
 public:
  bool contains(uint64_t key) const {
    if (key == 0) return has_zero_;
    if (slots_.empty()) return false;
    for (size_t i = Home(key);; i = Next(i)) {
      if (slots_[i] == key) return true;
      if (slots_[i] == 0) return false;
    }
  }

  // Returns false when the key was already present.
  bool insert(uint64_t key) {
    if (key == 0) {
      const bool added = !has_zero_;
      has_zero_ = true;
      size_ += added ? 1 : 0;
      return added;
    }
    if ((stored_ + 1) * 2 > slots_.size()) Grow();
    for (size_t i = Home(key);; i = Next(i)) {
      if (slots_[i] == key) return false;
      if (slots_[i] == 0) {
        slots_[i] = key;
        ++stored_;
        ++size_;
        return true;
      }
    }
  }

  // Returns false when the key was absent.
  bool erase(uint64_t key) {
    if (key == 0) {
      const bool had = has_zero_;
      has_zero_ = false;
      size_ -= had ? 1 : 0;
      return had;
    }
    if (slots_.empty()) return false;
    size_t i = Home(key);
    while (slots_[i] != key) {
      if (slots_[i] == 0) return false;
      i = Next(i);
    }
    // Backward shift: move later members of the probe run into the hole.
    for (size_t j = Next(i);; j = Next(j)) {
      if (slots_[j] == 0) break;
      const size_t home = Home(slots_[j]);
      // Move slots_[j] to i unless its home lies cyclically in (i, j].
      const bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!stays) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = 0;
    --stored_;
    --size_;
    return true;
  }

  size_t size() const { return size_; }
  size_t capacity_bytes() const { return slots_.capacity() * sizeof(uint64_t); }

 private:
  size_t Home(uint64_t key) const { return static_cast<size_t>(key) & (slots_.size() - 1); }
  size_t Next(size_t i) const { return (i + 1) & (slots_.size() - 1); }

  void Grow() {
    std::vector<uint64_t> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, 0);
    stored_ = 0;
    for (uint64_t key : old) {
      if (key == 0) continue;
      size_t i = Home(key);
      while (slots_[i] != 0) i = Next(i);
      slots_[i] = key;
      ++stored_;
    }
  }

  std::vector<uint64_t> slots_;  // 0 = empty
  size_t stored_ = 0;            // non-zero keys in slots_
  size_t size_ = 0;              // including the zero key
  bool has_zero_ = false;
};

}  // namespace edgeflow
