// Options shared by sinks that write events as text (stdout, file, log).
#pragma once

#include "config/config_node.h"
#include "connectors/codec/json_encoder.h"
#include "pipeline/registry.h"

namespace edgeflow {

// Reads `time_format: iso8601 | unix_ms | unix_us | unix_s`.
inline JsonEncodeOptions ReadJsonEncodeOptions(const ConfigNode& cfg) {
  JsonEncodeOptions o;
  const std::string f = cfg["time_format"].Enum("iso8601", {"iso8601", "unix_ms", "unix_us", "unix_s"});
  if (f == "unix_ms") o.time_format = JsonTimeFormat::kUnixMillis;
  if (f == "unix_us") o.time_format = JsonTimeFormat::kUnixMicros;
  if (f == "unix_s") o.time_format = JsonTimeFormat::kUnixSeconds;
  return o;
}

inline ParamDef TimeFormatParam() {
  return {"time_format", "enum", "iso8601", "iso8601 | unix_ms | unix_us | unix_s: how `time` is written.", false};
}

}  // namespace edgeflow
