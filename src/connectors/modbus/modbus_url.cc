#include "connectors/modbus/modbus_url.h"

#include <charconv>

#include "common/text.h"
#include "connectors/serial/serial_port.h"

namespace edgeflow {
namespace {

bool ParseInt(std::string_view text, int* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

Status ParseRtuQuery(std::string_view query, ModbusEndpoint* e) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      return InvalidConfig("expected key=value in the query, got '" + std::string(pair) + "'");
    }
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = pair.substr(eq + 1);
    const std::string v(value);
    if (key == "baud") {
      if (!ParseInt(value, &e->baud) || !BaudConstant(e->baud)) {
        return InvalidConfig("unsupported baud rate '" + v + "'");
      }
    } else if (key == "parity") {
      if (EqualsIgnoreCase(value, "N") || EqualsIgnoreCase(value, "none")) {
        e->parity = 'N';
      } else if (EqualsIgnoreCase(value, "E") || EqualsIgnoreCase(value, "even")) {
        e->parity = 'E';
      } else if (EqualsIgnoreCase(value, "O") || EqualsIgnoreCase(value, "odd")) {
        e->parity = 'O';
      } else {
        return InvalidConfig("parity must be N, E or O, got '" + v + "'");
      }
    } else if (key == "data_bits") {
      if (!ParseInt(value, &e->data_bits) || e->data_bits < 5 || e->data_bits > 8) {
        return InvalidConfig("data_bits must be 5 to 8, got '" + v + "'");
      }
    } else if (key == "stop_bits") {
      if (!ParseInt(value, &e->stop_bits) || (e->stop_bits != 1 && e->stop_bits != 2)) {
        return InvalidConfig("stop_bits must be 1 or 2, got '" + v + "'");
      }
    } else {
      return InvalidConfig("unknown query key '" + std::string(key) +
                           "' (expected baud, parity, data_bits, stop_bits)");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string ModbusEndpoint::ToString() const {
  if (kind == Kind::kTcp) {
    const bool v6 = host.find(':') != std::string::npos;
    return "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
  return "rtu://" + device + " (" + std::to_string(baud) + " " + std::to_string(data_bits) +
         parity + std::to_string(stop_bits) + ")";
}

Result<ModbusEndpoint> ParseModbusUrl(std::string_view url) {
  ModbusEndpoint e;
  if (url.starts_with("tcp://")) {
    std::string_view rest = url.substr(6);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    std::string_view port;
    if (rest.starts_with("[")) {
      const size_t close = rest.find(']');
      if (close == std::string_view::npos) return InvalidConfig("unterminated [ in the host");
      e.host = std::string(rest.substr(1, close - 1));
      const std::string_view after = rest.substr(close + 1);
      if (!after.empty()) {
        if (after.front() != ':') return InvalidConfig("expected :PORT after ]");
        port = after.substr(1);
        if (port.empty()) return InvalidConfig("empty port");
      }
    } else {
      const size_t colon = rest.rfind(':');
      e.host = std::string(rest.substr(0, colon));
      if (colon != std::string_view::npos) {
        port = rest.substr(colon + 1);
        if (port.empty()) return InvalidConfig("empty port");
      }
    }
    if (e.host.empty()) return InvalidConfig("missing host in '" + std::string(url) + "'");
    if (e.host.find_first_of("/?@ ") != std::string::npos) {
      return InvalidConfig("bad host '" + e.host + "'");
    }
    if (!port.empty() && (!ParseInt(port, &e.port) || e.port < 1 || e.port > 65535)) {
      return InvalidConfig("bad port '" + std::string(port) + "'");
    }
    return e;
  }
  if (url.starts_with("rtu://")) {
    e.kind = ModbusEndpoint::Kind::kRtu;
    std::string_view rest = url.substr(6);
    const size_t q = rest.find('?');
    e.device = std::string(rest.substr(0, q));
    if (e.device.empty() || e.device.front() != '/') {
      return InvalidConfig("rtu:// needs an absolute device path, e.g. rtu:///dev/ttyUSB0");
    }
    if (q != std::string_view::npos) EF_RETURN_IF_ERROR(ParseRtuQuery(rest.substr(q + 1), &e));
    return e;
  }
  return InvalidConfig("expected tcp://HOST:PORT or rtu:///dev/DEVICE, got '" + std::string(url) +
                       "'");
}

}  // namespace edgeflow
