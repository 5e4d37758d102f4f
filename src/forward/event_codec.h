// The compact binary encoding of one event inside an upstream record (and in
// the outbox): time, device, typed fields, tags. Self-contained per record;
// zstd removes the repeated names across a batch. The layout is specified in
// docs/design/upstream-protocol.md ("Event encoding").
#pragma once

#include <string>
#include <string_view>

#include "model/event.h"

namespace edgeflow {

// Appends the encoding of `event` to `out`.
void EncodeEvent(const Event& event, std::string& out);

enum class EventDecode {
  kOk,
  kMalformed,  // not a complete, well-formed event (truncated, unknown field type, trailing data)
  kNameLimit,  // a device, field or tag name new to this process beyond settings.max_names
};
// Decodes `bytes` into `out` (cleared first). Names from the wire are input
// data: they are interned under the process' name bound (Symbol::InternData).
EventDecode DecodeEvent(std::string_view bytes, Event& out);

}  // namespace edgeflow
