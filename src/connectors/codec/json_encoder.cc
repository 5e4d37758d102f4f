#include "connectors/codec/json_encoder.h"

#include <charconv>
#include <cmath>

#include "common/time_format.h"

namespace edgeflow {

namespace {
void AppendInt(int64_t v, std::string& out) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ptr);
}

void AppendValue(const Event& e, const Value& v, std::string& out) {
  switch (v.type) {
    case ValueType::kNull: out += "null"; break;
    case ValueType::kDouble: AppendJsonNumber(v.d, out); break;
    case ValueType::kInt: AppendInt(v.i, out); break;
    case ValueType::kBool: out += v.b ? "true" : "false"; break;
    case ValueType::kString: AppendJsonString(e.Text(v), out); break;
  }
}
}  // namespace

void AppendEventJson(const Event& e, const JsonEncodeOptions& options, std::string& out) {
  out.push_back('{');
  AppendJsonString(options.time_key, out);
  out.push_back(':');
  switch (options.time_format) {
    case JsonTimeFormat::kIso8601:
      out.push_back('"');
      AppendIsoTime(e.time, out);
      out.push_back('"');
      break;
    case JsonTimeFormat::kUnixMillis: AppendInt(e.time / kMicrosPerMilli, out); break;
    case JsonTimeFormat::kUnixMicros: AppendInt(e.time, out); break;
    case JsonTimeFormat::kUnixSeconds:
      AppendJsonNumber(static_cast<double>(e.time) / kMicrosPerSecond, out);
      break;
  }
  out.push_back(',');
  AppendJsonString(options.device_key, out);
  out.push_back(':');
  AppendJsonString(e.device.name(), out);
  for (const Field& f : e.fields()) {
    out.push_back(',');
    AppendJsonString(f.name.name(), out);
    out.push_back(':');
    AppendValue(e, f.value, out);
  }
  if (!e.tags().empty()) {
    out += ",\"tags\":{";
    bool first = true;
    for (const Field& t : e.tags()) {
      if (!first) out.push_back(',');
      first = false;
      AppendJsonString(t.name.name(), out);
      out.push_back(':');
      AppendValue(e, t.value, out);
    }
    out.push_back('}');
  }
  out.push_back('}');
}

}  // namespace edgeflow
