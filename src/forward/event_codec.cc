#include "forward/event_codec.h"

#include <bit>

#include "forward/wire_format.h"

namespace edgeflow {
namespace {

enum FieldType : uint8_t { kNull = 0, kDouble = 1, kInt = 2, kBool = 3, kString = 4 };

}  // namespace

void EncodeEvent(const Event& event, std::string& out) {
  wire::PutVarint(out, wire::Zigzag(event.time));
  wire::PutBytes(out, event.device.name());
  wire::PutVarint(out, event.fields().size());
  for (const Field& f : event.fields()) {
    wire::PutBytes(out, f.name.name());
    switch (f.value.type) {
      case ValueType::kNull: out.push_back(static_cast<char>(kNull)); break;
      case ValueType::kDouble:
        out.push_back(static_cast<char>(kDouble));
        wire::PutFixed(out, std::bit_cast<uint64_t>(f.value.d));
        break;
      case ValueType::kInt:
        out.push_back(static_cast<char>(kInt));
        wire::PutVarint(out, wire::Zigzag(f.value.i));
        break;
      case ValueType::kBool:
        out.push_back(static_cast<char>(kBool));
        out.push_back(f.value.b ? 1 : 0);
        break;
      case ValueType::kString:
        out.push_back(static_cast<char>(kString));
        wire::PutBytes(out, event.Text(f.value));
        break;
    }
  }
  wire::PutVarint(out, event.tags().size());
  for (const Field& t : event.tags()) {
    wire::PutBytes(out, t.name.name());
    wire::PutBytes(out, event.Text(t.value));
  }
}

EventDecode DecodeEvent(std::string_view bytes, Event& out) {
  constexpr EventDecode kBad = EventDecode::kMalformed;
  out.Clear();
  wire::Reader in(bytes);
  uint64_t time = 0, count = 0;
  std::string_view text;
  if (!in.Varint(time) || !in.Bytes(text)) return kBad;
  out.time = wire::Unzigzag(time);
  out.device = Symbol::InternData(text);
  if (out.device.id() == 0 && !text.empty()) return EventDecode::kNameLimit;
  if (!in.Varint(count) || count > bytes.size()) return kBad;
  for (uint64_t k = 0; k < count; ++k) {
    std::string_view name;
    uint8_t type = 0;
    if (!in.Bytes(name) || name.empty() || !in.Fixed(type)) return kBad;
    const Symbol symbol = Symbol::InternData(name);
    if (symbol.id() == 0) return EventDecode::kNameLimit;
    if (out.Find(symbol) != nullptr) return kBad;  // names are unique within an event
    switch (type) {
      case kNull: out.AppendUnchecked(symbol, Value()); break;
      case kDouble: {
        uint64_t bits = 0;
        if (!in.Fixed(bits)) return kBad;
        out.AppendUnchecked(symbol, Value::Double(std::bit_cast<double>(bits)));
        break;
      }
      case kInt: {
        uint64_t v = 0;
        if (!in.Varint(v)) return kBad;
        out.AppendUnchecked(symbol, Value::Int(wire::Unzigzag(v)));
        break;
      }
      case kBool: {
        uint8_t b = 0;
        if (!in.Fixed(b) || b > 1) return kBad;
        out.AppendUnchecked(symbol, Value::Bool(b == 1));
        break;
      }
      case kString: {
        if (!in.Bytes(text)) return kBad;
        out.AppendUnchecked(symbol, out.StoreText(text));
        break;
      }
      default: return kBad;
    }
  }
  if (!in.Varint(count) || count > bytes.size()) return kBad;
  for (uint64_t k = 0; k < count; ++k) {
    std::string_view name;
    if (!in.Bytes(name) || name.empty() || !in.Bytes(text)) return kBad;
    const Symbol tag = Symbol::InternData(name);
    if (tag.id() == 0) return EventDecode::kNameLimit;
    out.SetTag(tag, text);
  }
  return in.done() ? EventDecode::kOk : kBad;
}

}  // namespace edgeflow
