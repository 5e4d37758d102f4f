// Config checks of the modbus source and sink (no device needed: building a
// component does not connect).
#include <gtest/gtest.h>

#include <string>

#include "connectors/modbus/modbus_sink.h"
#include "connectors/modbus/modbus_source.h"
#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

const char* kGoodSource = R"(
url: tcp://127.0.0.1:1502
unit_id: [1, 2]
device: meter-{unit_id}
groups:
  - interval: 200ms
    registers:
      - { name: temperature, address: 0, type: int16, scale: 0.1, unit: degC }
      - { name: energy, address: 1, type: uint32, word_order: little }
      - { name: running, address: 0, table: coil }
  - interval: 5s
    unit_id: 3
    registers:
      - { name: flow, address: 0, table: input, type: float32, offset: -1.5 }
)";

std::string SourceErrors(const std::string& yaml) {
  TestHarness h;
  EXPECT_FALSE(h.BuildSource(ModbusSourceDef(), yaml));
  return h.errors();
}

TEST(ModbusConfigTest, GoodSourceBuildsAndDeclaresItsFields) {
  TestHarness h;
  auto source = h.BuildSource(ModbusSourceDef(), kGoodSource);
  ASSERT_TRUE(source) << h.errors();
  EXPECT_TRUE(h.last_output_schema.known);
  EXPECT_EQ(h.last_output_schema.fields,
            (std::set<std::string>{"temperature", "energy", "running", "flow"}));
}

TEST(ModbusConfigTest, SourceErrorsNameTheProblem) {
  EXPECT_NE(SourceErrors("url: http://x\ngroups: [{registers: [{name: a, address: 0}]}]")
                .find("expected tcp://"),
            std::string::npos);
  EXPECT_NE(SourceErrors("url: tcp://h\ngroups: [{registers: [{name: a, address: 0, table: coil, "
                         "type: int16}]}]")
                .find("must be bool"),
            std::string::npos);
  EXPECT_NE(SourceErrors("url: tcp://h\ngroups: [{registers: [{name: a, address: 0}, {name: a, "
                         "address: 1}]}]")
                .find("duplicate name"),
            std::string::npos);
  EXPECT_NE(SourceErrors("url: tcp://h\ngroups: [{registers: [{name: a, address: 65535, type: "
                         "uint32}]}]")
                .find("between 0 and 65535"),
            std::string::npos);
  EXPECT_NE(SourceErrors("url: tcp://h\nunit_id: [1, 2]\ndevice: plc\ngroups: [{registers: "
                         "[{name: a, address: 0}]}]")
                .find("{unit_id}"),
            std::string::npos);
  EXPECT_NE(SourceErrors("url: tcp://h\ngroups: [{registers: [{name: a, address: 0, scale: 0}]}]")
                .find("other than 0"),
            std::string::npos);
  EXPECT_NE(SourceErrors("url: tcp://h\ngroups: [{registers: [{name: a, adress: 0}]}]")
                .find("adress"),
            std::string::npos);
  EXPECT_NE(SourceErrors("url: tcp://h\ngroups: [{interval: 1s}]").find("registers"),
            std::string::npos);
  EXPECT_NE(SourceErrors("url: tcp://h\nunit_id: 300\ngroups: [{registers: [{name: a, address: "
                         "0}]}]")
                .find("unit id"),
            std::string::npos);
}

TEST(ModbusConfigTest, Sink) {
  TestHarness h;
  auto sink = h.BuildSink(ModbusSinkDef(), R"(
url: rtu:///dev/ttyUSB0?baud=19200&parity=E
unit_id: 7
writes:
  - { field: setpoint, address: 10, type: int16, scale: 0.1 }
  - { field: pump, address: 3, table: coil }
)");
  EXPECT_TRUE(sink) << h.errors();

  TestHarness bad;
  EXPECT_FALSE(bad.BuildSink(ModbusSinkDef(), R"(
url: tcp://127.0.0.1
writes:
  - { field: x, address: 1, table: input }
)"));
  EXPECT_NE(bad.errors().find("holding"), std::string::npos);
  TestHarness no_field;
  EXPECT_FALSE(no_field.BuildSink(ModbusSinkDef(), "url: tcp://h\nwrites: [{address: 1}]"));
  EXPECT_NE(no_field.errors().find("missing `field`"), std::string::npos);
}

}  // namespace
}  // namespace edgeflow
