#include "storage/store_sink.h"

#include <set>

#include "config/units.h"

namespace edgeflow {
namespace {

std::string FailureReason(const Status& status) {
  switch (status.code()) {
    case StatusCode::kResourceExhausted: return "disk_full";
    case StatusCode::kCorruption: return "corrupt";
    case StatusCode::kUnavailable: return "busy";
    default: return "io";
  }
}

}  // namespace

StoreSink::StoreSink(StoreOptions options, StoreSinkPolicy policy, const ComponentContext& ctx)
    : options_(std::move(options)),
      policy_(policy),
      ctx_(ctx),
      rows_(ctx.metrics->GetCounter("store_rows", ctx.counters.labels, "raw rows written to the store")),
      duplicate_(ctx.counters.Dropped("duplicate")),
      bad_origin_seq_(ctx.counters.Dropped("bad_origin_seq")),
      retry_overflow_(ctx.counters.Dropped("retry_overflow")),
      duplicate_time_(ctx.metrics->GetCounter("store_values_dropped", ctx.counters.labels + ",reason=\"duplicate_time\"",
                                              "values not stored, by reason")),
      series_limit_(ctx.metrics->GetCounter("store_values_dropped", ctx.counters.labels + ",reason=\"series_limit\"",
                                            "values not stored, by reason")),
      evicted_age_(ctx.metrics->GetCounter("store_evicted_rows", ctx.counters.labels + ",reason=\"age\"",
                                           "rows deleted by retention")),
      evicted_size_(ctx.metrics->GetCounter("store_evicted_rows", ctx.counters.labels + ",reason=\"size\"",
                                            "rows deleted by retention")),
      waiting_gauge_(ctx.metrics->GetGauge("store_waiting_events", ctx.counters.labels,
                                           "events waiting to be retried")),
      used_bytes_(ctx.metrics->GetGauge("store_used_bytes", ctx.counters.labels, "bytes of the store in use")) {}

StoreSink::~StoreSink() { Close(); }

Status StoreSink::Open() {
  auto opened = Store::Open(options_);
  if (!opened.ok()) return opened.status();
  store_ = std::move(opened).value();
  const TimeMicros now = ctx_.clock->Monotonic();
  next_sync_ = now + policy_.sync_interval;
  next_retention_ = now;  // old data goes at start-up, before new data
  RunRetention();
  return Status::Ok();
}

void StoreSink::Write(const Batch& batch) {
  if (batch.empty()) return;
  if (store_ == nullptr) {  // Open failed or Close was called
    Enqueue(batch);
    return;
  }
  if (!waiting_.empty() && ctx_.clock->Monotonic() >= next_retry_) (void)DrainWaiting();
  // Keep the order: while older batches wait, new ones queue behind them.
  if (!waiting_.empty() || !TryAppend(batch).ok()) Enqueue(batch);
}

Status StoreSink::TryAppend(const Batch& batch) {
  auto result = store_->Append(batch);
  if (!result.ok() && IsFullError(result.status()) && options_.max_size > 0) {
    // max_size (or the disk) is reached: make room from the oldest data
    // and try once more at once.
    auto evicted = store_->EvictForSize(0.0, 0.8);
    if (evicted.ok() && *evicted > 0) {
      evicted_size_->Add(*evicted);
      log_.Warn(*ctx_.clock, "store '" + ctx_.id + "': full; evicted " + std::to_string(*evicted) +
                                 " oldest rows to make room");
      result = store_->Append(batch);
    }
  }
  if (!result.ok()) {
    CountFailure(result.status());
    next_retry_ = ctx_.clock->Monotonic() + policy_.retry_interval;
    return result.status();
  }
  const AppendResult& r = *result;
  rows_->Add(r.rows);
  if (r.duplicate_events) duplicate_->Add(r.duplicate_events);
  if (r.bad_origin_seq) {
    bad_origin_seq_->Add(r.bad_origin_seq);
    log_.Warn(*ctx_.clock, "store '" + ctx_.id + "': " + std::to_string(r.bad_origin_seq) +
                               " events with an origin_seq tag that is not a decimal u64 were dropped");
  }
  if (r.duplicate_time) duplicate_time_->Add(r.duplicate_time);
  if (r.series_limit) {
    series_limit_->Add(r.series_limit);
    log_.Warn(*ctx_.clock, "store '" + ctx_.id + "': max_series (" + std::to_string(options_.max_series) +
                               ") reached; values of new series are not stored");
  }
  dirty_ = true;
  return Status::Ok();
}

void StoreSink::CountFailure(const Status& status) {
  const std::string reason = FailureReason(status);
  ctx_.counters.errors->Add();
  ctx_.counters.ErrorsFor(reason)->Add();
  log_.Warn(*ctx_.clock, "sink '" + ctx_.id + "': " + status.ToString() + " (" + std::to_string(waiting_events_) +
                             " events waiting; retrying)");
}

void StoreSink::Enqueue(const Batch& batch) {
  waiting_.emplace_back();
  waiting_.back().AppendAll(batch);
  waiting_events_ += batch.size();
  // Bounded: the oldest waiting events go first.
  while (waiting_events_ > policy_.retry_buffer && !waiting_.empty()) {
    retry_overflow_->Add(waiting_.front().size());
    waiting_events_ -= waiting_.front().size();
    waiting_.pop_front();
  }
  waiting_gauge_->Set(static_cast<double>(waiting_events_));
}

Status StoreSink::DrainWaiting() {
  if (store_ == nullptr) return Unavailable("store '" + ctx_.id + "' is not open");
  while (!waiting_.empty()) {
    EF_RETURN_IF_ERROR(TryAppend(waiting_.front()));
    waiting_events_ -= waiting_.front().size();
    waiting_.pop_front();
    waiting_gauge_->Set(static_cast<double>(waiting_events_));
  }
  return Status::Ok();
}

void StoreSink::RunRetention() {
  auto age = store_->ApplyRetention(ctx_.clock->Now());
  if (!age.ok()) {
    CountFailure(age.status());
  } else if (age->age > 0) {
    evicted_age_->Add(age->age);
    spdlog::info("store '{}': retention deleted {} rows older than their keep time", ctx_.id, age->age);
  }
  auto size = store_->EvictForSize(0.9, 0.8);
  if (!size.ok()) {
    CountFailure(size.status());
  } else if (*size > 0) {
    evicted_size_->Add(*size);
    spdlog::info("store '{}': max_size reached; deleted the {} oldest rows", ctx_.id, *size);
  }
  if (auto used = store_->UsedBytes(); used.ok()) used_bytes_->Set(static_cast<double>(*used));
}

void StoreSink::Flush() {
  if (store_ == nullptr) return;
  const TimeMicros now = ctx_.clock->Monotonic();
  if (!waiting_.empty() && now >= next_retry_) (void)DrainWaiting();
  if (now >= next_retention_) {
    next_retention_ = now + policy_.retention_interval;
    RunRetention();
  } else if (options_.max_size > 0 && dirty_) {
    // Cheap (three PRAGMAs): keeps the soft size limit between retention runs.
    if (auto size = store_->EvictForSize(0.9, 0.8); size.ok() && *size > 0) evicted_size_->Add(*size);
  }
  if (now >= next_sync_) {
    next_sync_ = now + policy_.sync_interval;
    if (dirty_ || !waiting_.empty()) (void)Commit();
  }
}

Status StoreSink::Commit() {
  if (store_ == nullptr) return Unavailable("store '" + ctx_.id + "' is not open");
  EF_RETURN_IF_ERROR(DrainWaiting());
  if (!dirty_) return Status::Ok();
  Status st = store_->Sync();
  if (!st.ok()) {
    CountFailure(st);
    return st;
  }
  dirty_ = false;
  return Status::Ok();
}

void StoreSink::Close() {
  if (store_ == nullptr) return;
  if (Status st = Commit(); !st.ok() && waiting_events_ > 0) {
    spdlog::error("store '{}': {} events could not be written before shutdown: {}", ctx_.id, waiting_events_,
                  st.ToString());
    ctx_.counters.Dropped("shutdown")->Add(waiting_events_);
  }
  store_.reset();
}

ComponentDef StoreSinkDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSink;
  def.type = "store";
  def.summary = "Keeps events in a local SQLite time-series store with retention and roll-ups.";
  def.description =
      "Every field becomes a row of its series (device, field, tags) in one SQLite file (WAL). Numeric "
      "fields are also rolled up into fixed buckets (count, sum, min, max, mean, last) per tier. Raw data is "
      "kept for `retention`, each tier for its `keep`, and the file within `max_size` (oldest data first). "
      "Events tagged `origin_node` + `origin_seq` are stored at most once. A batch that cannot be written "
      "(full disk) waits in a bounded retry buffer. Read it back with `edgeflow query`. "
      "See docs/sinks/store.md and docs/design/store.md.";
  def.params = {
      {"path", "string", "", "Database file (created when missing; the directory must exist).", true},
      {"retention", "duration", "24h", "How long raw rows are kept (by event time).", false},
      {"max_size", "size", "0 (unbounded)", "Size budget of the file, e.g. 1GB; the oldest data is deleted to stay within it.",
       false},
      {"rollups", "list of {step, keep}", "[{step: 1m, keep: 30d}]",
       "Roll-up tiers: bucket width (whole seconds) and how long to keep it; [] for none.", false},
      {"tags", "enum", "series", "series: tags (except origin_seq) are part of the series identity; ignore: not stored.",
       false},
      {"max_series", "integer", "100000", "Most series kept; values of further new series are dropped and counted.",
       false},
      {"synchronous", "enum", "normal", "normal: fsync at each sync_interval; full: fsync every commit.", false},
      {"sync_interval", "duration", "1s", "How often written data is checkpointed to disk (fsync).", false},
      {"retry_buffer", "integer", "100000", "Events kept in memory while writes fail (full disk); oldest dropped first.",
       false},
      {"retention_interval", "duration", "1m", "How often retention by age and size runs.", false},
  };
  def.example = "{ type: store, path: /var/lib/edgeflow/store.db, retention: 7d, max_size: 1GB }";
  def.make_sink = [](BuildContext& ctx) -> std::unique_ptr<Sink> {
    const ConfigNode& cfg = ctx.config;
    StoreOptions o;
    StoreSinkPolicy policy;
    o.path = cfg["path"].String();
    cfg.Require("path");
    o.retention = cfg["retention"].Duration(o.retention);
    if (o.retention <= 0) cfg["retention"].Error("must be > 0");
    o.max_size = cfg["max_size"].Size(0);
    if (o.max_size > 0 && o.max_size < 1024 * 1024) cfg["max_size"].Error("must be at least 1MB (or 0 for unbounded)");
    if (cfg.Has("rollups")) {
      o.tiers.clear();
      const ConfigNode list = cfg["rollups"];
      if (!list.is_sequence()) {
        list.Error("must be a list of {step, keep}", "rollups: [{step: 1m, keep: 30d}]");
      } else {
        std::set<TimeMicros> steps;
        for (size_t i = 0; i < list.size(); ++i) {
          const ConfigNode tier = list.At(i);
          tier.CheckKeys({"step", "keep"});
          tier.Require("step");
          tier.Require("keep");
          // Fallbacks that pass the checks below: a missing or unparsable value
          // is reported once, by Require or the parser.
          RollupTier t{tier["step"].Duration(kMicrosPerSecond), tier["keep"].Duration(1)};
          if (t.step < kMicrosPerSecond || t.step % kMicrosPerSecond != 0) {
            tier["step"].Error("must be a whole number of seconds, at least 1s");
          } else if (!steps.insert(t.step).second) {
            tier["step"].Error("two tiers with the same step");
          }
          if (t.keep <= 0) tier["keep"].Error("must be > 0");
          o.tiers.push_back(t);
        }
      }
    }
    o.tags_in_series = cfg["tags"].Enum("series", {"series", "ignore"}) == "series";
    const int64_t max_series = cfg["max_series"].Int(100'000);
    if (max_series < 1) cfg["max_series"].Error("must be >= 1");
    o.max_series = static_cast<size_t>(std::max<int64_t>(max_series, 1));
    o.synchronous_full = cfg["synchronous"].Enum("normal", {"normal", "full"}) == "full";
    policy.sync_interval = cfg["sync_interval"].Duration(policy.sync_interval);
    if (policy.sync_interval <= 0) cfg["sync_interval"].Error("must be > 0");
    const int64_t retry_buffer = cfg["retry_buffer"].Int(100'000);
    if (retry_buffer < 0) cfg["retry_buffer"].Error("must be >= 0");
    policy.retry_buffer = static_cast<size_t>(std::max<int64_t>(retry_buffer, 0));
    policy.retention_interval = cfg["retention_interval"].Duration(policy.retention_interval);
    if (policy.retention_interval <= 0) cfg["retention_interval"].Error("must be > 0");
    if (!ctx.ok()) return nullptr;
    return std::make_unique<StoreSink>(std::move(o), policy, ctx.services);
  };
  return def;
}

}  // namespace edgeflow
