// window: event-time windows with aggregates, per key.
//
// Kinds: tumbling (size), hopping (size, hop), sliding (size: on every event,
// the aggregate over the key's events in (t - size, t]), session (gap: a key's
// window stays open while events come less than `gap` apart) and calendar
// (hour/day/week/month of an IANA time zone, DST-correct).
//
// A window fires when the watermark reaches its end and emits one event per
// key: time = window start, the key's device and key fields, `count` (events
// in the window) and `<field>_<aggregate>` for each requested aggregate.
// Late events (their window already fired) follow `late`: drop (counted),
// side (sent to the `late_to` stream) or update (accepted while the watermark
// is within `allowed_lateness` of the window end; the result is re-emitted
// with `revision` = 1, 2, ...). State is bounded by `max_keys` and
// `max_windows_per_key`; events beyond are dropped and counted.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef WindowStageDef();

}  // namespace edgeflow
