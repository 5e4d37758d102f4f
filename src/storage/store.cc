#include "storage/store.h"

#include <algorithm>
#include <limits>

#include "common/json_text.h"
#include "common/log.h"

namespace edgeflow {
namespace {

// Start of the bucket of width `step` holding `t` (floor, also for t < 0).
TimeMicros BucketStart(TimeMicros t, TimeMicros step) { return t - ((t % step) + step) % step; }

void AppendId(uint32_t id, std::string& out) { out.append(reinterpret_cast<const char*>(&id), sizeof id); }

}  // namespace

bool ParseOriginSeq(std::string_view text, uint64_t* seq) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *seq = v;
  return true;
}

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store(options));
  if (Status st = store->Init(); !st.ok()) return st;
  return store;
}

Store::~Store() = default;

Status Store::Init() {
  const std::string& path = options_.path;
  auto opened = SqliteDb::Open(path, /*create=*/true, /*read_only=*/false);
  if (!opened.ok()) {
    return opened.status().WithContext("store: is the directory present and writable?");
  }
  db_ = std::move(opened).value();
  EF_RETURN_IF_ERROR(PrepareStoreSchema(db_).WithContext("store " + path));

  // WAL needs the -wal and -shm files next to the database: in a read-only
  // directory SQLite silently stays in another journal mode.
  EF_ASSIGN_OR_RETURN(SqlStatement wal, db_.Prepare("PRAGMA journal_mode=WAL"));
  const int rc = wal.Step();
  if (rc != SQLITE_ROW) return db_.Error(rc, "store " + path + ": cannot enable WAL");
  if (wal.ColumnText(0) != "wal") {
    return IoError("store " + path + ": cannot enable WAL mode (journal mode stays '" +
                   std::string(wal.ColumnText(0)) + "'); is the directory writable?");
  }
  wal = SqlStatement();
  // wal_autocheckpoint 8192 pages (64 MiB at 8 KiB pages, the same as the
  // journal size limit): the sink checkpoints every sync_interval anyway,
  // and SQLite's default of 1,000 pages stalled batched inserts on fsyncs
  // (474 k -> 540 k rows/s wall in bench/run_store_bench).
  EF_RETURN_IF_ERROR(db_.Exec(std::string("PRAGMA synchronous=") + (options_.synchronous_full ? "FULL" : "NORMAL") +
                              "; PRAGMA busy_timeout=5000; PRAGMA journal_size_limit=67108864;"
                              " PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=8192;"));
  if (options_.max_size > 0) {
    EF_ASSIGN_OR_RETURN(int64_t page_size, db_.QueryInt("PRAGMA page_size"));
    const uint64_t pages = std::max<uint64_t>(options_.max_size / static_cast<uint64_t>(page_size), 16);
    EF_RETURN_IF_ERROR(db_.Exec("PRAGMA max_page_count=" + std::to_string(pages)));
  }
  EF_ASSIGN_OR_RETURN(std::vector<std::string> dropped, SyncRollupTiers(db_, options_.tiers));
  for (const std::string& table : dropped) {
    spdlog::info("store {}: roll-up tier {} is no longer configured; dropped it", path, table);
  }

  EF_ASSIGN_OR_RETURN(insert_raw_, db_.Prepare("INSERT OR IGNORE INTO raw(series, t, v) VALUES(?, ?, ?)"));
  EF_ASSIGN_OR_RETURN(insert_series_, db_.Prepare("INSERT INTO series(device, field, tags) VALUES(?, ?, ?)"));
  EF_ASSIGN_OR_RETURN(insert_received_,
                      db_.Prepare("INSERT OR IGNORE INTO received(node, seq, t) VALUES(?, ?, ?)"));
  for (const RollupTier& tier : options_.tiers) {
    TierWriter writer;
    writer.tier = tier;
    const std::string table = RollupTableName(tier.step);
    EF_ASSIGN_OR_RETURN(
        writer.upsert,
        db_.Prepare("INSERT INTO " + table +
                    "(series, t, count, sum, min, max, last, last_t) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(series, t) DO UPDATE SET count = count + excluded.count,"
                    " sum = sum + excluded.sum, min = min(min, excluded.min), max = max(max, excluded.max),"
                    " last = CASE WHEN excluded.last_t >= last_t THEN excluded.last ELSE last END,"
                    " last_t = max(last_t, excluded.last_t)"));
    tiers_.push_back(std::move(writer));
  }
  return LoadSeries();
}

