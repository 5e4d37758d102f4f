// Where a Modbus device is: a URL.
//
//   tcp://HOST[:PORT]           Modbus TCP (port 502 by default); HOST may be
//                               a name, an IPv4 address or [IPv6]
//   rtu://DEVICE[?baud=9600&parity=N&data_bits=8&stop_bits=1]
//                               Modbus RTU on a serial line; DEVICE is an
//                               absolute path (rtu:///dev/ttyUSB0); parity is
//                               N, E or O (or none, even, odd)
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace edgeflow {

struct ModbusEndpoint {
  enum class Kind { kTcp, kRtu };
  Kind kind = Kind::kTcp;
  // TCP
  std::string host;
  int port = 502;
  // RTU
  std::string device;
  int baud = 9600;
  char parity = 'N';  // N, E, O
  int data_bits = 8;
  int stop_bits = 1;

  // For logs: "tcp://127.0.0.1:1502", "rtu:///dev/ttyUSB0 (9600 8N1)".
  std::string ToString() const;
};

Result<ModbusEndpoint> ParseModbusUrl(std::string_view url);

}  // namespace edgeflow
