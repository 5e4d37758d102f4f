#include "storage/builtin.h"

#include "storage/store_sink.h"

// One include and one line per storage sink type.

namespace edgeflow {

void RegisterBuiltinStorage(Registry& registry) { registry.Add(StoreSinkDef()); }

}  // namespace edgeflow