Status Store::LoadSeries() {
  EF_ASSIGN_OR_RETURN(SqlStatement stmt, db_.Prepare("SELECT id, device, field, tags FROM series"));
  EF_ASSIGN_OR_RETURN(SqlStatement newest, db_.Prepare("SELECT max(t) FROM raw WHERE series = ?"));
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    const int64_t id = stmt.ColumnInt(0);
    std::string key;
    AppendId(Symbol::Intern(stmt.ColumnText(1)).id(), key);
    AppendId(Symbol::Intern(stmt.ColumnText(2)).id(), key);
    key.append(stmt.ColumnText(3));
    series_ids_.emplace(std::move(key), id);
    all_series_.push_back(id);
    newest.BindInt(1, id);
    if (newest.Step() == SQLITE_ROW && newest.ColumnType(0) != SQLITE_NULL) {
      newest_time_ = std::max(newest_time_, newest.ColumnInt(0));
    }
    newest.Reset();
  }
  if (rc != SQLITE_DONE) return db_.Error(rc, "store " + options_.path + ": reading series");
  return Status::Ok();
}

Status Store::InTransaction(const std::function<Status()>& body) {
  EF_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
  Status st = body();
  if (st.ok()) st = db_.Exec("COMMIT");
  if (!st.ok() && !sqlite3_get_autocommit(db_.get())) (void)db_.Exec("ROLLBACK");
  return st;
}

Result<AppendResult> Store::Append(const Batch& batch) {
  AppendResult result;
  added_keys_.clear();
  for (TierWriter& tier : tiers_) tier.pending.clear();
  const TimeMicros newest_before = newest_time_;
  const size_t series_before = all_series_.size();
  Status st = InTransaction([&] {
    EF_RETURN_IF_ERROR(WriteBatch(batch, result));
    return FlushRollups();
  });
  if (!st.ok()) {
    // The transaction was rolled back: forget what it created.
    for (const std::string& key : added_keys_) series_ids_.erase(key);
    all_series_.resize(series_before);
    newest_time_ = newest_before;
    return st.WithContext("store " + options_.path);
  }
  return result;
}

Status Store::WriteBatch(const Batch& batch, AppendResult& result) {
  for (const Event& e : batch) {
    if (!e.tags().empty()) {
      const Value* node = e.FindTag(origin_node_);
      const Value* seq_text = node ? e.FindTag(origin_seq_) : nullptr;
      if (seq_text != nullptr) {
        uint64_t seq = 0;
        if (!ParseOriginSeq(e.Text(*seq_text), &seq)) {
          ++result.bad_origin_seq;
          continue;
        }
        insert_received_.BindText(1, e.Text(*node));
        insert_received_.BindInt(2, static_cast<int64_t>(seq));
        insert_received_.BindInt(3, e.time);
        if (int rc = insert_received_.Run(); rc != SQLITE_DONE) return db_.Error(rc, "recording origin");
        if (db_.changes() == 0) {
          ++result.duplicate_events;
          continue;
        }
      }
    }
    tag_set_.clear();
    if (options_.tags_in_series && !e.tags().empty()) BuildTagSet(e);

    for (const Field& f : e.fields()) {
      const Value& v = f.value;
      if (v.is_null()) continue;
      EF_ASSIGN_OR_RETURN(int64_t series, SeriesId(e, f.name, tag_set_));
      if (series == 0) {
        ++result.series_limit;
        continue;
      }
      insert_raw_.BindInt(1, series);
      insert_raw_.BindInt(2, e.time);
      switch (v.type) {
        case ValueType::kDouble: insert_raw_.BindDouble(3, v.d); break;
        case ValueType::kInt: insert_raw_.BindInt(3, v.i); break;
        case ValueType::kBool: insert_raw_.BindInt(3, v.b ? 1 : 0); break;
        case ValueType::kString: insert_raw_.BindText(3, e.Text(v)); break;
        case ValueType::kNull: break;
      }
      if (int rc = insert_raw_.Run(); rc != SQLITE_DONE) return db_.Error(rc, "inserting raw rows");
      if (db_.changes() == 0) {
        ++result.duplicate_time;
        continue;
      }
      ++result.rows;
      newest_time_ = std::max(newest_time_, e.time);
      const std::optional<double> number = v.AsNumber();
      if (!number) continue;
      for (TierWriter& tier : tiers_) {
        Bucket& b = tier.pending[BucketKey{series, BucketStart(e.time, tier.tier.step)}];
        if (b.count == 0) {
          b.min = b.max = b.last = *number;
          b.last_t = e.time;
        } else {
          b.min = std::min(b.min, *number);
          b.max = std::max(b.max, *number);
          if (e.time >= b.last_t) {
            b.last = *number;
            b.last_t = e.time;
          }
        }
        ++b.count;
        b.sum += *number;
      }
    }
  }
  result.new_series = added_keys_.size();
  return Status::Ok();
}

