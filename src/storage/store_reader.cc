#include "storage/store_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>

namespace edgeflow {
namespace {

struct Accumulator {
  int64_t count = 0;
  double sum = 0, min = 0, max = 0, last = 0;
  TimeMicros last_t = std::numeric_limits<TimeMicros>::min();

  void Add(int64_t n, double s, double lo, double hi, double l, TimeMicros lt) {
    if (count == 0) {
      min = lo;
      max = hi;
    } else {
      min = std::min(min, lo);
      max = std::max(max, hi);
    }
    count += n;
    sum += s;
    if (lt >= last_t) {
      last = l;
      last_t = lt;
    }
  }
  StoreValue Result(StoreAggregate agg) const {
    StoreValue v;
    switch (agg) {
      case StoreAggregate::kCount: v.type = StoreValue::Type::kInt; v.i = count; break;
      case StoreAggregate::kSum: v.d = sum; break;
      case StoreAggregate::kMean: v.d = sum / static_cast<double>(count); break;
      case StoreAggregate::kMin: v.d = min; break;
      case StoreAggregate::kMax: v.d = max; break;
      case StoreAggregate::kLast: v.d = last; break;
      case StoreAggregate::kNone: break;
    }
    return v;
  }
};

TimeMicros BucketOf(TimeMicros t, TimeMicros step) { return t - ((t % step) + step) % step; }

bool Aligned(TimeMicros t, TimeMicros step) {
  return t == std::numeric_limits<TimeMicros>::min() || t == std::numeric_limits<TimeMicros>::max() ||
         t % step == 0;
}

}  // namespace

bool ParseStoreAggregate(std::string_view name, StoreAggregate* agg) {
  static const std::pair<std::string_view, StoreAggregate> kNames[] = {
      {"mean", StoreAggregate::kMean}, {"min", StoreAggregate::kMin},     {"max", StoreAggregate::kMax},
      {"sum", StoreAggregate::kSum},   {"count", StoreAggregate::kCount}, {"last", StoreAggregate::kLast}};
  for (const auto& [text, value] : kNames) {
    if (text == name) {
      *agg = value;
      return true;
    }
  }
  return false;
}

std::string_view StoreAggregateName(StoreAggregate agg) {
  switch (agg) {
    case StoreAggregate::kMean: return "mean";
    case StoreAggregate::kMin: return "min";
    case StoreAggregate::kMax: return "max";
    case StoreAggregate::kSum: return "sum";
    case StoreAggregate::kCount: return "count";
    case StoreAggregate::kLast: return "last";
    case StoreAggregate::kNone: break;
  }
  return "value";
}

Result<StoreReader> StoreReader::Open(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return NotFound("no store at " + path + " (no such file)");
  EF_ASSIGN_OR_RETURN(SqliteDb db, SqliteDb::Open(path, /*create=*/false, /*read_only=*/true));
  EF_RETURN_IF_ERROR(CheckStoreSchemaForRead(db));
  StoreReader reader;
  EF_ASSIGN_OR_RETURN(reader.tiers_, ReadRollupTiers(db));
  reader.db_ = std::move(db);
  return reader;
}

Result<std::vector<SeriesInfo>> StoreReader::FindSeries(const StoreQuery& query) {
  EF_ASSIGN_OR_RETURN(SqlStatement stmt,
                      db_.Prepare("SELECT id, device, field, tags FROM series"
                                  " WHERE (?1 = '' OR device = ?1) AND (?2 = '' OR field = ?2)"
                                  " ORDER BY device, field, tags"));
  stmt.BindText(1, query.device);
  stmt.BindText(2, query.field);
  std::vector<SeriesInfo> found;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    found.push_back({stmt.ColumnInt(0), std::string(stmt.ColumnText(1)), std::string(stmt.ColumnText(2)),
                     std::string(stmt.ColumnText(3))});
  }
  if (rc != SQLITE_DONE) return db_.Error(rc, "reading series");
  return found;
}

