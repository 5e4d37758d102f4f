// The `edgeflow` subcommands. Each returns the process exit code:
// 0 success, 1 runtime failure, 2 bad pipeline file or usage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/log.h"

namespace edgeflow {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadConfig = 2;

struct RunOptions {
  std::string pipeline_path;
  bool print_stats = false;
  LogFormat log_format = LogFormat::kText;
  std::string log_level = "info";
  bool status_line = true;  // only on a terminal
  double duration_seconds = 0;  // 0: until stopped or sources end
};

struct QueryOptions {
  std::string db_path;        // --db
  std::string pipeline_path;  // --pipeline: take the path of its store sink
  std::string from;           // RFC 3339, "now" or relative ("-1h")
  std::string to;
  std::string device;
  std::string field;
  std::string agg;   // mean | min | max | sum | count | last; empty: raw rows
  std::string step;  // duration, with --agg
  std::string format = "table";  // table | csv | json
  size_t limit = 10000;          // rows; 0 = no limit
};

int RunCommand(const RunOptions& options);
// Reads raw rows or aggregates of the local store (src/storage/).
int QueryCommand(const QueryOptions& options);
int CheckCommand(const std::vector<std::string>& paths, bool quiet);
// Writes docs/reference/*.md for every registered component into `out_dir`.
int DocsCommand(const std::string& out_dir);
// Lists component types with their summaries.
int ListCommand();

// `edgeflow nab run|score|eval|methods`: the Numenta Anomaly Benchmark.
struct NabOptions {
  std::string action;       // run | score | eval | methods
  std::string data_dir;     // NAB root: data/, labels/, config/
  std::string method;       // detection method name
  std::vector<std::string> set;  // key=value method parameters
  std::string out_dir;      // run/eval: where result CSVs go
  std::string results_dir;  // score: the result CSVs to score
  uint64_t seed = 0;
  bool brief = false;       // eval: one line (for bench/run_nab)
};
int NabCommand(const NabOptions& options);

}  // namespace edgeflow
