// The outbox's ack checkpoint file (`acks`, docs/design/outbox.md): which
// records are acknowledged, and the next seq to assign. Written atomically
// (temporary file, fsync, rename, directory fsync).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace edgeflow {

struct OutboxCheckpoint {
  // An inclusive seq range [first, last]: every record OF THIS CLASS whose
  // seq lies in it is done (the counter is shared by the classes, so other
  // classes' seqs inside the range say nothing).
  using Range = std::pair<uint64_t, uint64_t>;
  struct ClassAcks {
    uint64_t floor = 0;        // every record of the class below this seq is done
    std::vector<Range> acked;  // done records at or above the floor: sorted, disjoint
  };
  uint64_t next_seq = 1;
  std::array<ClassAcks, 3> classes;
};

// Writes version 2 (ranges "a-b"); version 1 (single seqs) is still read.
std::string EncodeCheckpoint(const OutboxCheckpoint& checkpoint);
// Corruption when the text is not a valid checkpoint (bad CRC, bad line).
// The ranges come back sorted and merged.
Result<OutboxCheckpoint> DecodeCheckpoint(const std::string& text);

// Replaces `dir`/acks atomically; `sync` = false skips the fsyncs (the
// outbox's `never` policy: atomic against a process crash, not power loss).
Status WriteCheckpointFile(const std::string& dir, const OutboxCheckpoint& checkpoint, bool sync = true);
// NotFound when there is none; Corruption when it cannot be trusted.
Result<OutboxCheckpoint> ReadCheckpointFile(const std::string& dir);

// Sorts `ranges` and merges overlapping and adjacent ones.
void NormalizeRanges(std::vector<OutboxCheckpoint::Range>& ranges);
// True when `seq` lies in one of the sorted, disjoint `ranges`.
bool InRanges(const std::vector<OutboxCheckpoint::Range>& ranges, uint64_t seq);

// fsync()s a directory so a create/rename/unlink in it is durable.
Status SyncDirectory(const std::string& dir);

}  // namespace edgeflow
