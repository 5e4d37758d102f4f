// sim: a deterministic, seeded sensor simulator; edgeflow's built-in data
// source, so a pipeline runs with no device or broker at hand.
//
// Each tick (every 1/rate of event time) emits one event per simulated
// device, in device-index order: time = tick time, device = `<prefix><index>`
// (interned once at build time), the configured fields in config order
// (minus those dropped out), and the configured tags. Field values come from
// composable generators (signal_generator.h) and named fault scenarios
// applied to chosen devices (fault_scenario.h). docs/sources/sim.md is the
// user reference.
//
// Determinism: the same seed and config give byte-identical events,
// whatever the batch sizes and poll timing; only the default `start` (the
// clock's Now() at Start()) and realtime pacing read the clock.
//
// Pacing: `realtime` emits every tick whose offset from the first is <= the
// processing time elapsed since Start() (Clock::Monotonic), so the first
// tick is due at once and a 10 Hz source emits 10 more per device for each
// second. `max` emits as fast as it is polled. Either way Poll() never
// blocks: it appends up to `max_events` and returns kIdle when nothing is
// due, kEnd once `duration` of event time or `count` ticks are done.
//
// The source is driven from the executor thread only; it owns no threads.
// After the first ticks it allocates nothing per event (events in the batch
// are reused).
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef SimSourceDef();

}  // namespace edgeflow
