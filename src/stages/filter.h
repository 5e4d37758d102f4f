// filter: keeps the events for which a condition holds.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef FilterStageDef();

}  // namespace edgeflow
