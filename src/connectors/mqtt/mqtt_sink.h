// The `mqtt` sink: publishes each event as a JSON message to a topic
// rendered from the event (`factory/${device}/agg`), with a QoS and retain
// flag. Messages wait in a bounded queue for the client's I/O thread; when
// the broker is slower than the pipeline (or down) the queue fills and
// `on_full` decides: block the pipeline (backpressure), drop the oldest or
// the newest message, each drop counted. Close waits up to `drain_timeout`
// for queued and unacknowledged messages. docs/sinks/mqtt.md is the user
// reference.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef MqttSinkDef();

}  // namespace edgeflow
