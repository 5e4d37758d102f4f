// dedupe: drops repeated events (retransmissions, replays, doubled uplinks).
//
// An event's identity is its `key` (default: device and event time) plus the
// values of the optional `fields` (or of all fields). The stage remembers the
// identities seen within `within` of event time behind the watermark and
// drops an event whose identity it remembers, counted as
// `dropped{reason="duplicate"}`. Identities are stored as 64-bit hashes, so
// two distinct events can collide and the second be dropped: with n
// identities remembered the chance of any collision is about n^2 / 2^65
// (about 3e-8 for a million). Memory is bounded by `max_entries`; beyond it
// the oldest identity is forgotten (counted as `state_evicted`).
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef DedupeStageDef();

}  // namespace edgeflow
