// null: discards events (benchmarks, or streams kept only for counters).
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef NullSinkDef();

}  // namespace edgeflow
