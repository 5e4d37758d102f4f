// The `modbus` source: polls registers and coils of Modbus devices (TCP or
// RTU) on a schedule and emits one event per group, unit id and poll with
// the decoded values (raw * scale + offset).
//
// Registers of a group that sit close together in the same table are read
// by one request (read_plan.h). libmodbus calls block, so polling runs on a
// thread of its own; events are handed to the executor through a bounded,
// mutex-protected batch that Poll swaps out, and the executor is woken on
// every hand-over. Failures (timeouts, refused connections, Modbus
// exceptions) are counted as errors{reason=...} and logged at a limited
// rate; a lost connection is re-established with exponential backoff.
// docs/sources/modbus.md is the user reference.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef ModbusSourceDef();

}  // namespace edgeflow
