// Outbox: a durable, bounded, prioritised store-and-forward log.
//
// Everything bound upstream is appended here first; the upstream sink reads
// it back (Peek), sends it, and acknowledges it (Ack) or returns it (Nack).
// Records are deleted only after they are acknowledged, evicted by the
// overflow/age policy (counted and logged with what was dropped), or found
// corrupt (counted and logged with which seqs). On-disk format, recovery and
// fsync semantics: docs/design/outbox.md; why a log and not SQLite:
// docs/adr/0004-outbox-log-format.md; sizing: docs/operations/outbox-sizing.md.
//
// Sequence numbers: every record gets the next number of one per-outbox
// (per-node) counter, strictly increasing across priority classes and across
// restarts. The gateway deduplicates by (node, seq).
//
// Delivery: at-least-once. Acks are checkpointed every `checkpoint_interval`
// (and on close), so after a crash the records acknowledged since the last
// checkpoint are delivered again; the receiver's (node, seq) dedup absorbs
// them. A record is handed to Peek only once it is durable under the fsync
// policy, so a crash can never make a delivered seq disappear and be reused.
//
// Order: each priority class is its own log, read by two lanes. The backlog
// lane hands out the oldest records first. The live lane exists so a long
// backlog cannot starve fresh records: the first time it is asked while more
// than 4 requests' worth of records of the class wait (a backlog), it opens
// at the class's tail and from then on hands out, in seq order, the records
// appended after that moment; the backlog lane stops where the live lane
// began. When the backlog lane reaches that mark the lanes merge into one
// again (no gap, no duplicate). While no live lane is open the live lane
// reads from the backlog lane's position, i.e. plain oldest-first. Within a
// lane records go in seq order (per-device order within the lane), records
// returned by Nack go again before newer ones of that lane; between lanes
// a device's records may overtake each other. Across classes alerts overtake
// events and telemetry by design. With a live lane open acks are not a
// prefix: the checkpoint keeps, per class, a floor plus seq ranges of done
// records, bounded by the delivery window (a handful of ranges in practice).
//
// Thread-safety: all methods may be called from any thread (one mutex); the
// usual pattern is Append from the executor thread and Peek/Ack/Nack from the
// upstream sink's network thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/status.h"

namespace edgeflow {

// Priority classes, most important first. Peek drains lower values first;
// eviction takes the oldest records of the highest value first.
enum class Priority : uint8_t {
  kAlert = 0,      // alerts, rule outcomes: drained first, evicted last
  kEvent = 1,      // state changes, aggregates, anomalies
  kTelemetry = 2,  // raw readings, bulk: evicted first
};
inline constexpr int kPriorityCount = 3;

// "alert", "event", "telemetry".
std::string_view PriorityName(Priority p);
// Parses "alert" | "event" | "telemetry" (also "bulk" for telemetry).
Result<Priority> ParsePriority(std::string_view name);

// Which read position of a class Peek takes records from (see "Order" above).
enum class Lane : uint8_t {
  kBacklog = 0,  // the oldest unacknowledged records
  kLive = 1,     // records appended since the live lane opened
};

enum class FsyncPolicy {
  kAlways,    // Append fsyncs before it returns: nothing acknowledged is lost on power loss; slowest
  kInterval,  // group commit: a flusher fsyncs every `fsync_interval`; a power loss loses at most that window
  kNever,     // the OS writes back when it likes: survives a process crash, not a power loss
};
std::string_view FsyncPolicyName(FsyncPolicy p);

// What a full outbox (max_bytes reached, or the filesystem full) does with a
// new record. Either way a record never evicts a record of a MORE important
// class, and a more important record may always evict less important ones.
enum class OverflowPolicy {
  kDropOldest,  // evict the oldest segment of the least important class (<= the new record's)
  kDropNewest,  // refuse the new record unless a strictly less important class can be evicted
};
std::string_view OverflowPolicyName(OverflowPolicy p);

struct OutboxOptions {
  std::string path;  // directory; created if missing; one outbox per directory
  std::string name = "outbox";  // metric label outbox="..." and log prefix
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  TimeMicros fsync_interval = 100 * kMicrosPerMilli;
  uint64_t max_bytes = 1ull << 30;  // all segment files together (plus unwritten buffers)
  TimeMicros max_age = 0;           // records appended longer ago are evicted; 0 = no age bound
  uint64_t segment_bytes = 16ull << 20;  // a segment is sealed when it reaches this size
  OverflowPolicy overflow = OverflowPolicy::kDropOldest;
  // Bound on records handed out by Peek and not yet acknowledged, per class
  // (keeps the in-memory delivery window bounded).
  size_t max_in_flight = 65536;
  TimeMicros checkpoint_interval = kMicrosPerSecond;  // how often acks are persisted
  // Run a background thread for group commit, ack checkpoints and age
  // eviction. Tests turn it off and call Maintain() themselves.
  bool background_thread = true;
  const Clock* clock = nullptr;        // SystemClock when null
  MetricsRegistry* metrics = nullptr;  // no metrics when null
  // Crash tests only: called right after a segment file is deleted by
  // eviction or once done (a forked test process _exits there). Null
  // otherwise.
  std::function<void()> after_segment_delete_for_test;
};

// One record handed out by Peek.
struct OutboxRecord {
  uint64_t seq = 0;
  Priority priority = Priority::kTelemetry;
  TimeMicros time = 0;         // the time given to Append (usually event time)
  TimeMicros append_time = 0;  // wall-clock time of Append (drives max_age)
  std::string device;
  std::string payload;  // bytes as given to Append
};

// One eviction / drop, as logged and as kept for tests and `Stats`.
struct OutboxDrop {
  Priority priority = Priority::kTelemetry;
  std::string reason;  // "overflow", "disk_full", "age", "corrupt", "refused"
  uint64_t records = 0;
  uint64_t first_seq = 0;  // seq range of the dropped records (0 when unknown)
  uint64_t last_seq = 0;
  std::vector<std::string> devices;  // up to 8 device names found in the range
};

struct OutboxClassStats {
  uint64_t backlog_records = 0;  // appended, not yet acknowledged or dropped
  uint64_t backlog_bytes = 0;    // their encoded size on disk
  uint64_t in_flight = 0;        // handed out by Peek, not yet acked or nacked
  bool live_lane_open = false;   // a live lane is open (a backlog is being overtaken)
  TimeMicros oldest_append_time = 0;  // of the oldest backlog record; 0 when empty
  uint64_t appended = 0;
  uint64_t acked = 0;
  uint64_t refused = 0;  // Append calls that failed (full, too large)
  uint64_t evicted_overflow = 0;
  uint64_t evicted_disk_full = 0;
  uint64_t evicted_age = 0;
  uint64_t corrupt = 0;  // records skipped because their checksum failed
};

struct OutboxStats {
  std::array<OutboxClassStats, kPriorityCount> classes;
  uint64_t disk_bytes = 0;     // bytes of all segment files + unwritten buffers
  uint64_t last_seq = 0;       // highest seq assigned (0: none yet)
  uint64_t durable_seq = 0;    // highest seq known to be on disk under the fsync policy
  uint64_t fsyncs = 0;
  std::vector<OutboxDrop> recent_drops;  // the last 32 drops, oldest first
};

class Outbox {
 public:
  // Opens (creating if needed) the outbox in `options.path` and recovers it:
  // scans every segment, truncates a torn tail, skips and reports records
  // whose checksum fails, applies the ack checkpoint. The next seq continues
  // after the highest seq ever assigned.
  static Result<std::unique_ptr<Outbox>> Open(const OutboxOptions& options);

