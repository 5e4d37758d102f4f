// CsvDecoder: CSV records (RFC 4180, one record per line) to Events.
//
// Columns come from `columns` or from a header line (ReadHeader). The
// `time_field` column is the event time, the `device_field` column the
// device; every other column becomes a field:
//   * an empty cell means the field is absent;
//   * a cell that reads fully as a number becomes a double (int64 for an
//     integral one with `integers: keep`); "NaN"/"inf" are rejected
//     ("non_finite");
//   * any other text becomes a string field;
//   * `types` overrides this per column (number, string, bool = true/false).
// Cells may be quoted ("a, b", "say ""hi"""); quoting does not change the
// type. Spaces around unquoted cells are ignored. A quoted cell cannot hold a
// line break (records are lines). Columns with an empty header name are
// ignored (e.g. a pandas index column).
// Rejections: "malformed_csv" (column count differs from the header,
// unterminated quote, text after a closing quote), "missing_time",
// "bad_time", "time_out_of_range", "missing_device", "non_finite",
// "type_mismatch", "too_large".
//
// Allocates nothing per record once warmed up (column names are interned
// once, device ids through a small cache). Not thread-safe: one per thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "connectors/codec/decode_options.h"
#include "connectors/codec/symbol_cache.h"
#include "model/batch.h"

namespace edgeflow {

struct CsvDecoderOptions : DecodeOptions {
  // Column names; empty means the first line of the input is the header.
  std::vector<std::string> columns;
  char delimiter = ',';
};

// The CSV-only parameters, for a source's ComponentDef.
std::vector<ParamDef> CsvDecoderParamDefs();
// Reads the CSV-only options into `options` (shared ones: ParseDecodeOptions).
void ParseCsvDecoderOptions(const ConfigNode& config, CsvDecoderOptions* options);

class CsvDecoder {
 public:
  // When options.columns is set they must be valid (see SetColumns);
  // ParseCsvDecoderOptions checks them.
  explicit CsvDecoder(CsvDecoderOptions options);

  // Whether the next line must be given to ReadHeader.
  bool needs_header() const { return columns_.empty(); }
  // Takes column names from a header line (a leading UTF-8 byte-order mark is
  // ignored). InvalidData when it is malformed or lacks a needed column.
  Status ReadHeader(std::string_view line);
  // Sets the column names: InvalidData on a duplicate name, a missing time
  // column, or a missing device column without default_device.
  Status SetColumns(std::vector<std::string> names);
  const std::vector<std::string>& column_names() const { return names_; }
  // Replaces default_device for the following lines (a transport that knows
  // the device per message, e.g. from an MQTT topic level).
  void SetDefaultDevice(Symbol device) { default_device_ = device; }

  // Decodes one record (a line without its line break) into `out`.
  DecodeResult DecodeLine(std::string_view line, TimeMicros now, Batch& out,
                          const RejectFn& on_reject = NoReject());

 private:
  enum class Role : uint8_t { kSkip, kField, kTime, kDevice };
  struct Column {
    Symbol symbol;
    Role role = Role::kField;
    DeclaredType type = DeclaredType::kAny;
  };

  // Splits `line` into cells_; false when malformed.
  bool Split(std::string_view line);
  DecodeReason DecodeCell(std::string_view cell, const Column& column, Event& event,
                          uint32_t* fields_dropped);
  DecodeReason Mismatch(uint32_t* fields_dropped) const;

  CsvDecoderOptions options_;
  std::vector<std::string> names_;
  std::vector<Column> columns_;
  Symbol default_device_;
  SymbolCache devices_;
  std::vector<std::string_view> cells_;
  std::string unescaped_;  // cells with "" escapes, unescaped
};

}  // namespace edgeflow
