// map: computes, converts, renames and drops fields.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef MapStageDef();

}  // namespace edgeflow
