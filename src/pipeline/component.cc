#include "pipeline/component.h"

namespace edgeflow {

Counter* ComponentCounters::Dropped(const std::string& reason) const {
  return registry->GetCounter("dropped", labels + ",reason=\"" + reason + "\"",
                              "events dropped, by reason");
}

Counter* ComponentCounters::ErrorsFor(const std::string& reason) const {
  if (registry == nullptr) return Custom("errors", "");
  return registry->GetCounter("errors", labels + ",reason=\"" + reason + "\"", "failures by reason");
}

Counter* ComponentCounters::Custom(const std::string& name, const std::string& help) const {
  if (registry == nullptr) {
    static Counter unregistered;  // written, never read
    return &unregistered;
  }
  return registry->GetCounter(name, labels, help);
}

}  // namespace edgeflow
