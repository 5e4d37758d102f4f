// Local store benchmark (src/storage/): batched insert rate, range query of
// one day of 1 Hz data for one series from raw rows and from the 1-minute
// roll-up, and the file size per million rows.
//   store_bench DIR [devices=10] [fields=3]
// Writes DIR/store_bench.db (removed first). Run through bench/run_store_bench.
#include <sys/stat.h>
#include <time.h>
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

// CPU time of this thread (user + system): on a shared, loaded machine the
// wall time measures the neighbours; both are printed.
double CpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timing {
  double wall_ms;
  double cpu_ms;
};

int64_t FileSize(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? info.st_size : 0;
}

// Median milliseconds (wall and CPU) of `runs` reads of one series; `rows`
// gets the row count.
Timing TimeQuery(const std::string& path, StoreQuery query, int runs, size_t* rows) {
  std::vector<double> times, cpu_times;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    const double cpu_start = CpuSeconds();
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
    cpu_times.push_back((CpuSeconds() - cpu_start) * 1000);
    *rows = n;
    if (sink == 42.4242) std::printf(" ");  // keep the loop
  }
  std::sort(times.begin(), times.end());
  std::sort(cpu_times.begin(), cpu_times.end());
  return {times[times.size() / 2], cpu_times[cpu_times.size() / 2]};
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
  const double cpu_start = CpuSeconds();
  for (const Batch& b : batches) {
    auto r = (*store)->Append(b);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 1;
    }
    rows += r->rows;
  }
  const double insert_s = Seconds(start);
  const double insert_cpu_s = CpuSeconds() - cpu_start;
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
  const Timing raw_ms = TimeQuery(path, raw, 7, &raw_rows);
  StoreQuery rollup = raw;
  rollup.agg = StoreAggregate::kMean;
  rollup.step = 60 * kMicrosPerSecond;
  size_t rollup_rows = 0;
  const Timing rollup_ms = TimeQuery(path, rollup, 7, &rollup_rows);
  StoreQuery from_raw = rollup;
  from_raw.from += 1;  // not aligned to the tier: aggregated from raw rows
  size_t from_raw_rows = 0;
  const Timing from_raw_ms = TimeQuery(path, from_raw, 7, &from_raw_rows);

  const int64_t bytes = FileSize(path) + FileSize(path + "-wal");
  std::printf("rows: %llu (%d devices x %d fields x 86400 s at 1 Hz), batches of 1000 events\n",
              static_cast<unsigned long long>(rows), devices, fields);
  std::printf("%-32s %14s %14s\n", "", "wall", "cpu (thread)");
  std::printf("%-32s %7.0f rows/s %7.0f rows/s  (%.2f s wall, %.2f s cpu; + %.3f s final sync; 1m roll-up included)\n",
              "batched insert:", static_cast<double>(rows) / insert_s, static_cast<double>(rows) / insert_cpu_s,
              insert_s, insert_cpu_s, sync_s);
  std::printf("%-32s %10.2f ms  %10.2f ms  (%zu rows, median of 7)\n", "range query, 1 day raw:", raw_ms.wall_ms,
              raw_ms.cpu_ms, raw_rows);
  std::printf("%-32s %10.2f ms  %10.2f ms  (%zu rows)\n", "same day, mean per 1m (rollup):", rollup_ms.wall_ms,
              rollup_ms.cpu_ms, rollup_rows);
  std::printf("%-32s %10.2f ms  %10.2f ms  (%zu rows)\n", "same day, mean per 1m from raw:", from_raw_ms.wall_ms,
              from_raw_ms.cpu_ms, from_raw_rows);
  std::printf("db size:                        %10.1f MB per million rows (%.1f MB total)\n",
              static_cast<double>(bytes) / 1e6 / (static_cast<double>(rows) / 1e6), static_cast<double>(bytes) / 1e6);
  return 0;
}
