// The `upstream` source: the receiving end of store and forward. It takes
// batch frames from nodes' upstream sinks (MQTT subscription or HTTP POSTs),
// decodes them, drops records it committed recently (per node, by seq),
// emits the rest tagged `origin_node` / `origin_seq`, and acknowledges a
// batch to its sender only after every sink of the pipeline committed it
// (the executor's commit barrier, Source::OnCommitted). Protocol:
// docs/design/upstream-protocol.md; user reference: docs/sources/upstream.md.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef UpstreamSourceDef();

}  // namespace edgeflow
