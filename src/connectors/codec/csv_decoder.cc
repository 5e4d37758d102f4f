#include "connectors/codec/csv_decoder.h"

#include "common/text.h"

#include <charconv>
#include <cmath>
#include <set>

namespace edgeflow {
namespace {

bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t'; }

bool ParseFullDouble(std::string_view s, double* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ParseFullInt(std::string_view s, int64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

CsvDecoder::CsvDecoder(CsvDecoderOptions options) : options_(std::move(options)) {
  if (!options_.default_device.empty()) default_device_ = Symbol::Intern(options_.default_device);
  if (!options_.columns.empty()) {
    Status status = SetColumns(options_.columns);
    CHECK(status.ok()) << "CsvDecoder: " << status.ToString();
  }
}

Status CsvDecoder::SetColumns(std::vector<std::string> names) {
  std::set<std::string_view> seen;
  bool has_time = false;
  bool has_device = false;
  std::vector<Column> columns;
  for (const std::string& name : names) {
    Column column;
    if (name.empty()) {
      column.role = Role::kSkip;
    } else {
      if (!seen.insert(name).second) return InvalidData("duplicate column '" + name + "'");
      if (name == options_.time_field) {
        column.role = Role::kTime;
        has_time = true;
      } else if (!options_.device_field.empty() && name == options_.device_field) {
        column.role = Role::kDevice;
        has_device = true;
      } else {
        column.symbol = Symbol::Intern(name);
        auto it = options_.types.find(name);
        if (it != options_.types.end()) column.type = it->second;
      }
    }
    columns.push_back(column);
  }
  std::string list;
  for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
  // Without a time column every record takes its receive time (missing_time: now).
  if (!has_time && options_.missing_time == MissingTimePolicy::kReject) {
    return InvalidData("no time column '" + options_.time_field + "' (columns: " + list + ")");
  }
  if (!has_device && default_device_.empty()) {
    return InvalidData("no device column '" + options_.device_field + "' (columns: " + list +
                       ") and no default_device");
  }
  names_ = std::move(names);
  columns_ = std::move(columns);
  return Status::Ok();
}

Status CsvDecoder::ReadHeader(std::string_view line) {
  if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!Split(line)) return InvalidData("malformed CSV header: unterminated quote");
  std::vector<std::string> names;
  names.reserve(cells_.size());
  for (std::string_view cell : cells_) names.emplace_back(cell);
  return SetColumns(std::move(names));
}

bool CsvDecoder::Split(std::string_view line) {
  cells_.clear();
  unescaped_.clear();
  // Unescaped cells are never longer than the line: reserving it up front
  // keeps the views into unescaped_ valid.
  if (unescaped_.capacity() < line.size()) unescaped_.reserve(line.size());
  const char delimiter = options_.delimiter;
  const size_t n = line.size();
  size_t i = 0;
  while (true) {
    size_t start = i;
    while (start < n && IsSpaceOrTab(line[start])) ++start;
    if (start < n && line[start] == '"') {
      const size_t buffer_start = unescaped_.size();
      bool escaped = false;
      size_t segment = start + 1;
      size_t j = segment;
      std::string_view cell;
      while (true) {
        const size_t quote = line.find('"', j);
        if (quote == std::string_view::npos) return false;  // unterminated
        if (quote + 1 < n && line[quote + 1] == '"') {      // "" inside quotes
          unescaped_.append(line.substr(segment, quote + 1 - segment));
          j = quote + 2;
          segment = j;
          escaped = true;
          continue;
        }
        if (escaped) {
          unescaped_.append(line.substr(segment, quote - segment));
          cell = std::string_view(unescaped_).substr(buffer_start);
        } else {
          cell = line.substr(start + 1, quote - start - 1);
        }
        i = quote + 1;
        break;
      }
      while (i < n && IsSpaceOrTab(line[i])) ++i;
      if (i < n && line[i] != delimiter) return false;  // text after the closing quote
      cells_.push_back(cell);
    } else {
      size_t end = line.find(delimiter, i);
      if (end == std::string_view::npos) end = n;
      cells_.push_back(TrimSpaces(line.substr(i, end - i)));
      i = end;
    }
    if (i >= n) break;
    ++i;  // the delimiter
    if (i == n) {  // a trailing delimiter ends with an empty cell
      cells_.push_back({});
      break;
    }
  }
  return true;
}

DecodeReason CsvDecoder::Mismatch(uint32_t* fields_dropped) const {
  if (options_.on_type_mismatch == TypeMismatchPolicy::kDropField) {
    ++*fields_dropped;
    return DecodeReason::kAccepted;
  }
  return DecodeReason::kTypeMismatch;
}

DecodeReason CsvDecoder::DecodeCell(std::string_view cell, const Column& column, Event& event,
                                    uint32_t* fields_dropped) {
  if (cell.empty()) return DecodeReason::kAccepted;  // absent
  // Column names are unique (SetColumns checks), so append without the
  // linear search of Event::Set: a record with many columns stays linear.
  switch (column.type) {
    case DeclaredType::kString:
      event.AppendUnchecked(column.symbol, event.StoreText(cell));
      return DecodeReason::kAccepted;
    case DeclaredType::kBool:
      if (EqualsIgnoreCase(cell, "true")) {
        event.AppendUnchecked(column.symbol, Value::Bool(true));
      } else if (EqualsIgnoreCase(cell, "false")) {
        event.AppendUnchecked(column.symbol, Value::Bool(false));
      } else {
        return Mismatch(fields_dropped);
      }
      return DecodeReason::kAccepted;
    case DeclaredType::kNumber:
    case DeclaredType::kAny: break;
  }
  int64_t i = 0;
  if (options_.keep_integers && ParseFullInt(cell, &i)) {
    event.AppendUnchecked(column.symbol, Value::Int(i));
    return DecodeReason::kAccepted;
  }
  double d = 0;
  if (ParseFullDouble(cell, &d)) {
    if (!std::isfinite(d)) return DecodeReason::kNonFinite;
    event.AppendUnchecked(column.symbol, Value::Double(d));
    return DecodeReason::kAccepted;
  }
  if (IsNonFiniteText(cell)) return DecodeReason::kNonFinite;  // "+inf", "-Infinity"
  if (column.type == DeclaredType::kNumber) return Mismatch(fields_dropped);
  event.AppendUnchecked(column.symbol, event.StoreText(cell));
  return DecodeReason::kAccepted;
}

DecodeResult CsvDecoder::DecodeLine(std::string_view line, TimeMicros now, Batch& out,
                                    const RejectFn& on_reject) {
  DecodeResult result;
  auto reject = [&](DecodeReason reason) {
    result.reason = reason;
    result.excerpt = RecordExcerpt(line);
    result.rejected = 1;
    if (on_reject) on_reject(reason, result.excerpt);
    return result;
  };
  if (line.size() > options_.max_bytes) return reject(DecodeReason::kTooLarge);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!Split(line) || cells_.size() != columns_.size()) return reject(DecodeReason::kMalformedCsv);

  Event& event = out.Append();
  bool has_time = false;
  TimeMicros time = 0;
  Symbol device;
  uint32_t fields_dropped = 0;
  DecodeReason reason = DecodeReason::kAccepted;
  for (size_t c = 0; c < columns_.size() && reason == DecodeReason::kAccepted; ++c) {
    const Column& column = columns_[c];
    const std::string_view cell = cells_[c];
    switch (column.role) {
      case Role::kSkip: break;
      case Role::kTime:
        if (!cell.empty()) {
          reason = TimeFromText(cell, options_.time_format, &time);
          has_time = reason == DecodeReason::kAccepted;
        }
        break;
      case Role::kDevice:
        if (!cell.empty()) {
          device = devices_.Get(cell);
          if (device.empty()) reason = DecodeReason::kNameLimit;
        }
        break;
      case Role::kField: reason = DecodeCell(cell, column, event, &fields_dropped); break;
    }
  }
  if (!has_time && options_.missing_time == MissingTimePolicy::kReceiveTime) {
    has_time = true;
    time = now;
  }
  if (reason == DecodeReason::kAccepted && !has_time) reason = DecodeReason::kMissingTime;
  if (reason == DecodeReason::kAccepted && device.empty()) {
    device = default_device_;
    if (device.empty()) reason = DecodeReason::kMissingDevice;
  }
  if (reason == DecodeReason::kAccepted) reason = CheckTimeRange(options_, time, now);
  if (reason != DecodeReason::kAccepted) {
    out.PopBack();
    return reject(reason);
  }
  event.time = time;
  event.device = device;
  result.accepted = 1;
  result.fields_dropped = fields_dropped;
  return result;
}

std::vector<ParamDef> CsvDecoderParamDefs() {
  return {
      {"columns", "list of string", "",
       "CSV: column names. When absent the first line of the file is the header.", false},
      {"delimiter", "string", ",", "CSV: the one-character cell separator (e.g. \";\" or \"\\t\").",
       false},
  };
}

void ParseCsvDecoderOptions(const ConfigNode& config, CsvDecoderOptions* options) {
  const ConfigNode delimiter = config["delimiter"];
  const std::string d = delimiter.String(std::string(1, options->delimiter));
  if (d.size() != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r') {
    delimiter.Error("must be one character other than a quote or a line break");
  } else {
    options->delimiter = d[0];
  }
  const ConfigNode columns = config["columns"];
  options->columns = columns.StringList();
  if (columns.defined() && options->columns.empty()) columns.Error("must not be empty");
  if (!options->columns.empty()) {
    // Validate now so a bad list is a config error, not a runtime one.
    CsvDecoderOptions probe = *options;
    probe.columns.clear();
    Status status = CsvDecoder(probe).SetColumns(options->columns);
    if (!status.ok()) {
      columns.Error(status.message());
      options->columns.clear();
    }
  }
}

}  // namespace edgeflow
