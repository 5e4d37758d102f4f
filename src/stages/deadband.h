// deadband: report by exception. Passes a device's event only when one of
// the watched fields moved more than its threshold since the last event
// passed for that device, appeared or disappeared, or `max_silence` of event
// time has gone by; otherwise drops it (counted `dropped{reason="deadband"}`).
//
// Thresholds are absolute (`delta`) or relative to the last passed value
// (`percent`), for all fields or per field. The first event of a device
// always passes. State is one value per watched field per device, bounded by
// `max_keys`; events of devices beyond it are dropped and counted
// `dropped{reason="max_keys"}`.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef DeadbandStageDef();

}  // namespace edgeflow
