// rule: raises an alert when a condition holds (for long enough), at most
// once per `hold` per key.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef RuleStageDef();

}  // namespace edgeflow
