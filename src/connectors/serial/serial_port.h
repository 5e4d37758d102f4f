// SerialPort: opening and configuring a serial device with termios.
//
// The port is opened non-blocking in raw mode (no echo, no line editing, no
// character translation) with VMIN=1, VTIME=0, so read() returns -1/EAGAIN
// when no data is waiting and 0 or -1/EIO only when the device hung up
// (a USB adapter unplugged, a pseudo-terminal's other side closed).
#pragma once

#include <termios.h>

#include <optional>
#include <string>

#include "common/status.h"

namespace edgeflow {

enum class Parity { kNone, kEven, kOdd };
enum class FlowControl { kNone, kRtsCts, kXonXoff };

struct SerialSettings {
  std::string path;  // /dev/ttyUSB0
  int baud = 9600;
  int data_bits = 8;  // 5..8
  Parity parity = Parity::kNone;
  int stop_bits = 1;  // 1 or 2
  FlowControl flow_control = FlowControl::kNone;
};

// The termios speed constant of a standard rate (50 .. 4000000), if any.
std::optional<speed_t> BaudConstant(int baud);

// Sets `tio` to raw mode with the settings' framing (pure; for tests).
void ApplySerialSettings(const SerialSettings& settings, speed_t speed, termios* tio);

// Opens and configures the device; returns its descriptor (non-blocking,
// close-on-exec). NotFound when the path does not exist.
Result<int> OpenSerialPort(const SerialSettings& settings);

}  // namespace edgeflow
