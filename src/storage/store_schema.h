// The schema of the local store file (docs/design/store.md): version checks,
// creation and forward migrations, and the roll-up tier tables.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/sqlite_db.h"

namespace edgeflow {

inline constexpr int64_t kStoreApplicationId = 0x45464C57;  // "EFLW"
inline constexpr int64_t kStoreSchemaVersion = 1;
inline constexpr int kStorePageSize = 8192;

// One roll-up tier: fixed buckets of `step`, kept for `keep`.
struct RollupTier {
  TimeMicros step = 0;
  TimeMicros keep = 0;
};

// "rollup_60s" for a 1-minute step.
std::string RollupTableName(TimeMicros step);

// Checks that `db` is an edgeflow store this build can use and brings it to
// the current version: creates a new file, migrates an older one, refuses a
// foreign or newer one (leaving it unchanged). Must run before anything else
// writes to the file.
Status PrepareStoreSchema(SqliteDb& db);

// Checks a file for reading only (edgeflow query): refuses foreign and newer
// files, never writes.
Status CheckStoreSchemaForRead(SqliteDb& db);

// Makes the tier tables match `tiers`: creates missing ones, drops (and
// returns the names of) tiers no longer configured.
Result<std::vector<std::string>> SyncRollupTiers(SqliteDb& db, const std::vector<RollupTier>& tiers);

// The tiers recorded in the file, finest first.
Result<std::vector<RollupTier>> ReadRollupTiers(SqliteDb& db);

}  // namespace edgeflow
