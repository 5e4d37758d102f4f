// Value: one field value of an event: double, int64, bool or string.
//
// A Value is 16 bytes and trivially copyable. String values do not own their
// bytes: they are an (offset, length) into the text buffer of the Event that
// holds them, so an event carries its strings without a heap allocation per
// string once its buffers have grown. Read them with Event::Text(value).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace edgeflow {

enum class ValueType : uint8_t { kNull, kDouble, kInt, kBool, kString };

std::string_view ValueTypeName(ValueType type);

struct Value {
  ValueType type = ValueType::kNull;
  union {
    double d;
    int64_t i;
    bool b;
    struct {
      uint32_t offset;
      uint32_t length;
    } s;
  };

  Value() : i(0) {}
  static Value Double(double v) {
    Value x;
    x.type = ValueType::kDouble;
    x.d = v;
    return x;
  }
  static Value Int(int64_t v) {
    Value x;
    x.type = ValueType::kInt;
    x.i = v;
    return x;
  }
  static Value Bool(bool v) {
    Value x;
    x.type = ValueType::kBool;
    x.b = v;
    return x;
  }
  // Only Event creates string values (it owns the bytes).
  static Value StringRef(uint32_t offset, uint32_t length) {
    Value x;
    x.type = ValueType::kString;
    x.s.offset = offset;
    x.s.length = length;
    return x;
  }

  bool is_null() const { return type == ValueType::kNull; }
  bool is_number() const {
    return type == ValueType::kDouble || type == ValueType::kInt || type == ValueType::kBool;
  }
  // The numeric value of a double, int or bool (true = 1); nullopt otherwise.
  std::optional<double> AsNumber() const {
    switch (type) {
      case ValueType::kDouble: return d;
      case ValueType::kInt: return static_cast<double>(i);
      case ValueType::kBool: return b ? 1.0 : 0.0;
      default: return std::nullopt;
    }
  }
};

}  // namespace edgeflow
