// store: the sink that writes events into the local time-series store
// (docs/design/store.md, docs/sinks/store.md).
//
// Each batch is one transaction (raw rows, roll-ups, exactly-once pairs). A
// batch that cannot be written (full disk, max_size, I/O error) waits in a
// bounded retry buffer and is retried before the next one; with max_size
// the oldest data is evicted first. Retention by age and size runs on the
// executor's flush ticks. Commit() is the barrier the gateway's upstream
// ingest calls before acknowledging: OK means everything written so far is
// committed and synced to disk.
#pragma once

#include <deque>
#include <memory>

#include "common/log.h"
#include "pipeline/registry.h"
#include "storage/store.h"

namespace edgeflow {

ComponentDef StoreSinkDef();

struct StoreSinkPolicy {
  size_t retry_buffer = 100'000;                      // events waiting after failures
  TimeMicros retention_interval = 60 * kMicrosPerSecond;
  TimeMicros sync_interval = kMicrosPerSecond;        // Flush() commits at most this often
  TimeMicros retry_interval = kMicrosPerSecond;       // while failing
};

class StoreSink final : public Sink {
 public:
  StoreSink(StoreOptions options, StoreSinkPolicy policy, const ComponentContext& ctx);
  ~StoreSink() override;

  Status Open() override;
  void Write(const Batch& batch) override;
  // On the executor's ticks: retries waiting batches, runs retention when
  // due and, every sync_interval, Commit().
  void Flush() override;
  void Close() override;

  // Writes every waiting batch and syncs the store: OK means everything
  // Write() was given so far is durable. Failure says why (disk full, ...);
  // the data stays in the retry buffer for the next attempt.
  Status Commit() override;

  // Events waiting in the retry buffer.
  size_t waiting_events() const { return waiting_events_; }
  Store* store() { return store_.get(); }

 private:
  Status TryAppend(const Batch& batch);
  Status DrainWaiting();
  void Enqueue(const Batch& batch);
  void RunRetention();
  void CountFailure(const Status& status);

  StoreOptions options_;
  StoreSinkPolicy policy_;
  ComponentContext ctx_;
  std::unique_ptr<Store> store_;
  std::deque<Batch> waiting_;
  size_t waiting_events_ = 0;
  bool dirty_ = false;  // written since the last sync
  TimeMicros next_retry_ = 0;
  TimeMicros next_retention_ = 0;
  TimeMicros next_sync_ = 0;

  Counter* rows_;
  Counter* duplicate_;
  Counter* bad_origin_seq_;
  Counter* retry_overflow_;
  Counter* duplicate_time_;
  Counter* series_limit_;
  Counter* evicted_age_;
  Counter* evicted_size_;
  Gauge* waiting_gauge_;
  Gauge* used_bytes_;
  RateLimitedLog log_;
};

}  // namespace edgeflow
