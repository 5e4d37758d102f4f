// file: appends events to a file as JSON lines or CSV, rotating by size.
//
// Rotation: when the file reaches `max_bytes`, it is renamed to PATH.1
// (PATH.1 to PATH.2, ...; at most `max_files` rotated files are kept) and a
// new PATH is started (CSV files get their header again). A failed write
// (e.g. a full disk) drops that batch, counts it under
// dropped{reason="write_failed"}, logs the error (rate-limited) and retries
// on the next batch: the pipeline keeps running.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef FileSinkDef();

}  // namespace edgeflow
