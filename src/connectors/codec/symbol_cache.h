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
  explicit SymbolCache(size_t max_entries = 65536) : max_entries_(max_entries) { Reset(64); }

  Symbol Get(std::string_view name) {
    if (name.empty()) return Symbol();
    size_t i = Hash(name) & mask_;
    while (!slots_[i].symbol.empty()) {
      if (Equal(slots_[i].name, name)) return slots_[i].symbol;
      i = (i + 1) & mask_;
    }
    return Insert(name, i);
  }

  size_t size() const { return size_; }

  // Equality of short strings without a call to memcmp.
  static bool Equal(std::string_view a, std::string_view b) {
    const size_t n = a.size();
    if (n != b.size()) return false;
    const char* p = a.data();
    const char* q = b.data();
    if (n >= 8) {
      for (size_t k = 0; k + 8 < n; k += 8) {
        if (Load8(p + k) != Load8(q + k)) return false;
      }
      return Load8(p + n - 8) == Load8(q + n - 8);  // the last 8, overlapping
    }
    return Tail(p, n) == Tail(q, n);
  }

  // A fast hash of short strings, 8 bytes at a time.
  static uint64_t Hash(std::string_view s) {
    const char* p = s.data();
    const size_t n = s.size();
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    if (n >= 8) {
      for (size_t k = 0; k + 8 < n; k += 8) h = (h ^ Load8(p + k)) * 0xBF58476D1CE4E5B9ull;
      h = (h ^ Load8(p + n - 8)) * 0xBF58476D1CE4E5B9ull;
    } else {
      h = (h ^ Tail(p, n)) * 0xBF58476D1CE4E5B9ull;
    }
    return Mix(h);
  }

 private:
  struct Slot {
    std::string name;
    Symbol symbol;  // empty: the slot is free
  };

  // A miss: interns `name` and stores it in free slot `i` (or wherever it
  // lands after growing or starting over). Kept out of line so Get() inlines.
  // The empty symbol (not cached) when the process's name table is full.
  [[gnu::noinline]] Symbol Insert(std::string_view name, size_t i) {
    const Symbol symbol = Symbol::InternData(name);
    if (symbol.empty()) return symbol;
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

  static uint64_t Load8(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }

  // The n < 8 bytes at p as an integer, without reading past them.
  static uint64_t Tail(const char* p, size_t n) {
    if (n >= 4) {
      uint32_t lo;
      uint32_t hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      return lo | (uint64_t{hi} << 32);
    }
    if (n == 0) return 0;
    return static_cast<uint8_t>(p[0]) | (uint64_t{static_cast<uint8_t>(p[n / 2])} << 8) |
           (uint64_t{static_cast<uint8_t>(p[n - 1])} << 16);
  }

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
