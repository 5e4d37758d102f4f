#include "storage/store_schema.h"

#include <set>

namespace edgeflow {
namespace {

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE series(
  id INTEGER PRIMARY KEY,
  device TEXT NOT NULL,
  field TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '',
  UNIQUE(device, field, tags));
CREATE TABLE raw(
  series INTEGER NOT NULL,
  t INTEGER NOT NULL,
  v,
  PRIMARY KEY(series, t)) WITHOUT ROWID;
CREATE TABLE rollup_tiers(
  step_us INTEGER PRIMARY KEY,
  keep_us INTEGER NOT NULL,
  tbl TEXT NOT NULL);
CREATE TABLE received(
  node TEXT NOT NULL,
  seq INTEGER NOT NULL,
  t INTEGER NOT NULL,
  PRIMARY KEY(node, seq)) WITHOUT ROWID;
CREATE INDEX received_by_time ON received(t);
INSERT INTO meta(key, value) VALUES('created_by', 'edgeflow ' || ')sql" EDGEFLOW_VERSION R"sql(');
)sql";

// Reads application_id, user_version and whether the file has any table.
// The first read of a file that is not SQLite fails here with "file is not
// a database".
struct FileFacts {
  int64_t application_id = 0;
  int64_t version = 0;
  int64_t tables = 0;
};

Result<FileFacts> ReadFacts(SqliteDb& db) {
  FileFacts facts;
  EF_ASSIGN_OR_RETURN(facts.tables, db.QueryInt("SELECT count(*) FROM sqlite_master"));
  EF_ASSIGN_OR_RETURN(facts.application_id, db.QueryInt("PRAGMA application_id"));
  EF_ASSIGN_OR_RETURN(facts.version, db.QueryInt("PRAGMA user_version"));
  return facts;
}

Status CheckFacts(const SqliteDb& db, const FileFacts& facts) {
  if (facts.tables > 0 && facts.application_id != kStoreApplicationId) {
    return Corruption(db.path() + " is an SQLite file but not an edgeflow store (application_id " +
                      std::to_string(facts.application_id) + "); refusing to use it");
  }
  if (facts.version > kStoreSchemaVersion) {
    return InvalidData(db.path() + " was written by a newer edgeflow (schema version " +
                       std::to_string(facts.version) + ", this build supports up to " +
                       std::to_string(kStoreSchemaVersion) + "); refusing to open it");
  }
  return Status::Ok();
}

}  // namespace

std::string RollupTableName(TimeMicros step) {
  return "rollup_" + std::to_string(step / kMicrosPerSecond) + "s";
}

Status PrepareStoreSchema(SqliteDb& db) {
  EF_ASSIGN_OR_RETURN(FileFacts facts, ReadFacts(db));
  EF_RETURN_IF_ERROR(CheckFacts(db, facts));
  if (facts.tables == 0) {
    // A new file: the page size can only be chosen before the first table.
    EF_RETURN_IF_ERROR(db.Exec("PRAGMA page_size=" + std::to_string(kStorePageSize)));
    EF_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    Status st = db.Exec(kSchemaV1);
    if (st.ok()) st = db.Exec("PRAGMA application_id=" + std::to_string(kStoreApplicationId));
    if (st.ok()) st = db.Exec("PRAGMA user_version=" + std::to_string(kStoreSchemaVersion));
    if (st.ok()) st = db.Exec("COMMIT");
    if (!st.ok()) {
      (void)db.Exec("ROLLBACK");
      return st.WithContext("cannot create the store schema in " + db.path());
    }
    return Status::Ok();
  }
  // Forward migrations go here, one step per version, each in a transaction
  // with its user_version update. Version 1 is the first format.
  return Status::Ok();
}

Status CheckStoreSchemaForRead(SqliteDb& db) {
  EF_ASSIGN_OR_RETURN(FileFacts facts, ReadFacts(db));
  EF_RETURN_IF_ERROR(CheckFacts(db, facts));
  if (facts.tables == 0) return NotFound(db.path() + " is empty: no data has been stored yet");
  return Status::Ok();
}

Result<std::vector<std::string>> SyncRollupTiers(SqliteDb& db, const std::vector<RollupTier>& tiers) {
  EF_ASSIGN_OR_RETURN(std::vector<RollupTier> existing, ReadRollupTiers(db));
  std::set<TimeMicros> wanted;
  for (const RollupTier& tier : tiers) wanted.insert(tier.step);
  std::vector<std::string> dropped;
  EF_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  Status st;
  for (const RollupTier& tier : existing) {
    if (!st.ok() || wanted.count(tier.step)) continue;
    const std::string table = RollupTableName(tier.step);
    st = db.Exec("DROP TABLE IF EXISTS " + table + "; DELETE FROM rollup_tiers WHERE step_us=" +
                 std::to_string(tier.step));
    dropped.push_back(table);
  }
  for (const RollupTier& tier : tiers) {
    if (!st.ok()) break;
    const std::string table = RollupTableName(tier.step);
    st = db.Exec("CREATE TABLE IF NOT EXISTS " + table +
                 "(series INTEGER NOT NULL, t INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,"
                 " min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL, last_t INTEGER NOT NULL,"
                 " PRIMARY KEY(series, t)) WITHOUT ROWID;"
                 "INSERT INTO rollup_tiers(step_us, keep_us, tbl) VALUES(" +
                 std::to_string(tier.step) + "," + std::to_string(tier.keep) + ",'" + table +
                 "') ON CONFLICT(step_us) DO UPDATE SET keep_us=excluded.keep_us");
  }
  if (st.ok()) st = db.Exec("COMMIT");
  if (!st.ok()) {
    (void)db.Exec("ROLLBACK");
    return st.WithContext("cannot set up the roll-up tiers");
  }
  return dropped;
}

Result<std::vector<RollupTier>> ReadRollupTiers(SqliteDb& db) {
  EF_ASSIGN_OR_RETURN(SqlStatement stmt, db.Prepare("SELECT step_us, keep_us FROM rollup_tiers ORDER BY step_us"));
  std::vector<RollupTier> tiers;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) tiers.push_back({stmt.ColumnInt(0), stmt.ColumnInt(1)});
  if (rc != SQLITE_DONE) return db.Error(rc, "reading rollup_tiers");
  return tiers;
}

}  // namespace edgeflow
