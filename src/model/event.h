// Event: one reading or result flowing through a pipeline.
//
// An event has an event time (microseconds since the epoch, UTC), a device
// (source id, interned), named fields and optional string tags. Events live
// in a Batch and are reused: Clear() keeps the capacity of the field list and
// text buffer, so steady-state processing allocates nothing per event.
// Field order is insertion order; names are unique within an event.
// Not thread-safe; an event belongs to one stage at a time.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "model/symbol.h"
#include "model/value.h"

namespace edgeflow {

struct Field {
  Symbol name;
  Value value;
};

class Event {
 public:
  TimeMicros time = 0;
  Symbol device;

  void Clear() {
    time = 0;
    device = Symbol();
    fields_.clear();
    tags_.clear();
    text_.clear();
  }

  std::span<const Field> fields() const { return fields_; }
  std::span<Field> mutable_fields() { return fields_; }
  std::span<const Field> tags() const { return tags_; }

  // Returns the field's value, or nullptr when the event has no such field.
  const Value* Find(Symbol name) const {
    for (const Field& f : fields_) {
      if (f.name == name) return &f.value;
    }
    return nullptr;
  }
  Value* Find(Symbol name) {
    for (Field& f : fields_) {
      if (f.name == name) return &f.value;
    }
    return nullptr;
  }
  // The numeric value of a field, or nullopt when missing or not numeric.
  std::optional<double> Number(Symbol name) const {
    const Value* v = Find(name);
    return v ? v->AsNumber() : std::nullopt;
  }

  // Sets (replacing) or adds a field.
  void Set(Symbol name, Value value);
  void SetDouble(Symbol name, double v) { Set(name, Value::Double(v)); }
  void SetInt(Symbol name, int64_t v) { Set(name, Value::Int(v)); }
  void SetBool(Symbol name, bool v) { Set(name, Value::Bool(v)); }
  void SetString(Symbol name, std::string_view v) { Set(name, StoreText(v)); }
  // Copies a value that may belong to another event (re-homing string bytes).
  void SetFrom(Symbol name, const Value& value, const Event& owner);
  // Appends without checking for an existing field of that name (parsers use
  // this when names are known to be unique).
  void AppendUnchecked(Symbol name, Value value) { fields_.push_back({name, value}); }
  bool Remove(Symbol name);
  bool Rename(Symbol from, Symbol to);

  // Tags: string labels, such as site or line.
  void SetTag(Symbol name, std::string_view v);
  const Value* FindTag(Symbol name) const {
    for (const Field& f : tags_) {
      if (f.name == name) return &f.value;
    }
    return nullptr;
  }
  std::optional<std::string_view> Tag(Symbol name) const {
    const Value* v = FindTag(name);
    if (v == nullptr) return std::nullopt;
    return Text(*v);
  }

  // The bytes of a string value held by this event.
  std::string_view Text(const Value& v) const {
    return std::string_view(text_).substr(v.s.offset, v.s.length);
  }
  // Stores bytes in this event and returns a string value pointing at them.
  Value StoreText(std::string_view bytes) {
    const auto offset = static_cast<uint32_t>(text_.size());
    text_.append(bytes);
    return Value::StringRef(offset, static_cast<uint32_t>(bytes.size()));
  }

  // Copies `other` into this event, reusing this event's storage.
  void CopyFrom(const Event& other) {
    time = other.time;
    device = other.device;
    fields_.assign(other.fields_.begin(), other.fields_.end());
    tags_.assign(other.tags_.begin(), other.tags_.end());
    text_.assign(other.text_);
  }

 private:
  std::vector<Field> fields_;
  std::vector<Field> tags_;
  std::string text_;
};

}  // namespace edgeflow
