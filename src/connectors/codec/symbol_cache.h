// SymbolCache: a bounded hash map from names to Symbols for the decoders'
// hot path, so that Symbol::Intern (global, mutex-protected) runs only for
// names the cache has not seen. Open addressing with linear probing; it
// grows while warming up and, once `max_entries` names are held, starts over
// empty (a stream with more distinct names than that pays an Intern per
// miss, nothing worse). Not thread-safe: one per decoder.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "model/symbol.h"

namespace edgeflow {

class SymbolCache {
 public:
  explicit SymbolCache(size_t max_entries = 65536) : max_entries_(max_entries) {
    slots_.resize(64);
    mask_ = slots_.size() - 1;
  }

  Symbol Get(std::string_view name) {
    if (name.empty()) return Symbol();
    size_t i = Hash(name) & mask_;
    while (!slots_[i].symbol.empty()) {
      if (std::string_view(slots_[i].name) == name) return slots_[i].symbol;
      i = (i + 1) & mask_;
    }
    const Symbol symbol = Symbol::Intern(name);
    if (size_ >= max_entries_) {
      Reset(slots_.size());
      i = Hash(name) & mask_;
    } else if (2 * (size_ + 1) > slots_.size()) {  // keep the load under 1/2
      Grow();
      i = Hash(name) & mask_;
      while (!slots_[i].symbol.empty()) i = (i + 1) & mask_;
    }
    slots_[i].name.assign(name);
    slots_[i].symbol = symbol;
    ++size_;
    return symbol;
  }

  size_t size() const { return size_; }

  // A fast hash of short strings, 8 bytes at a time.
  static uint64_t Hash(std::string_view s) {
    const char* p = s.data();
    size_t n = s.size();
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    while (n >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h = Mix(h ^ w);
      p += 8;
      n -= 8;
    }
    if (n > 0) {
      uint64_t w = 0;
      std::memcpy(&w, p, n);
      h = Mix(h ^ w);
    }
    return h;
  }

 private:
  struct Slot {
    std::string name;
    Symbol symbol;  // empty: the slot is free
  };

  static uint64_t Mix(uint64_t x) {
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 31;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 29);
  }

  void Reset(size_t slots) {
    slots_.assign(slots, Slot());
    mask_ = slots - 1;
    size_ = 0;
  }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    Reset(old.size() * 2);
    for (Slot& s : old) {
      if (s.symbol.empty()) continue;
      size_t i = Hash(s.name) & mask_;
      while (!slots_[i].symbol.empty()) i = (i + 1) & mask_;
      slots_[i] = std::move(s);
      ++size_;
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  size_t max_entries_;
};

}  // namespace edgeflow
