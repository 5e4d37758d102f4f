#include "connectors/modbus/register_config.h"

#include <algorithm>
#include <cmath>

namespace edgeflow {

std::optional<ParsedRegister> ParseRegister(const ConfigNode& node,
                                            const std::vector<std::string>& tables,
                                            bool with_offset) {
  bool ok = true;
  ParsedRegister r;
  const ConfigNode address = node["address"];
  if (!address.defined()) {
    node.Error("missing `address`");
    ok = false;
  }
  const int64_t a = address.Int(0);
  const std::string table = node["table"].Enum(tables.front(), tables);
  r.table = ParseModbusTable(table).value_or(ModbusTable::kHolding);
  const bool bits = IsBitTable(r.table);
  const ConfigNode type_node = node["type"];
  const std::string type = type_node.Enum(bits ? "bool" : "uint16",
                                          {"int16", "uint16", "int32", "uint32", "float32", "bool"});
  r.format.type = ParseRegisterType(type).value_or(RegisterType::kUint16);
  if (bits && r.format.type != RegisterType::kBool) {
    type_node.Error("a " + table + " is one bit: the type must be bool");
    ok = false;
  }
  if (a < 0 || a + RegisterWidth(r.format.type) - 1 > 65535) {
    address.Error("must be between 0 and 65535 (0-based protocol address)",
                  "register 40001 in the 1-based convention is address 0 of the holding table");
    ok = false;
  }
  r.address = static_cast<int>(a);
  r.format.word_order =
      node["word_order"].Enum("big", {"big", "little"}) == "little" ? WordOrder::kLittle
                                                                     : WordOrder::kBig;
  r.format.byte_order =
      node["byte_order"].Enum("big", {"big", "little"}) == "little" ? ByteOrder::kLittle
                                                                     : ByteOrder::kBig;
  const ConfigNode scale = node["scale"];
  r.format.scale = scale.Double(1);
  if (!std::isfinite(r.format.scale) || r.format.scale == 0) {
    scale.Error("must be a finite number other than 0");
    ok = false;
  }
  if (with_offset) {
    const ConfigNode offset = node["offset"];
    r.format.offset = offset.Double(0);
    if (!std::isfinite(r.format.offset)) {
      offset.Error("must be finite");
      ok = false;
    }
  }
  if (bits && (node.Has("scale") || node.Has("offset") || node.Has("word_order") ||
               node.Has("byte_order"))) {
    node.Error("scale, offset, word_order and byte_order do not apply to a " + table);
    ok = false;
  }
  if (!ok) return std::nullopt;
  return r;
}

std::vector<int> ParseUnitIds(const ConfigNode& node, int fallback) {
  std::vector<int> units;
  const auto read = [&](const ConfigNode& n) {
    const int64_t v = n.Int(fallback);
    if (v < 0 || v > 255) {
      n.Error("a unit id is between 0 and 255 (1 to 247 on a serial line)");
      return;
    }
    units.push_back(static_cast<int>(v));
  };
  if (!node.defined()) return {fallback};
  if (node.is_sequence()) {
    for (size_t i = 0; i < node.size(); ++i) read(node.At(i));
    if (units.empty()) node.Error("must not be empty");
  } else {
    read(node);
  }
  return units;
}

void ParseEndpoint(const ConfigNode& url, ModbusEndpoint* endpoint) {
  if (!url.defined()) return;
  Result<ModbusEndpoint> parsed = ParseModbusUrl(url.String());
  if (parsed.ok()) {
    *endpoint = *parsed;
  } else {
    url.Error(parsed.status().message(), "tcp://127.0.0.1:502 or rtu:///dev/ttyUSB0?baud=9600&parity=N");
  }
}

void ParseTimeouts(const ConfigNode& config, TimeMicros* timeout, TimeMicros* backoff, TimeMicros* backoff_max) {
  const ConfigNode timeout_node = config["timeout"];
  *timeout = timeout_node.Duration(kMicrosPerSecond);
  if (*timeout < kMicrosPerMilli) timeout_node.Error("must be at least 1ms");
  const ConfigNode backoff_node = config["backoff"];
  *backoff = backoff_node.Duration(kMicrosPerSecond);
  if (*backoff < kMicrosPerMilli) backoff_node.Error("must be at least 1ms");
  const ConfigNode backoff_max_node = config["backoff_max"];
  *backoff_max = backoff_max_node.Duration(std::max(30 * kMicrosPerSecond, *backoff));
  if (*backoff_max < *backoff) backoff_max_node.Error("must not be less than backoff");
}

}  // namespace edgeflow
