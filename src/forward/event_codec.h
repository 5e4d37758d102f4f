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

// Decodes `bytes` into `out` (cleared first). False when the bytes are not a
// complete, well-formed event (truncated, unknown field type, trailing data).
bool DecodeEvent(std::string_view bytes, Event& out);

}  // namespace edgeflow
