// Running a detector over NAB data files under NAB's rules: one pass in
// file order, no look-ahead, a fresh detector per file, and the file's
// minimum, maximum and probationary length (15% of its rows, at most 750)
// as the only per-file facts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analytics/detector.h"
#include "analytics/nab/corpus.h"
#include "common/status.h"

namespace edgeflow::analytics::nab {

// The anomaly score of every row of `file`, in order (0 while warming up).
std::vector<double> RunDetector(const DetectorFactory& factory, const DataFile& file, uint64_t seed);

// Every `*.csv` under `dir`, recursively, as paths relative to `dir`, sorted.
Result<std::vector<std::string>> ListCsvFiles(const std::string& dir);

// Writes `timestamp,value,anomaly_score`, one row per data row, creating
// parent folders.
Status WriteResultFile(const std::string& path, const DataFile& file, const std::vector<double>& scores);

}  // namespace edgeflow::analytics::nab
