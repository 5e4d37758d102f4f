// The `outbox:` map of the upstream sink (and the `spill:` map of the mqtt
// sink): where a durable Outbox lives and how it is bounded and synced.
#pragma once

#include "config/config_node.h"
#include "forward/outbox.h"

namespace edgeflow {

// Fills `o` from `node` (path, max_bytes, max_age, fsync, fsync_interval,
// overflow); errors are recorded on the node with their file positions.
// `example` is the hint shown when the map is missing.
void ParseOutboxOptions(const ConfigNode& node, OutboxOptions& o, const char* example);

// The description of those keys, for the ParamDef of the map.
std::string OutboxOptionsHelp();

}  // namespace edgeflow
