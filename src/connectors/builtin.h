// The explicit list of built-in sources and sinks.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

void RegisterBuiltinConnectors(Registry& registry);

}  // namespace edgeflow
