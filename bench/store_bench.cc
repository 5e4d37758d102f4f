// Local store benchmark (src/storage/): batched insert rate, range query of
// one day of 1 Hz data for one series from raw rows and from the 1-minute
// roll-up, and the file size per million rows.
//   store_bench DIR [devices=10] [fields=3]
// Writes DIR/store_bench.db (removed first). Run through bench/run_store_bench.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "storage/store.h"
#include "storage/store_reader.h"

using namespace edgeflow;

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int64_t FileSize(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? info.st_size : 0;
}

// Median milliseconds of `runs` reads of one series; `rows` gets the row count.
double TimeQuery(const std::string& path, StoreQuery query, int runs, size_t* rows) {
  std::vector<double> times;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    auto reader = StoreReader::Open(path);
    if (!reader.ok()) {
      std::fprintf(stderr, "%s\n", reader.status().ToString().c_str());
      std::exit(1);
    }
    auto series = reader->FindSeries(query);
    size_t n = 0;
    double sink = 0;
    for (const SeriesInfo& s : *series) {
      Status st = reader->Read(query, s, [&](const SeriesInfo&, TimeMicros, const StoreValue& v) {
        sink += v.d;
        ++n;
        return true;
      });
      if (!st.ok()) std::exit(1);
    }
    times.push_back(Seconds(start) * 1000);
    *rows = n;
    if (sink == 42.4242) std::printf(" ");  // keep the loop
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store_bench DIR [devices=10] [fields=3]\n");
    return 2;
  }
  const std::string path = std::string(argv[1]) + "/store_bench.db";
  const int devices = argc > 2 ? std::atoi(argv[2]) : 10;
  const int fields = argc > 3 ? std::atoi(argv[3]) : 3;
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());

  StoreOptions options;
  options.path = path;
  options.retention = 7 * 24 * 3600 * kMicrosPerSecond;
  auto store = Store::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  std::vector<Symbol> device_names, field_names;
  for (int d = 0; d < devices; ++d) device_names.push_back(Symbol::Intern("press-" + std::to_string(d)));
  for (int f = 0; f < fields; ++f) field_names.push_back(Symbol::Intern("f" + std::to_string(f)));

  // One day at 1 Hz per device, batches of 1000 events (the executor's
  // default batch size), generated before timing.
  const TimeMicros t0 = 1'704'067'200LL * kMicrosPerSecond;  // 2024-01-01T00:00:00Z
  const int seconds = 86'400;
  std::vector<Batch> batches;
  Batch current;
  for (int s = 0; s < seconds; ++s) {
    for (int d = 0; d < devices; ++d) {
      Event& e = current.Append();
      e.time = t0 + static_cast<TimeMicros>(s) * kMicrosPerSecond;
      e.device = device_names[static_cast<size_t>(d)];
      for (int f = 0; f < fields; ++f) {
        e.SetDouble(field_names[static_cast<size_t>(f)], 20 + 5 * std::sin(s / 600.0 + d + f) + (s % 7) * 0.01);
      }
      if (current.size() == 1000) {
        batches.push_back(std::move(current));
        current = Batch();
      }
    }
  }
  if (!current.empty()) batches.push_back(std::move(current));

  uint64_t rows = 0;
  auto start = std::chrono::steady_clock::now();
  for (const Batch& b : batches) {
    auto r = (*store)->Append(b);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 1;
    }
    rows += r->rows;
  }
  const double insert_s = Seconds(start);
  start = std::chrono::steady_clock::now();
  if (Status st = (*store)->Sync(); !st.ok()) return 1;
  const double sync_s = Seconds(start);
  store->reset();

  StoreQuery raw;
  raw.device = "press-0";
  raw.field = "f0";
  raw.from = t0;
  raw.to = t0 + seconds * kMicrosPerSecond;
  size_t raw_rows = 0;
  const double raw_ms = TimeQuery(path, raw, 7, &raw_rows);
  StoreQuery rollup = raw;
  rollup.agg = StoreAggregate::kMean;
  rollup.step = 60 * kMicrosPerSecond;
  size_t rollup_rows = 0;
  const double rollup_ms = TimeQuery(path, rollup, 7, &rollup_rows);
  StoreQuery from_raw = rollup;
  from_raw.from += 1;  // not aligned to the tier: aggregated from raw rows
  size_t from_raw_rows = 0;
  const double from_raw_ms = TimeQuery(path, from_raw, 7, &from_raw_rows);

  const int64_t bytes = FileSize(path) + FileSize(path + "-wal");
  std::printf("rows: %llu (%d devices x %d fields x 86400 s at 1 Hz), batches of 1000 events\n",
              static_cast<unsigned long long>(rows), devices, fields);
  std::printf("batched insert:                 %10.0f rows/s  (%.2f s, + %.3f s final sync; 1-minute roll-up included)\n",
              static_cast<double>(rows) / insert_s, insert_s, sync_s);
  std::printf("range query, 1 day raw:         %10.2f ms  (%zu rows, median of 7)\n", raw_ms, raw_rows);
  std::printf("same day, mean per 1m (rollup): %10.2f ms  (%zu rows)\n", rollup_ms, rollup_rows);
  std::printf("same day, mean per 1m from raw: %10.2f ms  (%zu rows)\n", from_raw_ms, from_raw_rows);
  std::printf("db size:                        %10.1f MB per million rows (%.1f MB total)\n",
              static_cast<double>(bytes) / 1e6 / (static_cast<double>(rows) / 1e6), static_cast<double>(bytes) / 1e6);
  return 0;
}
