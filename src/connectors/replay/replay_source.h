// The `replay` source: plays back a recorded file of readings (JSON lines or
// CSV) as a stream of events, as fast as possible, at the recorded pace, or
// at a multiple of it; optionally in a loop.
//
// The file is read in chunks into one fixed buffer (read_buffer +
// max_line_bytes), so memory stays bounded whatever the file size; records
// are decoded in place by the shared payload decoders (connectors/codec),
// JSON lines a block at a time at `speed: max`. Rejected lines are counted
// as `dropped{reason=...}` and sent to the dead letters; the source never
// stops on bad data. Pacing reads the context clock and never sleeps: Poll
// returns kIdle until the next event is due. Driven from the executor thread
// only; owns no threads. docs/sources/replay.md is the user reference.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef ReplaySourceDef();

}  // namespace edgeflow
