// The registry with every built-in source, stage and sink.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

const Registry& BuiltinRegistry();

}  // namespace edgeflow
