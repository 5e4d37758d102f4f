// ModbusClient: one libmodbus connection (TCP or RTU) used by one thread.
//
// Wraps modbus_t so the rest of the code deals in ModbusError values with a
// short reason (a counter label: "timeout", "connection_refused",
// "illegal_data_address", ...) and a flag saying whether the connection is
// lost (then the caller closes it and reconnects with backoff) or only the
// request failed (a Modbus exception, a timeout of one slave).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "connectors/modbus/modbus_url.h"
#include "connectors/modbus/register_codec.h"

typedef struct _modbus modbus_t;

namespace edgeflow {

struct ModbusError {
  int code = 0;                 // errno or libmodbus error number; 0: success
  std::string_view reason;      // counter label
  bool connection_lost = false;
  std::string message;          // for logs

  bool ok() const { return code == 0; }
};

// The counter label of a libmodbus errno.
std::string_view ModbusErrorReason(int code);
// Whether the error means the connection is unusable.
bool IsConnectionError(int code);

class ModbusClient {
 public:
  ModbusClient(ModbusEndpoint endpoint, TimeMicros timeout);
  ~ModbusClient();
  ModbusClient(const ModbusClient&) = delete;
  ModbusClient& operator=(const ModbusClient&) = delete;

  ModbusError Connect();
  void Close();
  bool connected() const { return connected_; }
  const ModbusEndpoint& endpoint() const { return endpoint_; }

  // Registers of the holding or input table.
  ModbusError ReadRegisters(int unit, ModbusTable table, int address, int count, uint16_t* dest);
  // Bits of the coil or discrete input table, one byte (0 or 1) each.
  ModbusError ReadBits(int unit, ModbusTable table, int address, int count, uint8_t* dest);
  // One register (function 6) or several (function 16).
  ModbusError WriteRegisters(int unit, int address, int count, const uint16_t* words);
  ModbusError WriteCoil(int unit, int address, bool on);

 private:
  ModbusError Fail(const char* what);
  bool SetUnit(int unit);

  const ModbusEndpoint endpoint_;
  const TimeMicros timeout_;
  modbus_t* ctx_ = nullptr;
  bool connected_ = false;
};

}  // namespace edgeflow
