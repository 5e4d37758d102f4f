// log: writes each event as a log line (through the process logger).
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef LogSinkDef();

}  // namespace edgeflow
