// Optional plugins: shared objects (edgeflow-<name>.so) that edgeflow loads
// only when a pipeline needs them, so that heavy libraries stay out of a
// node that does not use them (docs/adr/0005-optional-plugins.md).
//
// Search order: the executable's directory, <executable>/../lib/edgeflow,
// then the build tree the binary came from; $EDGEFLOW_PLUGIN_DIR, when set,
// replaces all three.
#pragma once

#include <string>

#include "common/status.h"

namespace edgeflow {

// Opens edgeflow-<name>.so once per process (later calls return the same
// handle; it stays loaded) and returns the address of `symbol` in it.
// NotFound names every path that was tried.
Result<void*> LoadPluginSymbol(const std::string& name, const char* symbol);

}  // namespace edgeflow
