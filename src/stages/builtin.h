// The explicit list of built-in stages.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

void RegisterBuiltinStages(Registry& registry);

}  // namespace edgeflow
