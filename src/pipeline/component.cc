#include "pipeline/component.h"

namespace edgeflow {

Counter* ComponentCounters::Dropped(const std::string& reason) const {
  return registry->GetCounter("dropped", labels + ",reason=\"" + reason + "\"",
                              "events dropped, by reason");
}

Counter* ComponentCounters::ErrorsFor(const std::string& reason) const {
  if (registry == nullptr) {
    static Counter unregistered;
    return &unregistered;
  }
  return registry->GetCounter("errors", labels + ",reason=\"" + reason + "\"",
                              "failures by reason");
}

}  // namespace edgeflow
