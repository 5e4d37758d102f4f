// edgeflow query: reads series of a local store file (the `store` sink) as
// a table, CSV or JSON lines, raw or aggregated per step.
#include <cstdio>
#include <string>
#include <vector>

#include "app/commands.h"
#include "common/clock.h"
#include "common/json_text.h"
#include "common/time_format.h"
#include "config/units.h"
#include "config/yaml_loader.h"
#include "storage/store_reader.h"

namespace edgeflow {
namespace {

// "2024-01-01T00:00:00Z", "now", "-1h" / "now-1h" (before now), "+5m".
Result<TimeMicros> ParseQueryTime(const std::string& text, TimeMicros now) {
  if (text == "now") return now;
  std::string_view rest = text;
  if (rest.starts_with("now")) rest.remove_prefix(3);
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    auto d = ParseDuration(rest.substr(1));
    if (!d.ok()) return InvalidConfig("bad relative time '" + text + "': " + d.status().message());
    return rest[0] == '-' ? now - *d : now + *d;
  }
  if (auto t = ParseIsoTime(text)) return *t;
  return InvalidConfig("bad time '" + text + "' (use RFC 3339 like 2024-01-01T00:00:00Z, now, or -1h)");
}

// The path of the first `store` sink of a pipeline file.
Result<std::string> StorePathOfPipeline(const std::string& pipeline) {
  Diagnostics diagnostics;
  auto loaded = LoadYamlFile(pipeline, &diagnostics);
  if (!loaded) return InvalidConfig(diagnostics.ToString());
  const YAML::Node sinks = loaded->root["sinks"];
  if (sinks && sinks.IsSequence()) {
    for (const YAML::Node& sink : sinks) {
      if (sink.IsMap() && sink["type"] && sink["type"].as<std::string>("") == "store" && sink["path"]) {
        return sink["path"].as<std::string>("");
      }
    }
  }
  return InvalidConfig(pipeline + " has no sink of type store with a path");
}

void AppendCsvCell(std::string_view s, std::string& out) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) {
    out += s;
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void AppendValue(const StoreValue& v, bool json, std::string& out) {
  switch (v.type) {
    case StoreValue::Type::kDouble: AppendJsonNumber(v.d, out); break;
    case StoreValue::Type::kInt: out += std::to_string(v.i); break;
    case StoreValue::Type::kText:
      if (json) {
        AppendJsonString(v.text, out);
      } else {
        out += v.text;
      }
      break;
  }
}

struct Column {
  std::string name;
  size_t width;
};

class RowPrinter {
 public:
  RowPrinter(std::string format, std::string value_name, const std::vector<SeriesInfo>& series)
      : format_(std::move(format)), value_name_(std::move(value_name)) {
    for (const SeriesInfo& s : series) {
      device_width_ = std::max(device_width_, s.device.size());
      field_width_ = std::max(field_width_, s.field.size());
      tags_width_ = std::max(tags_width_, s.tags.size());
      if (!s.tags.empty()) with_tags_ = true;
    }
  }

  void Header() {
    std::string line;
    if (format_ == "csv") {
      line = with_tags_ ? "time,device,field,tags," : "time,device,field,";
      line += value_name_;
    } else if (format_ == "table") {
      Pad("time", 27, line);
      Pad("device", device_width_ + 2, line);
      Pad("field", field_width_ + 2, line);
      if (with_tags_) Pad("tags", tags_width_ + 2, line);
      line += value_name_;
    } else {
      return;  // JSON lines have no header
    }
    std::printf("%s\n", line.c_str());
  }

  void Row(const SeriesInfo& s, TimeMicros t, const StoreValue& v) {
    line_.clear();
    if (format_ == "json") {
      line_ += "{\"time\":\"";
      AppendIsoTime(t, line_);
      line_ += "\",\"device\":";
      AppendJsonString(s.device, line_);
      line_ += ",\"field\":";
      AppendJsonString(s.field, line_);
      if (!s.tags.empty()) line_ += ",\"tags\":" + s.tags;
      line_ += ",\"" + value_name_ + "\":";
      AppendValue(v, true, line_);
      line_ += "}";
    } else if (format_ == "csv") {
      AppendIsoTime(t, line_);
      line_ += ',';
      AppendCsvCell(s.device, line_);
      line_ += ',';
      AppendCsvCell(s.field, line_);
      if (with_tags_) {
        line_ += ',';
        AppendCsvCell(s.tags, line_);
      }
      line_ += ',';
      std::string value;
      AppendValue(v, false, value);
      AppendCsvCell(value, line_);
    } else {
      std::string time;
      AppendIsoTime(t, time);
      Pad(time, 27, line_);
      Pad(s.device, device_width_ + 2, line_);
      Pad(s.field, field_width_ + 2, line_);
      if (with_tags_) Pad(s.tags, tags_width_ + 2, line_);
      AppendValue(v, false, line_);
    }
    std::fwrite(line_.data(), 1, line_.size(), stdout);
    std::fputc('\n', stdout);
  }

 private:
  static void Pad(std::string_view text, size_t width, std::string& out) {
    out += text;
    out.append(width > text.size() ? width - text.size() : 1, ' ');
  }

  std::string format_;
  std::string value_name_;
  size_t device_width_ = 6, field_width_ = 5, tags_width_ = 4;
  bool with_tags_ = false;
  std::string line_;
};

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "edgeflow query: %s\n", message.c_str());
  return code;
}

}  // namespace

