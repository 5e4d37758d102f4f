// Store: the writer of the local time-series store (docs/design/store.md).
//
// Each Append() writes one batch in one SQLite transaction: the raw rows,
// the incremental roll-up updates and the exactly-once (origin_node,
// origin_seq) pairs, all or nothing. Retention by age and by size is run
// by the caller (the store sink) through ApplyRetention/EvictForSize.
// Not thread-safe: one Store belongs to one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "model/batch.h"
#include "storage/sqlite_db.h"
#include "storage/store_schema.h"

namespace edgeflow {

struct StoreOptions {
  std::string path;
  TimeMicros retention = 24 * 3600 * kMicrosPerSecond;  // raw rows and received pairs
  uint64_t max_size = 0;                                 // bytes; 0 = unbounded
  std::vector<RollupTier> tiers = {{60 * kMicrosPerSecond, 30LL * 24 * 3600 * kMicrosPerSecond}};
  bool synchronous_full = false;  // fsync the WAL on every commit
  bool tags_in_series = true;     // false: tags are not stored
  size_t max_series = 100'000;
};

// What one Append did with the batch's events and values.
struct AppendResult {
  uint64_t rows = 0;              // raw rows stored
  uint64_t duplicate_events = 0;  // skipped: (origin_node, origin_seq) already stored
  uint64_t duplicate_time = 0;    // values skipped: same series and event time
  uint64_t series_limit = 0;      // values skipped: max_series reached
  uint64_t bad_origin_seq = 0;    // events skipped: origin_seq is not a decimal u64
  uint64_t new_series = 0;
};

class Store {
 public:
  // Opens or creates the file; refuses corrupt, foreign or newer files.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();

  // Writes `batch` in one transaction. On error nothing of it is stored.
  Result<AppendResult> Append(const Batch& batch);

  // Makes every committed write durable on disk (a WAL checkpoint, which
  // fsyncs; with synchronous_full each commit already was).
  Status Sync();

  struct Evicted {
    uint64_t age = 0;   // rows deleted for being older than their retention
    uint64_t size = 0;  // rows deleted to get under max_size
  };
  // Deletes raw rows, tier rows and received pairs past their retention;
  // "now" is the earlier of `wall_now` and the newest stored event time.
  Result<Evicted> ApplyRetention(TimeMicros wall_now);
  // With max_size: while the used size is above `high` (fraction of
  // max_size), deletes the oldest data until it is below `low`.
  Result<uint64_t> EvictForSize(double high, double low);
  // Pages in use times the page size (the file may be larger: free pages).
  Result<uint64_t> UsedBytes();

  const StoreOptions& options() const { return options_; }
  SqliteDb& db() { return db_; }
  size_t series_count() const { return series_ids_.size(); }
  TimeMicros newest_time() const { return newest_time_; }

 private:
  struct Bucket {
    int64_t count = 0;
    double sum = 0, min = 0, max = 0, last = 0;
    TimeMicros last_t = 0;
  };
  struct BucketKey {
    int64_t series;
    int64_t start;
    bool operator==(const BucketKey&) const = default;
  };
  struct BucketKeyHash {
    size_t operator()(const BucketKey& k) const noexcept {
      return static_cast<size_t>(k.series * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(k.start));
    }
  };
  struct TierWriter {
    RollupTier tier;
    SqlStatement upsert;
    std::unordered_map<BucketKey, Bucket, BucketKeyHash> pending;  // this batch only
  };

  explicit Store(StoreOptions options) : options_(std::move(options)) {}
  Status Init();
  Status LoadSeries();
  Status WriteBatch(const Batch& batch, AppendResult& result);
  // The id of the series under key_, creating it; 0 when max_series is reached.
  Result<int64_t> SeriesId(const Event& e, Symbol field, std::string_view tags);
  void BuildTagSet(const Event& e);
  Status FlushRollups();
  // Deletes raw rows of every series older than `cutoff`; returns the count.
  Result<uint64_t> DeleteRawBefore(TimeMicros cutoff);
  Result<uint64_t> DeleteTierBefore(const std::string& table, TimeMicros cutoff);
  // The oldest time in `table` (raw or a roll-up tier), over every series.
  Result<TimeMicros> OldestTime(const std::string& table);
  Status InTransaction(const std::function<Status()>& body);

  StoreOptions options_;
  SqliteDb db_;
  SqlStatement insert_raw_;
  SqlStatement insert_series_;
  SqlStatement insert_received_;
  std::vector<TierWriter> tiers_;
  // (device id, field id, tag set) bytes -> series id.
  std::unordered_map<std::string, int64_t> series_ids_;
  std::vector<std::string> added_keys_;  // series created by the open transaction
  std::vector<int64_t> all_series_;      // every series id, for per-series deletes
  std::string key_;
  std::string tag_set_;
  std::vector<const Field*> sorted_tags_;
  TimeMicros newest_time_ = 0;
  Symbol origin_node_ = Symbol::Intern("origin_node");
  Symbol origin_seq_ = Symbol::Intern("origin_seq");
};

// Parses a decimal u64 ("0" .. "18446744073709551615").
bool ParseOriginSeq(std::string_view text, uint64_t* seq);

}  // namespace edgeflow
