// stdout: writes events as JSON lines to standard output.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef StdoutSinkDef();

}  // namespace edgeflow
