// Actions: what a `rule` does besides emitting its alert — publish an MQTT
// command, call a webhook, write a Modbus register. Connectors register the
// action types (like sources and sinks); the rule stage builds the ones a
// rule's `then:` lists and fires them for each alert.
//
// An action never blocks the executor thread: Fire hands the work to the
// action's own I/O thread and returns; the outcome (delivered, refused,
// timed out) comes back through TakeResults, which the rule stage turns into
// `action` events in its output stream, so success and failure are recorded
// with the data.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config_node.h"
#include "model/event.h"
#include "pipeline/component.h"

namespace edgeflow {

struct ActionResult {
  Symbol device;        // the alert's device
  TimeMicros time = 0;  // the alert's event time
  bool ok = false;
  std::string target;   // topic, URL, register
  std::string detail;   // error or acknowledgement
};

class Action {
 public:
  virtual ~Action() = default;
  // Executor thread, once before the first Fire.
  virtual Status Start() { return Status::Ok(); }
  // Executor thread: act for `alert` (non-blocking).
  virtual void Fire(const Event& alert) = 0;
  // Executor thread: appends the outcomes that completed since the last call.
  virtual void TakeResults(std::vector<ActionResult>& out) = 0;
  // Waits up to `drain` for pending work, then stops threads.
  virtual void Stop(TimeMicros drain) { (void)drain; }
};

using ActionFactory =
    std::function<std::unique_ptr<Action>(const ConfigNode& config, const ComponentContext& ctx)>;

}  // namespace edgeflow
