// The outbox's ack checkpoint file (`acks`, docs/design/outbox.md): which
// records are acknowledged, and the next seq to assign. Written atomically
// (temporary file, fsync, rename, directory fsync).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace edgeflow {

struct OutboxCheckpoint {
  struct ClassAcks {
    uint64_t floor = 0;           // every record of the class below this seq is done
    std::vector<uint64_t> acked;  // acknowledged seqs at or above the floor
  };
  uint64_t next_seq = 1;
  std::array<ClassAcks, 3> classes;
};

std::string EncodeCheckpoint(const OutboxCheckpoint& checkpoint);
// Corruption when the text is not a valid checkpoint (bad CRC, bad line).
Result<OutboxCheckpoint> DecodeCheckpoint(const std::string& text);

// Replaces `dir`/acks atomically; `sync` = false skips the fsyncs (the
// outbox's `never` policy: atomic against a process crash, not power loss).
Status WriteCheckpointFile(const std::string& dir, const OutboxCheckpoint& checkpoint, bool sync = true);
// NotFound when there is none; Corruption when it cannot be trusted.
Result<OutboxCheckpoint> ReadCheckpointFile(const std::string& dir);

// fsync()s a directory so a create/rename/unlink in it is durable.
Status SyncDirectory(const std::string& dir);

}  // namespace edgeflow
