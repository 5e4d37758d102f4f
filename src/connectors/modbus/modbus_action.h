// The `modbus` action of a rule: writes a holding register or a coil when
// the rule fires (stop a pump, lower a set point), e.g.
// `then: [alert, { modbus: { url: "tcp://10.0.0.5:502", unit_id: 1,
// address: 40, table: coil, value: 0 } }]`. Writes run on the action's own
// thread; a write that fails (device unreachable, Modbus exception) is
// retried once after reconnecting and then reported failed. Each outcome
// becomes an `action` event of the rule.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ActionDef ModbusActionDef();

}  // namespace edgeflow