int QueryCommand(const QueryOptions& options) {
  std::string path = options.db_path;
  if (path.empty() && !options.pipeline_path.empty()) {
    auto from_pipeline = StorePathOfPipeline(options.pipeline_path);
    if (!from_pipeline.ok()) return Fail(kExitBadConfig, from_pipeline.status().message());
    path = *from_pipeline;
  }
  if (path.empty()) return Fail(kExitBadConfig, "give the store with --db PATH or --pipeline FILE");

  StoreQuery query;
  query.device = options.device;
  query.field = options.field;
  const TimeMicros now = SystemClock().Now();
  if (!options.from.empty()) {
    auto t = ParseQueryTime(options.from, now);
    if (!t.ok()) return Fail(kExitBadConfig, "--from: " + t.status().message());
    query.from = *t;
  }
  if (!options.to.empty()) {
    auto t = ParseQueryTime(options.to, now);
    if (!t.ok()) return Fail(kExitBadConfig, "--to: " + t.status().message());
    query.to = *t;
  }
  if (query.from >= query.to) return Fail(kExitBadConfig, "--from must be before --to");
  if (!options.agg.empty() && !ParseStoreAggregate(options.agg, &query.agg)) {
    return Fail(kExitBadConfig, "--agg: unknown aggregate '" + options.agg + "' (mean, min, max, sum, count, last)");
  }
  if (!options.step.empty()) {
    if (query.agg == StoreAggregate::kNone) return Fail(kExitBadConfig, "--step needs --agg");
    auto step = ParseDuration(options.step);
    if (!step.ok() || *step <= 0) return Fail(kExitBadConfig, "--step: bad duration '" + options.step + "'");
    query.step = *step;
  }

  auto reader = StoreReader::Open(path);
  if (!reader.ok()) return Fail(kExitFailure, reader.status().message());
  auto series = reader->FindSeries(query);
  if (!series.ok()) return Fail(kExitFailure, series.status().message());
  if (series->empty()) {
    std::string what = "no series";
    if (!query.device.empty()) what += " of device '" + query.device + "'";
    if (!query.field.empty()) what += " with field '" + query.field + "'";
    return Fail(kExitFailure, what + " in " + path);
  }
  if (query.agg != StoreAggregate::kNone) {
    auto source = reader->ChooseSource(query);
    if (source.ok()) std::fprintf(stderr, "edgeflow query: reading %s\n", source->c_str());
  }

  RowPrinter printer(options.format, std::string(StoreAggregateName(query.agg)), *series);
  printer.Header();
  size_t printed = 0;
  bool limited = false;
  for (const SeriesInfo& s : *series) {
    Status st = reader->Read(query, s, [&](const SeriesInfo& info, TimeMicros t, const StoreValue& v) {
      if (options.limit > 0 && printed >= options.limit) {
        limited = true;
        return false;
      }
      printer.Row(info, t, v);
      ++printed;
      return true;
    });
    if (!st.ok()) return Fail(kExitFailure, st.message());
    if (limited) break;
  }
  std::fflush(stdout);
  if (limited) std::fprintf(stderr, "edgeflow query: stopped at --limit %zu rows\n", options.limit);
  return kExitOk;
}

}  // namespace edgeflow