  // Flushes and fsyncs what was appended, writes the ack checkpoint, stops
  // the background thread.
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Appends one record and returns its seq. With FsyncPolicy::kAlways it is
  // on disk when this returns; otherwise after the next group commit (or
  // Commit()). Errors: kInvalidData (record larger than a segment),
  // kResourceExhausted (full and the overflow policy refused it: counted as
  // `refused`), kIoError (the OS refused the write for another reason).
  Result<uint64_t> Append(Priority priority, std::string_view device, TimeMicros time,
                          std::span<const uint8_t> payload);
  Result<uint64_t> Append(Priority priority, std::string_view device, TimeMicros time,
                          std::string_view payload);

  // Group commit: writes buffered records and fsyncs them now (any policy).
  Status Commit();

  // Appends to `out` up to `max_records` / about `max_bytes` of payload (at
  // least one record if any is ready) of the oldest unacknowledged records of
  // class `priority` that are not in flight, marking them in flight; returns
  // how many were added. Records returned by Nack come first.
  // `lane`: kLive takes the records appended since the live lane opened
  // (opening it when more than 4 x `max_records` records of the class wait).
  size_t Peek(Priority priority, size_t max_records, size_t max_bytes,
              std::vector<OutboxRecord>& out, Lane lane = Lane::kBacklog);
  // Same (backlog lane), draining classes in priority order (alerts first)
  // until a limit is hit.
  size_t PeekAny(size_t max_records, size_t max_bytes, std::vector<OutboxRecord>& out);

  // The receiver has the records: they may be deleted. Unknown or already
  // acknowledged seqs are ignored (acks may arrive after an eviction or twice).
  void Ack(std::span<const uint64_t> seqs);
  // Sending failed: the records become pending again, ahead of newer ones.
  void Nack(std::span<const uint64_t> seqs);
  // Returns every in-flight record to pending (e.g. the connection dropped).
  void NackAllInFlight();

  // Housekeeping the background thread runs: group commit when due, ack
  // checkpoint when due, age eviction, deletion of fully acknowledged
  // segments, gauges. Call it yourself when background_thread is false.
  Status Maintain();

  // True when some class has records ready for Peek.
  bool HasPending() const;
  OutboxStats Stats() const;

  class Impl;

 private:
  explicit Outbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeflow
