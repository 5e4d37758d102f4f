// The `modbus` sink: writes event fields to holding registers or coils of a
// Modbus device (TCP or RTU): an actuator command, a set point.
//
// Write() turns each event into write commands (field -> register, value /
// scale, encoded by type) on the executor thread; a thread of its own sends
// them, because libmodbus calls block. The queue between them is bounded:
// when it is full the oldest command is dropped (a newer set point
// supersedes it) and counted. Each write is retried `retries` times
// (reconnecting with backoff when the connection is lost); outcomes are
// counted (modbus_writes{result=...}, errors{reason=...}) and failures
// logged at a limited rate. docs/sinks/modbus.md is the user reference.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef ModbusSinkDef();

}  // namespace edgeflow
