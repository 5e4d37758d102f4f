// Read planning: which Modbus read requests fetch a register map.
//
// Registers of the same table that are contiguous, or separated by at most
// `max_gap` unused addresses, are read by one request, up to the protocol's
// limits (125 registers or 2000 bits per read). Fewer requests mean fewer
// round trips on a slow serial line; `max_gap` trades reading unused
// addresses (which some devices refuse with "illegal data address") for
// fewer requests. Pure: no I/O.
#pragma once

#include <cstddef>
#include <vector>

#include "connectors/modbus/register_codec.h"

namespace edgeflow {

// One value to read: where it lives and how wide it is.
struct RegisterLocation {
  ModbusTable table = ModbusTable::kHolding;
  int address = 0;  // 0-based protocol address
  int width = 1;    // registers (or bits)
};

struct ReadRequest {
  ModbusTable table = ModbusTable::kHolding;
  int start = 0;
  int count = 0;
  std::vector<size_t> members;  // indices of the registers it reads

  bool operator==(const ReadRequest&) const = default;
};

struct ReadPlanLimits {
  int max_gap = 0;             // unused addresses allowed between two registers
  int max_registers = 125;     // per read of holding / input registers
  int max_bits = 2000;         // per read of coils / discrete inputs
};

// Requests ordered by table (holding, input, coil, discrete) then address.
// Every register is a member of exactly one request.
std::vector<ReadRequest> PlanReads(const std::vector<RegisterLocation>& registers,
                                   const ReadPlanLimits& limits);

}  // namespace edgeflow
