// Writes events as JSON objects (one per line in JSON-lines outputs):
//   {"time":"2024-01-01T00:00:10Z","device":"press-0001","temperature_c":71.5,
//    "tags":{"site":"plant-1"}}
// Fields appear in the event's order; doubles use the shortest text that
// reads back to the same value; NaN and infinities become null. Appends to a
// caller-owned string so a sink can reuse one buffer (no allocation once it
// has grown). Thread-compatible.
#pragma once

#include <string>

#include "common/json_text.h"
#include "model/event.h"

namespace edgeflow {

enum class JsonTimeFormat { kIso8601, kUnixMillis, kUnixMicros, kUnixSeconds };

struct JsonEncodeOptions {
  JsonTimeFormat time_format = JsonTimeFormat::kIso8601;
  std::string time_key = "time";
  std::string device_key = "device";
};

void AppendEventJson(const Event& event, const JsonEncodeOptions& options, std::string& out);

}  // namespace edgeflow
