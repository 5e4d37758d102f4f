#include "analytics/nab/corpus.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/text.h"
#include "common/time_format.h"

namespace edgeflow::analytics::nab {
namespace {

namespace fs = std::filesystem;

std::vector<std::string_view> SplitCommas(std::string_view line) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    parts.push_back(TrimSpaces(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

bool ParseDouble(std::string_view text, double* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string Where(const std::string& path, size_t line) { return path + ":" + std::to_string(line); }

// Reads a whole CSV; calls `row(fields, line_number)` for each non-empty
// line after the header, which is handed to `header` first.
template <typename HeaderFn, typename RowFn>
Status ReadCsv(const std::string& path, HeaderFn header, RowFn row) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot open " + path);
  std::string line;
  size_t line_number = 0;
  bool seen_header = false;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (TrimSpaces(line).empty()) continue;
    const std::vector<std::string_view> fields = SplitCommas(line);
    if (!seen_header) {
      seen_header = true;
      EF_RETURN_IF_ERROR(header(fields, line_number));
      continue;
    }
    EF_RETURN_IF_ERROR(row(fields, line_number));
  }
  if (in.bad()) return IoError("read error in " + path);
  if (!seen_header) return InvalidData(path + ": empty file (no header)");
  return Status::Ok();
}

// ordered_json keeps the file's key order (profiles print in that order).
Result<nlohmann::ordered_json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot open " + path);
  try {
    return nlohmann::ordered_json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    return InvalidData(path + ": " + e.what());
  }
}

Result<std::vector<Window>> ParseWindows(const std::string& path, const std::string& key,
                                         const nlohmann::ordered_json& list) {
  std::vector<Window> windows;
  if (!list.is_array()) return InvalidData(path + ": \"" + key + "\" is not a list of windows");
  for (const nlohmann::ordered_json& pair : list) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      return InvalidData(path + ": \"" + key + "\": a window must be [\"start\", \"end\"]");
    }
    const auto start = ParseIsoTime(pair[0].get<std::string>());
    const auto end = ParseIsoTime(pair[1].get<std::string>());
    if (!start || !end) return InvalidData(path + ": \"" + key + "\": bad window timestamp");
    if (*end < *start) return InvalidData(path + ": \"" + key + "\": window ends before it starts");
    windows.push_back({*start, *end});
  }
  return windows;
}

Result<std::vector<Profile>> ParseProfiles(const std::string& path, const nlohmann::ordered_json& doc) {
  std::vector<Profile> profiles;
  if (!doc.is_object()) return InvalidData(path + ": expected an object of profiles");
  for (const auto& [name, body] : doc.items()) {
    const nlohmann::ordered_json* cost = body.is_object() && body.contains("CostMatrix") ? &body["CostMatrix"] : nullptr;
    if (cost == nullptr || !cost->is_object()) return InvalidData(path + ": profile \"" + name + "\" has no CostMatrix");
    Profile p{name, {}};
    for (auto [field, out] : {std::pair{"tpWeight", &p.cost.tp}, {"fpWeight", &p.cost.fp}, {"fnWeight", &p.cost.fn}}) {
      if (!cost->contains(field) || !(*cost)[field].is_number()) {
        return InvalidData(path + ": profile \"" + name + "\" lacks a numeric " + field);
      }
      *out = (*cost)[field].get<double>();
    }
    profiles.push_back(std::move(p));
  }
  if (profiles.empty()) return InvalidData(path + ": no profiles");
  return profiles;
}

}  // namespace

