#include "connectors/serial/serial_port.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace edgeflow {

std::optional<speed_t> BaudConstant(int baud) {
  static constexpr std::pair<int, speed_t> kRates[] = {
      {50, B50},           {75, B75},           {110, B110},         {134, B134},
      {150, B150},         {200, B200},         {300, B300},         {600, B600},
      {1200, B1200},       {1800, B1800},       {2400, B2400},       {4800, B4800},
      {9600, B9600},       {19200, B19200},     {38400, B38400},     {57600, B57600},
      {115200, B115200},   {230400, B230400},   {460800, B460800},   {500000, B500000},
      {576000, B576000},   {921600, B921600},   {1000000, B1000000}, {1152000, B1152000},
      {1500000, B1500000}, {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000},
      {3500000, B3500000}, {4000000, B4000000},
  };
  for (const auto& [rate, constant] : kRates) {
    if (rate == baud) return constant;
  }
  return std::nullopt;
}

void ApplySerialSettings(const SerialSettings& settings, speed_t speed, termios* tio) {
  cfmakeraw(tio);
  cfsetispeed(tio, speed);
  cfsetospeed(tio, speed);
  tio->c_cflag |= CLOCAL | CREAD;  // ignore modem lines, enable the receiver
  tio->c_cflag &= ~CSIZE;
  switch (settings.data_bits) {
    case 5: tio->c_cflag |= CS5; break;
    case 6: tio->c_cflag |= CS6; break;
    case 7: tio->c_cflag |= CS7; break;
    default: tio->c_cflag |= CS8; break;
  }
  tio->c_cflag &= ~(PARENB | PARODD);
  if (settings.parity == Parity::kEven) tio->c_cflag |= PARENB;
  if (settings.parity == Parity::kOdd) tio->c_cflag |= PARENB | PARODD;
  if (settings.stop_bits == 2) {
    tio->c_cflag |= CSTOPB;
  } else {
    tio->c_cflag &= ~CSTOPB;
  }
  tio->c_cflag &= ~CRTSCTS;
  tio->c_iflag &= ~(IXON | IXOFF | IXANY);
  if (settings.flow_control == FlowControl::kRtsCts) tio->c_cflag |= CRTSCTS;
  if (settings.flow_control == FlowControl::kXonXoff) tio->c_iflag |= IXON | IXOFF;
  // VMIN=1: a non-blocking read without data fails with EAGAIN instead of
  // returning 0, so 0 means a hang-up.
  tio->c_cc[VMIN] = 1;
  tio->c_cc[VTIME] = 0;
}

Result<int> OpenSerialPort(const SerialSettings& settings) {
  const std::optional<speed_t> speed = BaudConstant(settings.baud);
  if (!speed) return InvalidConfig("unsupported baud rate " + std::to_string(settings.baud));
  const int fd = ::open(settings.path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return NotFound(settings.path + ": no such device");
    return IoError(settings.path + ": " + std::strerror(err));
  }
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) {
    const int err = errno;
    ::close(fd);
    return IoError(settings.path + ": not a terminal (" + std::strerror(err) + ")");
  }
  ApplySerialSettings(settings, *speed, &tio);
  if (::tcsetattr(fd, TCSANOW, &tio) != 0) {
    const int err = errno;
    ::close(fd);
    return IoError(settings.path + ": cannot configure: " + std::strerror(err));
  }
  return fd;
}

}  // namespace edgeflow