Result<std::string> StoreReader::ChooseSource(const StoreQuery& query) {
  if (query.agg == StoreAggregate::kNone) return std::string("raw");
  // The coarsest tier that answers exactly.
  for (auto it = tiers_.rbegin(); it != tiers_.rend(); ++it) {
    if (query.step % it->step == 0 && Aligned(query.from, it->step) && Aligned(query.to, it->step)) {
      return RollupTableName(it->step);
    }
  }
  return std::string("raw");
}

Status StoreReader::Read(const StoreQuery& query, const SeriesInfo& series, const StoreRowCallback& row) {
  if (query.agg == StoreAggregate::kNone) return ReadRaw(query, series, row);
  EF_ASSIGN_OR_RETURN(std::string source, ChooseSource(query));
  return ReadAggregated(query, series, source, row);
}

Status StoreReader::ReadRaw(const StoreQuery& query, const SeriesInfo& series, const StoreRowCallback& row) {
  EF_ASSIGN_OR_RETURN(SqlStatement stmt,
                      db_.Prepare("SELECT t, v FROM raw WHERE series = ? AND t >= ? AND t < ? ORDER BY t"));
  stmt.BindInt(1, series.id);
  stmt.BindInt(2, query.from);
  stmt.BindInt(3, query.to);
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    StoreValue v;
    switch (stmt.ColumnType(1)) {
      case SQLITE_INTEGER: v.type = StoreValue::Type::kInt; v.i = stmt.ColumnInt(1); break;
      case SQLITE_FLOAT: v.d = stmt.ColumnDouble(1); break;
      default: v.type = StoreValue::Type::kText; v.text = stmt.ColumnText(1); break;
    }
    if (!row(series, stmt.ColumnInt(0), v)) return Status::Ok();
  }
  if (rc != SQLITE_DONE) return db_.Error(rc, "reading raw rows");
  return Status::Ok();
}

Status StoreReader::ReadAggregated(const StoreQuery& query, const SeriesInfo& series, const std::string& source,
                                   const StoreRowCallback& row) {
  const bool raw = source == "raw";
  // Tier rows carry a bucket start; a bucket belongs to the range when its
  // start does (ChooseSource made sure the range is aligned to the tier).
  const std::string sql = raw ? "SELECT t, v, typeof(v) FROM raw WHERE series = ? AND t >= ? AND t < ? ORDER BY t"
                              : "SELECT t, count, sum, min, max, last, last_t FROM " + source +
                                    " WHERE series = ? AND t >= ? AND t < ? ORDER BY t";
  EF_ASSIGN_OR_RETURN(SqlStatement stmt, db_.Prepare(sql));
  stmt.BindInt(1, series.id);
  stmt.BindInt(2, query.from);
  stmt.BindInt(3, query.to);
  Accumulator acc;
  TimeMicros bucket = 0;
  bool open = false;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    const TimeMicros t = stmt.ColumnInt(0);
    if (raw && stmt.ColumnText(2) == "text") continue;  // text values are not aggregated
    const TimeMicros this_bucket = query.step > 0 ? BucketOf(t, query.step) : (open ? bucket : t);
    if (open && this_bucket != bucket) {
      if (!row(series, bucket, acc.Result(query.agg))) return Status::Ok();
      acc = Accumulator();
    }
    bucket = this_bucket;
    open = true;
    if (raw) {
      const double v = stmt.ColumnDouble(1);
      acc.Add(1, v, v, v, v, t);
    } else {
      acc.Add(stmt.ColumnInt(1), stmt.ColumnDouble(2), stmt.ColumnDouble(3), stmt.ColumnDouble(4),
              stmt.ColumnDouble(5), stmt.ColumnInt(6));
    }
  }
  if (rc != SQLITE_DONE) return db_.Error(rc, "reading " + source);
  if (open) row(series, bucket, acc.Result(query.agg));
  return Status::Ok();
}

}  // namespace edgeflow
