// SymbolCache: a bounded, direct-mapped cache from names to Symbols for the
// decoders' hot path, so that Symbol::Intern (global, mutex-protected) runs
// only when a name is new to the slot. Collisions evict. Memory is fixed by
// the slot count. Not thread-safe: one per decoder.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/symbol.h"

namespace edgeflow {

class SymbolCache {
 public:
  // `slots` is rounded up to a power of two.
  explicit SymbolCache(size_t slots = 1024) {
    size_t n = 1;
    while (n < slots) n <<= 1;
    slots_.resize(n);
    mask_ = n - 1;
  }

  Symbol Get(std::string_view name) {
    if (name.empty()) return Symbol();
    Slot& slot = slots_[Hash(name) & mask_];
    if (!slot.symbol.empty() && std::string_view(slot.name) == name) return slot.symbol;
    slot.symbol = Symbol::Intern(name);
    slot.name.assign(name);
    return slot.symbol;
  }

  // FNV-1a: short names, so a simple byte loop is fast enough.
  static uint64_t Hash(std::string_view s) {
    uint64_t h = 14695981039346656037ull;
    for (char c : s) {
      h ^= static_cast<uint8_t>(c);
      h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
  }

 private:
  struct Slot {
    std::string name;
    Symbol symbol;
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace edgeflow
