#include "connectors/modbus/modbus_client.h"

#include <modbus/modbus.h>

#include <cerrno>
#include <cstring>

namespace edgeflow {

std::string_view ModbusErrorReason(int code) {
  switch (code) {
    case ETIMEDOUT: return "timeout";
    case ECONNREFUSED: return "connection_refused";
    case ECONNRESET:
    case EPIPE:
    case ENOTCONN:
    case EBADF: return "connection_lost";
    case EHOSTUNREACH:
    case ENETUNREACH: return "unreachable";
    case ENOENT: return "no_device";
    case EMBXILFUN: return "illegal_function";
    case EMBXILADD: return "illegal_data_address";
    case EMBXILVAL: return "illegal_data_value";
    case EMBXSFAIL: return "server_failure";
    case EMBXACK: return "acknowledge";
    case EMBXSBUSY: return "server_busy";
    case EMBXNACK: return "negative_acknowledge";
    case EMBXMEMPAR: return "memory_parity";
    case EMBXGPATH: return "gateway_path_unavailable";
    case EMBXGTAR: return "gateway_target_failed";
    case EMBBADCRC: return "bad_crc";
    case EMBBADDATA: return "bad_data";
    case EMBBADEXC: return "bad_exception";
    case EMBUNKEXC: return "unknown_exception";
    case EMBMDATA: return "too_many_data";
    case EMBBADSLAVE: return "bad_slave";
    default: return "io_error";
  }
}

bool IsConnectionError(int code) {
  switch (code) {
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:
    case ENOTCONN:
    case EBADF:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENOENT:
    case EIO: return true;
    default: return false;
  }
}

ModbusClient::ModbusClient(ModbusEndpoint endpoint, TimeMicros timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {}

ModbusClient::~ModbusClient() {
  Close();
  if (ctx_ != nullptr) modbus_free(ctx_);
}

ModbusError ModbusClient::Fail(const char* what) {
  ModbusError e;
  e.code = errno != 0 ? errno : EIO;
  e.reason = ModbusErrorReason(e.code);
  e.connection_lost = IsConnectionError(e.code);
  e.message = std::string(what) + ": " + modbus_strerror(e.code);
  if (e.code == ETIMEDOUT && ctx_ != nullptr) {
    // A late answer must not be taken for the answer to the next request.
    modbus_flush(ctx_);
  }
  if (e.connection_lost) Close();
  return e;
}

ModbusError ModbusClient::Connect() {
  Close();
  if (ctx_ == nullptr) {
    if (endpoint_.kind == ModbusEndpoint::Kind::kTcp) {
      const std::string port = std::to_string(endpoint_.port);
      ctx_ = modbus_new_tcp_pi(endpoint_.host.c_str(), port.c_str());
    } else {
      ctx_ = modbus_new_rtu(endpoint_.device.c_str(), endpoint_.baud, endpoint_.parity,
                            endpoint_.data_bits, endpoint_.stop_bits);
    }
    if (ctx_ == nullptr) return Fail("creating the context");
    const auto seconds = static_cast<uint32_t>(timeout_ / kMicrosPerSecond);
    const auto micros = static_cast<uint32_t>(timeout_ % kMicrosPerSecond);
    modbus_set_response_timeout(ctx_, seconds, micros);
  }
  errno = 0;
  if (modbus_connect(ctx_) != 0) return Fail("connect");
  connected_ = true;
  return {};
}

void ModbusClient::Close() {
  if (ctx_ != nullptr && connected_) modbus_close(ctx_);
  connected_ = false;
}

bool ModbusClient::SetUnit(int unit) { return modbus_set_slave(ctx_, unit) == 0; }

ModbusError ModbusClient::ReadRegisters(int unit, ModbusTable table, int address, int count,
                                        uint16_t* dest) {
  if (!connected_) return {ENOTCONN, "connection_lost", true, "not connected"};
  errno = 0;
  if (!SetUnit(unit)) return Fail("set unit id");
  const int n = table == ModbusTable::kInput ? modbus_read_input_registers(ctx_, address, count, dest)
                                             : modbus_read_registers(ctx_, address, count, dest);
  if (n != count) return Fail("read registers");
  return {};
}

ModbusError ModbusClient::ReadBits(int unit, ModbusTable table, int address, int count,
                                   uint8_t* dest) {
  if (!connected_) return {ENOTCONN, "connection_lost", true, "not connected"};
  errno = 0;
  if (!SetUnit(unit)) return Fail("set unit id");
  const int n = table == ModbusTable::kDiscrete ? modbus_read_input_bits(ctx_, address, count, dest)
                                                : modbus_read_bits(ctx_, address, count, dest);
  if (n != count) return Fail("read bits");
  return {};
}

ModbusError ModbusClient::WriteRegisters(int unit, int address, int count, const uint16_t* words) {
  if (!connected_) return {ENOTCONN, "connection_lost", true, "not connected"};
  errno = 0;
  if (!SetUnit(unit)) return Fail("set unit id");
  const int n = count == 1 ? modbus_write_register(ctx_, address, words[0])
                           : modbus_write_registers(ctx_, address, count, words);
  if (n != count) return Fail("write registers");
  return {};
}

ModbusError ModbusClient::WriteCoil(int unit, int address, bool on) {
  if (!connected_) return {ENOTCONN, "connection_lost", true, "not connected"};
  errno = 0;
  if (!SetUnit(unit)) return Fail("set unit id");
  if (modbus_write_bit(ctx_, address, on ? 1 : 0) != 1) return Fail("write coil");
  return {};
}

}  // namespace edgeflow
