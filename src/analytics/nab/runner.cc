#include "analytics/nab/runner.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>

#include "analytics/nab/scorer.h"

namespace edgeflow::analytics::nab {
namespace fs = std::filesystem;

std::vector<double> RunDetector(const DetectorFactory& factory, const DataFile& file, uint64_t seed) {
  SeriesInfo info;
  info.seed = seed;
  if (!file.values.empty()) {
    const auto [lo, hi] = std::minmax_element(file.values.begin(), file.values.end());
    info.min = *lo;
    info.max = *hi;
  }
  // NAB hands its detectors the probationary length too (part of its rules).
  info.warmup_values = static_cast<int64_t>(ProbationaryLength(file.values.size()));
  std::unique_ptr<Detector> detector = factory.Make(info);
  std::vector<double> scores(file.values.size());
  for (size_t i = 0; i < file.values.size(); ++i) {
    const Verdict v = detector->Update(file.times_us[i], file.values[i]);
    // Clamp: the NAB format promises [0, 1] whatever a method returns.
    scores[i] = v.warming_up || !(v.score > 0) ? 0.0 : std::min(v.score, 1.0);
  }
  return scores;
}

Result<std::vector<std::string>> ListCsvFiles(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound(dir + " is not a folder");
  std::vector<std::string> files;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".csv") {
      files.push_back(fs::relative(it->path(), dir).generic_string());
    }
  }
  if (ec) return IoError("listing " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

Status WriteResultFile(const std::string& path, const DataFile& file, const std::vector<double>& scores) {
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) return IoError("cannot create " + parent.string() + ": " + ec.message());
  std::ofstream out(path, std::ios::trunc);
  if (!out) return IoError("cannot write " + path);
  std::string text = "timestamp,value,anomaly_score\n";
  char buf[64];
  for (size_t i = 0; i < file.values.size(); ++i) {
    text += file.timestamps[i];
    text += ',';
    text.append(buf, std::to_chars(buf, buf + sizeof buf, file.values[i]).ptr);
    text += ',';
    text.append(buf, std::to_chars(buf, buf + sizeof buf, scores[i]).ptr);
    text += '\n';
  }
  out << text;
  out.close();
  if (!out) return IoError("write failed: " + path);
  return Status::Ok();
}

}  // namespace edgeflow::analytics::nab
