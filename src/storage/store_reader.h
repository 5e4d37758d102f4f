// StoreReader: read-only queries of a local store file (edgeflow query).
//
// Raw rows come straight from the `raw` table; aggregates over steps come
// from the coarsest roll-up tier that can answer exactly (its step divides
// the requested step and the range is aligned to it), else from raw rows.
// Opens the file read-only: safe while a pipeline is writing it (WAL).
#pragma once

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/sqlite_db.h"
#include "storage/store_schema.h"

namespace edgeflow {

struct SeriesInfo {
  int64_t id = 0;
  std::string device;
  std::string field;
  std::string tags;  // canonical JSON object, or empty
};

enum class StoreAggregate { kNone, kMean, kMin, kMax, kSum, kCount, kLast };
// "mean" -> kMean; false for an unknown name.
bool ParseStoreAggregate(std::string_view name, StoreAggregate* agg);
std::string_view StoreAggregateName(StoreAggregate agg);

struct StoreQuery {
  std::string device;  // empty: every device
  std::string field;   // empty: every field
  TimeMicros from = std::numeric_limits<TimeMicros>::min();  // inclusive
  TimeMicros to = std::numeric_limits<TimeMicros>::max();    // exclusive
  StoreAggregate agg = StoreAggregate::kNone;
  TimeMicros step = 0;  // with agg: bucket width; 0 = one value per series
};

struct StoreValue {
  enum class Type { kDouble, kInt, kText } type = Type::kDouble;
  double d = 0;
  int64_t i = 0;
  std::string_view text;
};

// Called per output row; return false to stop reading.
using StoreRowCallback = std::function<bool(const SeriesInfo&, TimeMicros, const StoreValue&)>;

class StoreReader {
 public:
  // NotFound when `path` does not exist; Corruption/InvalidData for a file
  // that is not a store or is too new.
  static Result<StoreReader> Open(const std::string& path);

  // Series matching the query's device and field, ordered by device, field, tags.
  Result<std::vector<SeriesInfo>> FindSeries(const StoreQuery& query);
  // Where an aggregate query reads from: "raw" or a tier table name.
  Result<std::string> ChooseSource(const StoreQuery& query);
  // Reads the rows of `series` for `query`, in time order.
  Status Read(const StoreQuery& query, const SeriesInfo& series, const StoreRowCallback& row);

  const std::vector<RollupTier>& tiers() const { return tiers_; }

 private:
  Status ReadRaw(const StoreQuery& query, const SeriesInfo& series, const StoreRowCallback& row);
  Status ReadAggregated(const StoreQuery& query, const SeriesInfo& series, const std::string& source,
                        const StoreRowCallback& row);

  SqliteDb db_;
  std::vector<RollupTier> tiers_;
};

}  // namespace edgeflow
