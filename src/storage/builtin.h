// Registers the storage sinks (the local store) in a registry.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

void RegisterBuiltinStorage(Registry& registry);

}  // namespace edgeflow
