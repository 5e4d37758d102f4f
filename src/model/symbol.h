// Symbol: an interned name (field names, device ids, stage ids).
//
// Interning turns a string into a 32-bit id once, so the hot path compares
// and hashes integers. The table is process-wide and only grows; Intern() is
// thread-safe (mutex), Name() is lock-free and safe from any thread for any
// symbol already returned by Intern(). Names live until the process exits, so
// only intern bounded vocabularies (field names, device ids), never
// arbitrary payload strings.
//
// Names that come from input data (JSON keys, device ids in payloads or
// topics) go through InternData, which refuses a NEW name once the table
// holds MaxNames() names: a feed whose keys never repeat (ids or times used
// as keys) then gets its records rejected as `name_limit` instead of growing
// the process's memory without bound.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace edgeflow {

class Symbol {
 public:
  constexpr Symbol() = default;  // the empty name, id 0
  static Symbol Intern(std::string_view name);
  // Like Intern for a name taken from input data: the empty symbol when
  // `name` is new and the table is at MaxNames() (counted in Refused()).
  static Symbol InternData(std::string_view name);
  // The bound InternData keeps (default 1,000,000 names; names interned by
  // Intern count too).
  static void SetMaxNames(size_t max_names);
  static size_t MaxNames();
  // How many names InternData refused so far.
  static uint64_t Refused();
  // Returns the symbol for `name` if it was interned before, else the empty symbol.
  static Symbol Find(std::string_view name);

  std::string_view name() const;
  uint32_t id() const { return id_; }
  bool empty() const { return id_ == 0; }

  friend bool operator==(Symbol a, Symbol b) { return a.id_ == b.id_; }
  friend bool operator!=(Symbol a, Symbol b) { return a.id_ != b.id_; }
  friend bool operator<(Symbol a, Symbol b) { return a.id_ < b.id_; }

  static Symbol FromId(uint32_t id) {
    Symbol s;
    s.id_ = id;
    return s;
  }
  // How many symbols exist (for metrics and limits).
  static size_t Count();

 private:
  uint32_t id_ = 0;
};

}  // namespace edgeflow

template <>
struct std::hash<edgeflow::Symbol> {
  size_t operator()(edgeflow::Symbol s) const noexcept {
    return static_cast<size_t>(s.id()) * 0x9E3779B97F4A7C15ull;
  }
};
