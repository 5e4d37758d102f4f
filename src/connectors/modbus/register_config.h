// Reading the options the modbus source and sink share from a pipeline
// file: register descriptions (the source's `registers`, the sink's
// `writes`), unit ids and the device URL.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "config/config_node.h"
#include "connectors/modbus/modbus_url.h"
#include "connectors/modbus/register_codec.h"

namespace edgeflow {

// Reads `table`, `type`, `word_order`, `byte_order`, `scale` (and `offset`
// when `with_offset`) of one register entry; errors go to the node's
// diagnostics. `tables` are the tables allowed here. The type defaults to
// bool in bit tables and uint16 otherwise; bit tables take only bool.
struct ParsedRegister {
  ModbusTable table = ModbusTable::kHolding;
  int address = 0;
  RegisterFormat format;
};
std::optional<ParsedRegister> ParseRegister(const ConfigNode& node,
                                            const std::vector<std::string>& tables,
                                            bool with_offset);

// A unit id (slave address) 0..255, or a list of them.
std::vector<int> ParseUnitIds(const ConfigNode& node, int fallback);

// The `url` option (tcp://... or rtu://...) into *endpoint when it is
// defined and valid; a bad one is reported at the node with an example.
void ParseEndpoint(const ConfigNode& url, ModbusEndpoint* endpoint);

// `timeout` (per request), `backoff` and `backoff_max` (reconnect waits), all
// defaulting to 1s / 1s / max(30s, backoff) and at least 1ms.
void ParseTimeouts(const ConfigNode& config, TimeMicros* timeout, TimeMicros* backoff, TimeMicros* backoff_max);

}  // namespace edgeflow
