// The three kinds of pipeline components and what they are given.
//
// * A Source produces events (from a device, a broker, a file, a simulator).
//   It may own threads and sockets; the executor pulls from it with Poll().
// * A Stage transforms events. Stages are single-threaded state machines: no
//   I/O, no blocking, time only from event times or the context's clock.
// * A Sink consumes events (stdout, a file, a broker, a store).
//
// Each is built once from its typed config by a factory in the Registry and
// then driven by the Executor on one thread (sources may hand data over from
// their own threads inside Poll()).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/status.h"
#include "model/batch.h"
#include "pipeline/wakeup.h"

namespace edgeflow {

// Counters every component has; owned by the MetricsRegistry.
struct ComponentCounters {
  Counter* in = nullptr;        // events received
  Counter* out = nullptr;       // events emitted
  Counter* late = nullptr;      // events behind the watermark
  Counter* errors = nullptr;    // failures (I/O, evaluation)
  MetricsRegistry* registry = nullptr;
  std::string labels;           // `stage="clean"`

  // The counter of events dropped for `reason` (cache the pointer).
  Counter* Dropped(const std::string& reason) const;
  // The counter of failures for `reason` (`errors{...,reason="timeout"}`);
  // never null (an unexported one without a registry).
  Counter* ErrorsFor(const std::string& reason) const;
  // A counter of the component's own (`name{<labels>}`); never null.
  Counter* Custom(const std::string& name, const std::string& help) const;
};

// Where an event goes when it is rejected: counted per reason, logged at a
// limited rate with an example, and (when the pipeline routes the
// `dead_letter` stream to a sink) forwarded with the reason attached.
class DeadLetters {
 public:
  virtual ~DeadLetters() = default;
  // `event` may be null when the input could not be parsed into an event;
  // `raw` then holds (a prefix of) the offending input.
  virtual void Reject(const std::string& component, Counter* counter, std::string_view reason,
                      const Event* event, std::string_view raw) = 0;
};

// Runtime services handed to every component at build time.
struct ComponentContext {
  std::string id;                 // "clean", "stages[2]", "telemetry"
  std::string node_name;          // the pipeline file's `node:`
  const Clock* clock = nullptr;
  MetricsRegistry* metrics = nullptr;
  ComponentCounters counters;
  DeadLetters* dead_letters = nullptr;
  // Sources with their own I/O threads notify it when data arrives (may be
  // null in tests).
  Wakeup* wakeup = nullptr;
};

// Receives what a stage emits. Port 0 is the main output; other ports are
// declared by the stage's factory (e.g. a window's late side output).
class Emitter {
 public:
  virtual ~Emitter() = default;
  // Downstream may modify `batch`; the stage may reuse it after the call.
  virtual void Emit(int port, Batch& batch) = 0;
  void Emit(Batch& batch) { Emit(0, batch); }
};

class Stage {
 public:
  virtual ~Stage() = default;
  // Handles a batch of input events. The stage may modify `batch` in place and
  // emit it, or keep state and emit other batches.
  virtual void Process(Batch& batch, Emitter& out) = 0;
  // Event time progressed: no more on-time events older than `watermark`.
  virtual void OnWatermark(TimeMicros watermark, Emitter& out) {
    (void)watermark;
    (void)out;
  }
  // Periodic processing-time tick (for timeouts and rate limits).
  virtual void OnTick(TimeMicros now, Emitter& out) {
    (void)now;
    (void)out;
  }
  // Input ended (shutdown or end of a replay): emit all open state.
  virtual void Flush(Emitter& out) { (void)out; }
};

enum class PollResult {
  kData,  // events were added to the batch
  kIdle,  // nothing now; poll again later
  kEnd,   // the source is exhausted and will never produce again
};

class Source {
 public:
  virtual ~Source() = default;
  // Opens files, connects, starts threads. Errors here stop the pipeline.
  virtual Status Start() { return Status::Ok(); }
  // Appends up to `max_events` events to `out` without blocking for long.
  virtual PollResult Poll(Batch& out, size_t max_events) = 0;
  // Stops threads and releases resources; Poll is not called afterwards.
  virtual void Stop() {}
  // True when the source calls ComponentContext::wakeup whenever it has
  // data, so the executor may sleep until then; sources that need polling
  // (files, simulators, timers) keep the default.
  virtual bool NotifiesWakeup() const { return false; }

  // Commit barrier (docs/architecture.md). A source that returns true is
  // told, after each step in which it produced events, whether every sink
  // committed what that step wrote: OnCommitted(Ok) after all sinks'
  // Commit() succeeded, the first failure otherwise. The upstream source
  // acknowledges batches to their sender only on Ok.
  virtual bool WantsCommit() const { return false; }
  virtual void OnCommitted(const Status& status) { (void)status; }
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status Open() { return Status::Ok(); }
  virtual void Write(const Batch& batch) = 0;
  // Makes written data durable/visible (called on ticks and at shutdown).
  virtual void Flush() {}
  // Makes everything written so far durable and reports whether it is; the
  // executor calls it after a step that delivered events of a source that
  // WantsCommit(). Sinks with transactions (store) override it.
  virtual Status Commit() {
    Flush();
    return Status::Ok();
  }
  virtual void Close() {}
};

// The fields a stream is known to carry, where knowable (e.g. from a
// simulator's declared fields); lets `edgeflow check` flag unknown fields.
struct Schema {
  bool known = false;
  std::set<std::string> fields;
};

}  // namespace edgeflow
