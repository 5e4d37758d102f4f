// The `upstream` sink: store and forward. Every event written to it is
// appended to a durable outbox first (counted as accepted only then); a
// delivery thread drains the outbox in zstd-compressed batches to a receiver
// (the `upstream` source of a gateway) over MQTT or HTTP, and deletes records
// only when the receiver acknowledges that it committed them. Protocol:
// docs/design/upstream-protocol.md; user reference: docs/sinks/upstream.md.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef UpstreamSinkDef();

}  // namespace edgeflow