Result<DataFile> ReadDataFile(const std::string& path, const std::string& relative_path) {
  DataFile file;
  file.relative_path = relative_path;
  size_t value_column = 1;
  auto header = [&](const std::vector<std::string_view>& fields, size_t line) -> Status {
    if (fields.size() < 2 || fields[0] != "timestamp") {
      return InvalidData(Where(path, line) + ": header must start with timestamp,value");
    }
    const auto it = std::find(fields.begin(), fields.end(), "value");
    if (it == fields.end()) return InvalidData(Where(path, line) + ": no value column");
    value_column = static_cast<size_t>(it - fields.begin());
    return Status::Ok();
  };
  auto row = [&](const std::vector<std::string_view>& fields, size_t line) -> Status {
    if (fields.size() <= value_column) return InvalidData(Where(path, line) + ": missing value");
    const auto t = ParseIsoTime(fields[0]);
    if (!t) return InvalidData(Where(path, line) + ": bad timestamp '" + std::string(fields[0]) + "'");
    double v = 0;
    if (!ParseDouble(fields[value_column], &v) || !std::isfinite(v)) {
      return InvalidData(Where(path, line) + ": bad value '" + std::string(fields[value_column]) + "'");
    }
    file.timestamps.emplace_back(fields[0]);
    file.times_us.push_back(*t);
    file.values.push_back(v);
    return Status::Ok();
  };
  EF_RETURN_IF_ERROR(ReadCsv(path, header, row));
  if (file.values.empty()) return InvalidData(path + ": no data rows");
  return file;
}

Result<Corpus> LoadCorpus(const std::string& dir) {
  const std::string windows_path = dir + "/labels/combined_windows.json";
  const std::string profiles_path = dir + "/config/profiles.json";
  EF_ASSIGN_OR_RETURN(nlohmann::ordered_json windows_doc, ReadJson(windows_path));
  EF_ASSIGN_OR_RETURN(nlohmann::ordered_json profiles_doc, ReadJson(profiles_path));
  if (!windows_doc.is_object()) return InvalidData(windows_path + ": expected an object");

  Corpus corpus;
  EF_ASSIGN_OR_RETURN(corpus.profiles, ParseProfiles(profiles_path, profiles_doc));
  std::map<std::string, std::vector<Window>> labelled;  // sorted by path
  for (const auto& [key, list] : windows_doc.items()) {
    EF_ASSIGN_OR_RETURN(std::vector<Window> windows, ParseWindows(windows_path, key, list));
    corpus.total_windows += windows.size();
    labelled.emplace(key, std::move(windows));
  }
  for (auto& [relative, windows] : labelled) {
    EF_ASSIGN_OR_RETURN(DataFile file, ReadDataFile(dir + "/data/" + relative, relative));
    corpus.files.push_back(std::move(file));
    corpus.windows.push_back(std::move(windows));
  }
  if (corpus.files.empty()) return InvalidData(windows_path + ": no labelled files");
  return corpus;
}

Result<std::vector<double>> ReadResultScores(const std::string& results_dir, const DataFile& file) {
  std::string path = results_dir + "/" + file.relative_path;
  if (!fs::exists(path)) {
    const std::string flat = results_dir + "/" + fs::path(file.relative_path).filename().string();
    if (!fs::exists(flat)) return NotFound("no result file for " + file.relative_path + " in " + results_dir);
    path = flat;
  }
  std::vector<double> scores;
  scores.reserve(file.values.size());
  size_t column = 0;
  auto header = [&](const std::vector<std::string_view>& fields, size_t line) -> Status {
    const auto it = std::find(fields.begin(), fields.end(), "anomaly_score");
    if (it == fields.end()) return InvalidData(Where(path, line) + ": no anomaly_score column");
    column = static_cast<size_t>(it - fields.begin());
    return Status::Ok();
  };
  auto row = [&](const std::vector<std::string_view>& fields, size_t line) -> Status {
    double s = 0;
    if (fields.size() <= column || !ParseDouble(fields[column], &s) || !std::isfinite(s)) {
      return InvalidData(Where(path, line) + ": bad anomaly_score");
    }
    scores.push_back(s);
    return Status::Ok();
  };
  EF_RETURN_IF_ERROR(ReadCsv(path, header, row));
  if (scores.size() != file.values.size()) {
    return InvalidData(path + ": " + std::to_string(scores.size()) + " rows, the data file has " +
                       std::to_string(file.values.size()));
  }
  return scores;
}

}  // namespace edgeflow::analytics::nab