void Store::BuildTagSet(const Event& e) {
  sorted_tags_.clear();
  for (const Field& tag : e.tags()) {
    if (tag.name != origin_seq_) sorted_tags_.push_back(&tag);
  }
  if (sorted_tags_.empty()) return;
  std::sort(sorted_tags_.begin(), sorted_tags_.end(),
            [](const Field* a, const Field* b) { return a->name.name() < b->name.name(); });
  tag_set_.push_back('{');
  for (size_t i = 0; i < sorted_tags_.size(); ++i) {
    if (i) tag_set_.push_back(',');
    AppendJsonString(sorted_tags_[i]->name.name(), tag_set_);
    tag_set_.push_back(':');
    AppendJsonString(e.Text(sorted_tags_[i]->value), tag_set_);
  }
  tag_set_.push_back('}');
}

Result<int64_t> Store::SeriesId(const Event& e, Symbol field, std::string_view tags) {
  key_.clear();
  AppendId(e.device.id(), key_);
  AppendId(field.id(), key_);
  key_.append(tags);
  if (auto it = series_ids_.find(key_); it != series_ids_.end()) return it->second;
  if (series_ids_.size() >= options_.max_series) return int64_t{0};
  insert_series_.BindText(1, e.device.name());
  insert_series_.BindText(2, field.name());
  insert_series_.BindText(3, tags);
  if (int rc = insert_series_.Run(); rc != SQLITE_DONE) return db_.Error(rc, "adding a series");
  const int64_t id = sqlite3_last_insert_rowid(db_.get());
  series_ids_.emplace(key_, id);
  added_keys_.push_back(key_);
  all_series_.push_back(id);
  return id;
}

Status Store::FlushRollups() {
  for (TierWriter& tier : tiers_) {
    for (const auto& [key, b] : tier.pending) {
      SqlStatement& s = tier.upsert;
      s.BindInt(1, key.series);
      s.BindInt(2, key.start);
      s.BindInt(3, b.count);
      s.BindDouble(4, b.sum);
      s.BindDouble(5, b.min);
      s.BindDouble(6, b.max);
      s.BindDouble(7, b.last);
      s.BindInt(8, b.last_t);
      if (int rc = s.Run(); rc != SQLITE_DONE) return db_.Error(rc, "updating roll-ups");
    }
    tier.pending.clear();
  }
  return Status::Ok();
}

Status Store::Sync() {
  auto st = db_.QueryInt("PRAGMA wal_checkpoint(PASSIVE)");
  if (!st.ok()) return st.status().WithContext("store " + options_.path + ": sync");
  return Status::Ok();
}

Result<uint64_t> Store::UsedBytes() {
  EF_ASSIGN_OR_RETURN(int64_t pages, db_.QueryInt("PRAGMA page_count"));
  EF_ASSIGN_OR_RETURN(int64_t free_pages, db_.QueryInt("PRAGMA freelist_count"));
  EF_ASSIGN_OR_RETURN(int64_t page_size, db_.QueryInt("PRAGMA page_size"));
  return static_cast<uint64_t>((pages - free_pages) * page_size);
}

Result<uint64_t> Store::DeleteRawBefore(TimeMicros cutoff) {
  EF_ASSIGN_OR_RETURN(SqlStatement del, db_.Prepare("DELETE FROM raw WHERE series = ? AND t < ?"));
  uint64_t deleted = 0;
  for (int64_t series : all_series_) {
    del.BindInt(1, series);
    del.BindInt(2, cutoff);
    if (int rc = del.Run(); rc != SQLITE_DONE) return db_.Error(rc, "deleting old raw rows");
    deleted += static_cast<uint64_t>(db_.changes());
  }
  return deleted;
}

