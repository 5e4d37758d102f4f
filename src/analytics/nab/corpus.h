// The NAB corpus on disk: data files, labelled anomaly windows, scoring
// profiles, and detector result files (the Numenta Anomaly Benchmark layout).
//
//   <dir>/data/<category>/<file>.csv        timestamp,value
//   <dir>/labels/combined_windows.json      {"<category>/<file>.csv": [[start, end], ...]}
//   <dir>/config/profiles.json              {"standard": {"CostMatrix": {...}}, ...}
//   <results>/<category>/<file>.csv         timestamp,value,anomaly_score (or flat <file>.csv)
//
// Rows are kept in file order: NAB pairs data rows and result rows by
// position, and some files repeat or step back in time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace edgeflow::analytics::nab {

struct DataFile {
  std::string relative_path;             // "realKnownCause/nyc_taxi.csv"
  std::vector<std::string> timestamps;   // as written in the file
  std::vector<int64_t> times_us;         // parsed (the text as UTC)
  std::vector<double> values;
};

// An anomaly window; both ends are inclusive and equal a row's timestamp.
struct Window {
  int64_t start_us = 0;
  int64_t end_us = 0;
};

struct CostMatrix {
  double tp = 1.0;
  double fp = 0.11;
  double fn = 1.0;
};

struct Profile {
  std::string name;  // "standard"
  CostMatrix cost;
};

struct Corpus {
  std::vector<DataFile> files;                // sorted by relative path
  std::vector<std::vector<Window>> windows;   // parallel to `files`
  std::vector<Profile> profiles;              // in the file's order
  // Every window in the label file: NAB's "perfect detector" count.
  size_t total_windows = 0;
};

// Reads one `timestamp,value` CSV.
Result<DataFile> ReadDataFile(const std::string& path, const std::string& relative_path);

// Loads the corpus under `dir`. Only labelled files are taken; a labelled
// file without data is an error.
Result<Corpus> LoadCorpus(const std::string& dir);

// Reads the `anomaly_score` column of a detector's result file for `file`
// from `results_dir` (<category>/<name> or flat <name>). It must have one
// row per data row; scores must be finite.
Result<std::vector<double>> ReadResultScores(const std::string& results_dir, const DataFile& file);

}  // namespace edgeflow::analytics::nab
