// Reading register descriptions (shared by the modbus source's `registers`
// and the modbus sink's `writes`) from a pipeline file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config_node.h"
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

}  // namespace edgeflow
