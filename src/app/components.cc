#include "app/components.h"

#include "connectors/builtin.h"
#include "stages/builtin.h"
#include "storage/builtin.h"

namespace edgeflow {

const Registry& BuiltinRegistry() {
  static const Registry* registry = [] {
    auto* r = new Registry();  // lives for the process
    RegisterBuiltinConnectors(*r);
    RegisterBuiltinStages(*r);
    RegisterBuiltinStorage(*r);
    return r;
  }();
  return *registry;
}

}  // namespace edgeflow
