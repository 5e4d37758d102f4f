#include "connectors/modbus/modbus_url.h"

#include <gtest/gtest.h>

namespace edgeflow {
namespace {

TEST(ModbusUrlTest, Tcp) {
  Result<ModbusEndpoint> e = ParseModbusUrl("tcp://127.0.0.1:1502");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->kind, ModbusEndpoint::Kind::kTcp);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 1502);
  EXPECT_EQ(e->ToString(), "tcp://127.0.0.1:1502");

  e = ParseModbusUrl("tcp://plc.local");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "plc.local");
  EXPECT_EQ(e->port, 502);

  e = ParseModbusUrl("tcp://[::1]:5020");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 5020);
  EXPECT_EQ(e->ToString(), "tcp://[::1]:5020");
}

TEST(ModbusUrlTest, Rtu) {
  Result<ModbusEndpoint> e =
      ParseModbusUrl("rtu:///dev/ttyUSB0?baud=19200&parity=E&data_bits=7&stop_bits=2");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->kind, ModbusEndpoint::Kind::kRtu);
  EXPECT_EQ(e->device, "/dev/ttyUSB0");
  EXPECT_EQ(e->baud, 19200);
  EXPECT_EQ(e->parity, 'E');
  EXPECT_EQ(e->data_bits, 7);
  EXPECT_EQ(e->stop_bits, 2);
  EXPECT_EQ(e->ToString(), "rtu:///dev/ttyUSB0 (19200 7E2)");

  e = ParseModbusUrl("rtu:///dev/ttyS1");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->baud, 9600);
  EXPECT_EQ(e->parity, 'N');
  EXPECT_EQ(ParseModbusUrl("rtu:///dev/ttyS1?parity=odd")->parity, 'O');
}

TEST(ModbusUrlTest, Errors) {
  for (const char* bad :
       {"", "127.0.0.1:502", "udp://127.0.0.1", "tcp://", "tcp://:502", "tcp://host:", "tcp://host:0",
        "tcp://host:70000", "tcp://host:50x", "tcp://[::1", "rtu://ttyUSB0", "rtu://",
        "rtu:///dev/ttyUSB0?baud=1234", "rtu:///dev/ttyUSB0?parity=X",
        "rtu:///dev/ttyUSB0?data_bits=9", "rtu:///dev/ttyUSB0?stop_bits=3",
        "rtu:///dev/ttyUSB0?speed=9600", "rtu:///dev/ttyUSB0?baud"}) {
    EXPECT_FALSE(ParseModbusUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace edgeflow
