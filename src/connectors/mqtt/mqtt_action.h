// The `mqtt` action of a rule: publishes a command when the rule fires,
// e.g. `then: [alert, { mqtt: { topic: "factory/${device}/cmd", payload:
// "slow_down" } }]`. The topic and payload are templates filled from the
// alert (which carries the triggering device, time and evidence fields).
// Commands are QoS 1 by default and expire (`expiry`, 10 s): one that
// cannot be delivered in time is given up — and reported failed — rather
// than reaching an actuator late. Each outcome becomes an `action` event.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ActionDef MqttActionDef();

}  // namespace edgeflow