Result<uint64_t> Store::DeleteTierBefore(const std::string& table, TimeMicros cutoff) {
  EF_ASSIGN_OR_RETURN(SqlStatement del, db_.Prepare("DELETE FROM " + table + " WHERE series = ? AND t < ?"));
  uint64_t deleted = 0;
  for (int64_t series : all_series_) {
    del.BindInt(1, series);
    del.BindInt(2, cutoff);
    if (int rc = del.Run(); rc != SQLITE_DONE) return db_.Error(rc, "deleting old roll-up rows");
    deleted += static_cast<uint64_t>(db_.changes());
  }
  return deleted;
}

Result<Store::Evicted> Store::ApplyRetention(TimeMicros wall_now) {
  Evicted evicted;
  if (newest_time_ == 0) return evicted;  // nothing stored yet
  const TimeMicros now = std::min(wall_now, newest_time_);
  const TimeMicros raw_cutoff = now - options_.retention;
  Status st = InTransaction([&]() -> Status {
    EF_ASSIGN_OR_RETURN(uint64_t raw, DeleteRawBefore(raw_cutoff));
    evicted.age += raw;
    for (const TierWriter& tier : tiers_) {
      EF_ASSIGN_OR_RETURN(uint64_t rows, DeleteTierBefore(RollupTableName(tier.tier.step), now - tier.tier.keep));
      evicted.age += rows;
    }
    EF_ASSIGN_OR_RETURN(SqlStatement prune, db_.Prepare("DELETE FROM received WHERE t < ?"));
    prune.BindInt(1, raw_cutoff);
    if (int rc = prune.Run(); rc != SQLITE_DONE) return db_.Error(rc, "pruning received pairs");
    return Status::Ok();
  });
  if (!st.ok()) return st.WithContext("store " + options_.path + ": retention");
  return evicted;
}

Result<TimeMicros> Store::OldestTime(const std::string& table) {
  EF_ASSIGN_OR_RETURN(SqlStatement stmt, db_.Prepare("SELECT min(t) FROM " + table + " WHERE series = ?"));
  TimeMicros oldest = std::numeric_limits<TimeMicros>::max();
  for (int64_t series : all_series_) {
    stmt.BindInt(1, series);
    const int rc = stmt.Step();
    if (rc == SQLITE_ROW && stmt.ColumnType(0) != SQLITE_NULL) oldest = std::min(oldest, stmt.ColumnInt(0));
    stmt.Reset();
    if (rc != SQLITE_ROW) return db_.Error(rc, "finding the oldest row of " + table);
  }
  return oldest;
}

Result<uint64_t> Store::EvictForSize(double high, double low) {
  if (options_.max_size == 0) return uint64_t{0};
  EF_ASSIGN_OR_RETURN(uint64_t used, UsedBytes());
  if (static_cast<double>(used) <= high * static_cast<double>(options_.max_size)) return uint64_t{0};
  uint64_t total = 0;
  constexpr TimeMicros kNone = std::numeric_limits<TimeMicros>::max();
  while (static_cast<double>(used) > low * static_cast<double>(options_.max_size)) {
    // The oldest data first: raw rows, then the finest tier, then coarser.
    uint64_t deleted = 0;
    Status st = InTransaction([&]() -> Status {
      EF_ASSIGN_OR_RETURN(TimeMicros oldest, OldestTime("raw"));
      if (oldest != kNone) {
        const TimeMicros cutoff = oldest + std::max<TimeMicros>((newest_time_ - oldest) / 16, kMicrosPerSecond);
        EF_ASSIGN_OR_RETURN(deleted, DeleteRawBefore(cutoff));
        return Status::Ok();
      }
      for (const TierWriter& tier : tiers_) {
        const std::string table = RollupTableName(tier.tier.step);
        EF_ASSIGN_OR_RETURN(TimeMicros tier_oldest, OldestTime(table));
        if (tier_oldest == kNone) continue;
        const TimeMicros cutoff =
            tier_oldest + std::max<TimeMicros>((newest_time_ - tier_oldest) / 16, tier.tier.step);
        EF_ASSIGN_OR_RETURN(deleted, DeleteTierBefore(table, cutoff));
        return Status::Ok();
      }
      return Status::Ok();
    });
    if (!st.ok()) return st.WithContext("store " + options_.path + ": size eviction");
    if (deleted == 0) break;  // nothing left to evict
    total += deleted;
    EF_ASSIGN_OR_RETURN(used, UsedBytes());
  }
  return total;
}

}  // namespace edgeflow
