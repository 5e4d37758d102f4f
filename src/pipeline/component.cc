#include "pipeline/component.h"

namespace edgeflow {

Counter* ComponentCounters::Dropped(const std::string& reason) const {
  return registry->GetCounter("dropped", labels + ",reason=\"" + reason + "\"",
                              "events dropped, by reason");
}

}  // namespace edgeflow
