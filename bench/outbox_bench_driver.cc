// Outbox benchmark (bench/run_outbox_bench): prints
//   1. append rate of ~100-byte events with fsync every 100 ms (group
//      commit), always and never;
//   2. drain rate: Peek + Ack of the whole backlog; and the same backlog
//      drained by both lanes (500 live + 500 oldest per round) while 250
//      fresh events are appended per round;
//   3. recovery time: Open with a backlog of N events;
//   4. for docs/adr/0004: the same append and drain through a SQLite table
//      (WAL, one transaction committed and synced every 100 ms).
//
//   outbox_bench DIR [EVENTS=1000000] [ALWAYS_EVENTS=2000]
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "forward/outbox.h"

using namespace edgeflow;
namespace fs = std::filesystem;

namespace {

using Steady = std::chrono::steady_clock;

double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

// A 100-byte JSON-ish payload, different per event.
std::string Payload(uint64_t i) {
  char buf[128];
  int n = std::snprintf(buf, sizeof(buf),
                        "{\"t\":%llu,\"temperature_c\":21.%03llu,\"vibration\":0.%04llu,\"pressure\":101.%02llu}",
                        static_cast<unsigned long long>(1700000000000 + i), static_cast<unsigned long long>(i % 1000),
                        static_cast<unsigned long long>(i % 10000), static_cast<unsigned long long>(i % 100));
  std::string s(buf, static_cast<size_t>(n));
  s.resize(100, ' ');
  return s;
}

std::vector<std::string> Devices() {
  std::vector<std::string> devices;
  for (int i = 0; i < 1000; ++i) devices.push_back("press-" + std::to_string(1000 + i));
  return devices;
}

uint64_t DirBytes(const fs::path& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

OutboxOptions Options(const fs::path& dir, FsyncPolicy policy) {
  OutboxOptions o;
  o.path = dir.string();
  o.fsync = policy;
  o.fsync_interval = 100 * kMicrosPerMilli;
  o.max_bytes = 8ull << 30;
  o.segment_bytes = 64ull << 20;
  o.max_in_flight = 1 << 20;
  return o;
}

void AppendRun(const fs::path& dir, FsyncPolicy policy, uint64_t events, bool keep) {
  fs::remove_all(dir);
  auto devices = Devices();
  std::vector<std::string> payloads;
  for (uint64_t i = 0; i < 4096; ++i) payloads.push_back(Payload(i));
  auto outbox = Outbox::Open(Options(dir, policy));
  if (!outbox.ok()) {
    std::fprintf(stderr, "open: %s\n", outbox.status().ToString().c_str());
    std::exit(1);
  }
  auto start = Steady::now();
  for (uint64_t i = 0; i < events; ++i) {
    auto seq = (*outbox)->Append(Priority::kTelemetry, devices[i % devices.size()], 1700000000000000 + i,
                                 payloads[i % payloads.size()]);
    if (!seq.ok()) {
      std::fprintf(stderr, "append: %s\n", seq.status().ToString().c_str());
      std::exit(1);
    }
  }
  double append_s = Seconds(start);
  Status commit = (*outbox)->Commit();
  double total_s = Seconds(start);
  auto stats = (*outbox)->Stats();
  outbox->reset();
  uint64_t bytes = DirBytes(dir);
  std::printf("append  fsync=%-8s %9llu events  %6.3f s  %11.0f events/s  (incl. final commit %11.0f events/s)  "
              "%.1f bytes/event on disk  %llu fsyncs%s\n",
              std::string(FsyncPolicyName(policy)).c_str(), static_cast<unsigned long long>(events), append_s,
              events / append_s, events / total_s, static_cast<double>(bytes) / events,
              static_cast<unsigned long long>(stats.fsyncs), commit.ok() ? "" : " COMMIT FAILED");
  if (!keep) fs::remove_all(dir);
}

void RecoverAndDrain(const fs::path& dir, uint64_t events) {
  auto start = Steady::now();
  auto outbox = Outbox::Open(Options(dir, FsyncPolicy::kInterval));
  double first_open_s = Seconds(start);
  outbox->reset();
  start = Steady::now();
  outbox = Outbox::Open(Options(dir, FsyncPolicy::kInterval));
  double open_s = Seconds(start);
  if (!outbox.ok()) {
    std::fprintf(stderr, "open: %s\n", outbox.status().ToString().c_str());
    std::exit(1);
  }
  auto stats = (*outbox)->Stats();
  std::printf("recover Open with a backlog of %llu events (%.0f MB): %.3f s (first Open after the writer closed: %.3f s)\n",
              static_cast<unsigned long long>(stats.classes[2].backlog_records),
              stats.classes[2].backlog_bytes / 1e6, open_s, first_open_s);

  std::vector<OutboxRecord> batch;
  std::vector<uint64_t> seqs;
  uint64_t drained = 0;
  start = Steady::now();
  for (;;) {
    batch.clear();
    if ((*outbox)->Peek(Priority::kTelemetry, 1000, 1 << 20, batch) == 0) break;
    seqs.clear();
    for (const auto& r : batch) seqs.push_back(r.seq);
    (*outbox)->Ack(seqs);
    drained += batch.size();
  }
  Status m = (*outbox)->Maintain();
  double drain_s = Seconds(start);
  std::printf("drain   Peek(1000)+Ack %llu events  %6.3f s  %11.0f events/s%s\n",
              static_cast<unsigned long long>(drained), drain_s, drained / drain_s,
              drained == events ? "" : "  MISSING EVENTS");
  (void)m;
  outbox->reset();
  fs::remove_all(dir);
}

// The backlog drained with the live lane open: each round appends 250 fresh
// events and takes up to 500 from the live lane and 500 from the backlog.
void DrainWithLiveLane(const fs::path& dir, uint64_t events) {
  auto outbox = Outbox::Open(Options(dir, FsyncPolicy::kNever));
  if (!outbox.ok()) {
    std::fprintf(stderr, "open: %s\n", outbox.status().ToString().c_str());
    std::exit(1);
  }
  uint64_t appended = 0;
  for (; appended < events; ++appended) {
    (void)(*outbox)->Append(Priority::kTelemetry, "press-" + std::to_string(1000 + appended % 1000), 0,
                            Payload(appended));
  }
  std::vector<OutboxRecord> batch;
  std::vector<uint64_t> seqs;
  uint64_t drained = 0, live = 0;
  auto start = Steady::now();
  for (;;) {
    for (int i = 0; i < 250 && drained < events; ++i, ++appended) {
      (void)(*outbox)->Append(Priority::kTelemetry, "press-" + std::to_string(1000 + appended % 1000), 0,
                              Payload(appended));
    }
    batch.clear();
    const size_t from_live = (*outbox)->Peek(Priority::kTelemetry, 500, 1 << 20, batch, Lane::kLive);
    (*outbox)->Peek(Priority::kTelemetry, 1000 - batch.size(), 1 << 20, batch, Lane::kBacklog);
    if (batch.empty()) break;
    live += from_live;
    seqs.clear();
    for (const auto& r : batch) seqs.push_back(r.seq);
    (*outbox)->Ack(seqs);
    drained += batch.size();
    if (drained % 100000 < 1000) (void)(*outbox)->Maintain();
  }
  double drain_s = Seconds(start);
  std::printf("drain   both lanes     %llu events  %6.3f s  %11.0f events/s  (%llu live while %llu were appended)%s\n",
              static_cast<unsigned long long>(drained), drain_s, drained / drain_s,
              static_cast<unsigned long long>(live), static_cast<unsigned long long>(appended - events),
              drained == appended ? "" : "  MISSING EVENTS");
  outbox->reset();
  fs::remove_all(dir);
}

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

// The same workload through a SQLite table: WAL, synchronous=FULL, one
// transaction per 100 ms (the group commit of the log).
void SqliteRun(const fs::path& dir, uint64_t events) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  sqlite3* db = nullptr;
  std::string path = (dir / "outbox.db").string();
  Check(sqlite3_open(path.c_str(), &db), db, "open");
  Check(sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=10000;"
                     "CREATE TABLE outbox(seq INTEGER PRIMARY KEY, priority INTEGER, append_time INTEGER,"
                     " time INTEGER, device TEXT, payload BLOB);",
                     nullptr, nullptr, nullptr),
        db, "schema");
  sqlite3_stmt* insert = nullptr;
  Check(sqlite3_prepare_v2(db, "INSERT INTO outbox VALUES(?,?,?,?,?,?)", -1, &insert, nullptr), db, "prepare");
  auto devices = Devices();
  std::vector<std::string> payloads;
  for (uint64_t i = 0; i < 4096; ++i) payloads.push_back(Payload(i));
  auto start = Steady::now();
  auto last_commit = start;
  uint64_t commits = 0;
  Check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
  for (uint64_t i = 0; i < events; ++i) {
    sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(i + 1));
    sqlite3_bind_int(insert, 2, 2);
    sqlite3_bind_int64(insert, 3, 1700000000000000 + static_cast<sqlite3_int64>(i));
    sqlite3_bind_int64(insert, 4, 1700000000000000 + static_cast<sqlite3_int64>(i));
    const std::string& device = devices[i % devices.size()];
    const std::string& payload = payloads[i % payloads.size()];
    sqlite3_bind_text(insert, 5, device.data(), static_cast<int>(device.size()), SQLITE_STATIC);
    sqlite3_bind_blob(insert, 6, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
    Check(sqlite3_step(insert), db, "insert");
    sqlite3_reset(insert);
    if ((i & 1023) == 0 && Steady::now() - last_commit >= std::chrono::milliseconds(100)) {
      Check(sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr), db, "commit");
      last_commit = Steady::now();
      ++commits;
    }
  }
  Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  double append_s = Seconds(start);
  sqlite3_finalize(insert);
  std::printf("sqlite  append WAL+FULL, commit/100ms %9llu events  %6.3f s  %11.0f events/s  %.1f bytes/event on disk "
              "%llu commits\n",
              static_cast<unsigned long long>(events), append_s, events / append_s,
              static_cast<double>(DirBytes(dir)) / events, static_cast<unsigned long long>(commits + 1));

  // Drain: read the oldest 1000, delete them (the ack), commit per batch.
  sqlite3_stmt* select = nullptr;
  sqlite3_stmt* erase = nullptr;
  Check(sqlite3_prepare_v2(db, "SELECT seq, time, device, payload FROM outbox WHERE priority=2 ORDER BY seq LIMIT 1000",
                           -1, &select, nullptr),
        db, "prepare");
  Check(sqlite3_prepare_v2(db, "DELETE FROM outbox WHERE seq <= ?", -1, &erase, nullptr), db, "prepare");
  start = Steady::now();
  uint64_t drained = 0;
  std::vector<std::string> batch;
  for (;;) {
    batch.clear();
    sqlite3_int64 last = 0;
    int rc;
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
      last = sqlite3_column_int64(select, 0);
      batch.emplace_back(static_cast<const char*>(sqlite3_column_blob(select, 3)), sqlite3_column_bytes(select, 3));
    }
    Check(rc, db, "select");
    sqlite3_reset(select);
    if (batch.empty()) break;
    sqlite3_bind_int64(erase, 1, last);
    Check(sqlite3_step(erase), db, "delete");
    sqlite3_reset(erase);
    drained += batch.size();
  }
  double drain_s = Seconds(start);
  std::printf("sqlite  drain SELECT 1000 + DELETE (autocommit)  %llu events  %6.3f s  %11.0f events/s\n",
              static_cast<unsigned long long>(drained), drain_s, drained / drain_s);
  sqlite3_finalize(select);
  sqlite3_finalize(erase);
  sqlite3_close(db);
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: outbox_bench DIR [EVENTS=1000000] [ALWAYS_EVENTS=2000] [SQLITE_EVENTS=EVENTS]\n");
    return 2;
  }
  fs::path dir = argv[1];
  uint64_t events = argc > 2 ? std::stoull(argv[2]) : 1000000;
  uint64_t always_events = argc > 3 ? std::stoull(argv[3]) : 2000;
  uint64_t sqlite_events = argc > 4 ? std::stoull(argv[4]) : events;
  spdlog::set_level(spdlog::level::warn);
  std::printf("payload 100 bytes, 1000 devices ('press-1000'...), telemetry class, segments of 64 MB\n");
  AppendRun(dir / "never", FsyncPolicy::kNever, events, false);
  AppendRun(dir / "always", FsyncPolicy::kAlways, always_events, false);
  AppendRun(dir / "interval", FsyncPolicy::kInterval, events, true);
  RecoverAndDrain(dir / "interval", events);
  DrainWithLiveLane(dir / "lanes", events);
  SqliteRun(dir / "sqlite", sqlite_events);
  return 0;
}
