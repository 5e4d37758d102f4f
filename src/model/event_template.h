// EventTemplate: text with ${name} placeholders filled from an event:
// ${device} is the event's device, ${time} its time (ISO 8601), any other
// name the field of that name (strings as they are, numbers in their
// shortest form, booleans as true/false). Parsed once at build time; Render
// appends to a caller-owned string. Used for alert messages and MQTT topics.
#pragma once

#include <string>
#include <vector>

#include "model/event.h"

namespace edgeflow {

class EventTemplate {
 public:
  EventTemplate() = default;
  static EventTemplate Parse(const std::string& text);

  // Appends the rendered text; a placeholder for a missing field renders as
  // `missing` and makes the result false.
  bool Render(const Event& event, std::string& out, std::string_view missing = "?") const;
  // Whether the text has placeholders (a constant template renders alike for
  // every event).
  bool has_placeholders() const;
  const std::string& text() const { return text_; }

 private:
  enum class Kind : uint8_t { kLiteral, kDevice, kTime, kField };
  struct Piece {
    Kind kind = Kind::kLiteral;
    std::string literal;
    Symbol field;
  };
  std::string text_;
  std::vector<Piece> pieces_;
};

}  // namespace edgeflow
