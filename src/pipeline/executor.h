// Executor: runs a built Pipeline on the calling thread.
//
// It polls sources round-robin, pushes each batch through the stages in file
// order (fan-out copies the batch for all but the last consumer; sinks read
// it without copying), tracks per-source watermarks and drives processing-
// time ticks. Sources may produce from their own threads; everything else
// runs on the executor's thread, so stages need no locks.
//
// Watermarks: a source's watermark is the newest event time it produced minus
// its `watermark_delay`. A source that has produced nothing for
// `idle_timeout` (processing time) is idle: its watermark advances with the
// processing clock and it no longer holds back the others. A stage sees the
// minimum over the active sources upstream of it (or, when all are idle, the
// maximum of theirs); an ended source counts as +infinity.
//
// Step-wise API (Start, Step, Tick, Finish) lets golden tests drive a
// pipeline with a manual clock; Run() is the loop used by `edgeflow run`.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "pipeline/dead_letter_queue.h"
#include "pipeline/pipeline.h"

namespace edgeflow {

inline constexpr TimeMicros kNoWatermark = std::numeric_limits<TimeMicros>::min();
inline constexpr TimeMicros kEndOfTime = std::numeric_limits<TimeMicros>::max();

struct ExecutorStats {
  uint64_t events_in = 0;        // from all sources
  TimeMicros max_event_time = kNoWatermark;
  bool all_sources_ended = false;
};

class Executor {
 public:
  // `dead_letters` (may be null) is drained into the dead_letter stream.
  Executor(Pipeline* pipeline, const Clock* clock, DeadLetterQueue* dead_letters = nullptr);
  ~Executor();

  // Opens sinks and starts sources.
  Status Start();
  // Polls every source once and processes what they return. Returns true if
  // any source produced events.
  bool Step();
  // Processing-time housekeeping: idle detection and watermark advance, stage
  // OnTick, sink Flush. Run() calls it every `settings.tick`.
  void Tick();
  // Pushes a batch as if source `source_index` had produced it (tests).
  void Inject(size_t source_index, Batch& batch);
  // Raises a source's newest event time to `t` as if an event at `t` had
  // arrived, advancing watermarks (tests).
  void AdvanceSourceTime(size_t source_index, TimeMicros t);
  // Marks a source as ended (tests; Step does it when Poll returns kEnd).
  void EndSource(size_t source_index);
  // Flushes all stages (open windows are emitted), then sinks; stops sources.
  void Finish();

  // Runs until `stop` becomes true or every source has ended, then Finish().
  // `on_tick` (may be null) is called after each tick, for the status line.
  void Run(const std::atomic<bool>& stop, const std::function<void()>& on_tick = nullptr);

  const ExecutorStats& stats() const { return stats_; }
  // The watermark stage `i` has seen last (kNoWatermark if none).
  TimeMicros StageWatermark(size_t i) const { return stage_state_[i].watermark; }

 private:
  struct SourceState {
    TimeMicros max_event_time = kNoWatermark;
    TimeMicros last_activity = 0;  // monotonic time of the last event
    bool idle = false;
    bool ended = false;
  };
  struct StageState {
    std::vector<size_t> upstream_sources;
    TimeMicros watermark = kNoWatermark;
  };
  class NodeEmitter;

  void Deliver(int stream, Batch& batch);
  Status CommitSinks();
  void DrainDeadLetters();
  void ProcessStage(size_t stage_index, Batch& batch);
  void AfterSourceBatch(size_t source_index, const Batch& batch);
  TimeMicros SourceWatermark(size_t source_index) const;
  TimeMicros CombinedWatermark(const std::vector<size_t>& sources) const;
  void AdvanceWatermarks();
  Batch& Scratch();
  void ReleaseScratch() { --scratch_depth_; }
  void ComputeUpstreamSources();

  Pipeline* pipeline_;
  const Clock* clock_;
  DeadLetterQueue* dead_letters_;
  Batch dead_letter_batch_;
  std::vector<SourceState> source_state_;
  std::vector<StageState> stage_state_;
  std::vector<std::unique_ptr<NodeEmitter>> emitters_;
  // consumers per stream
  std::vector<std::vector<size_t>> stream_stages_;
  std::vector<std::vector<size_t>> stream_sinks_;
  std::vector<std::unique_ptr<Batch>> scratch_;
  size_t scratch_depth_ = 0;
  Batch poll_batch_;
  size_t next_source_ = 0;
  RateLimitedLog commit_log_;
  bool finished_ = false;
  bool started_ = false;
  ExecutorStats stats_;
};

}  // namespace edgeflow
