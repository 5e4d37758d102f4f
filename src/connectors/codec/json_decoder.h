// JsonDecoder: JSON payloads (one object per document, or newline-delimited
// JSON) to Events, with simdjson's On-Demand parser.
//
// Mapping of one object to an event:
//   * `time_field` is the event time (see InputTimeFormat), `device_field` the
//     device (a string, or a number taken as its text); neither becomes a field.
//   * numbers become double fields (int64 with `integers: keep`), strings
//     string fields, booleans bool fields; null means the field is absent.
//   * nested objects are flattened with '.' ({"a":{"b":1}} gives "a.b") down to
//     max_depth levels; deeper objects and all arrays are skipped (rejected as
//     "unsupported_value" when strict). Skipped values are not validated.
//   * the object under `tags_field` becomes the event's tags (string values;
//     numbers and booleans as their JSON text).
//   * duplicate keys: the last one wins.
// Rejections carry a DecodeReason (see decode_options.h); a rejected record
// appends nothing to the batch.
//
// Cost: the decoder allocates nothing per event once warmed up. Events are
// the batch's recycled ones; keys are resolved to Symbols through a cache
// indexed by the key's position in the object (the common case: every record
// has the same keys in the same order, so a key costs one short compare of
// its raw bytes), device ids through a bounded hash map (SymbolCache), so
// Symbol::Intern (which locks) runs only for new names. Memory: simdjson's
// parsers keep buffers of about 6x the largest document seen, plus ~0.8 MiB
// for DecodeLines' windows.
//
// Not thread-safe: use one decoder per thread. Movable, not copyable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "connectors/codec/decode_options.h"
#include "model/batch.h"

namespace edgeflow {

struct JsonDecoderOptions : DecodeOptions {
  // A document may also be an array of objects, one event each; otherwise an
  // array is "not_an_object".
  bool allow_arrays = false;
  // Top-level key whose object value holds the tags ("" for none).
  std::string tags_field = "tags";
  // Reject records with arrays or too-deep objects ("unsupported_value")
  // instead of skipping those values.
  bool strict = false;
  // Nesting levels flattened into field names; 1 keeps only top-level values.
  int max_depth = 4;
};

// The JSON-only parameters, for a source's ComponentDef.
std::vector<ParamDef> JsonDecoderParamDefs();
// Reads the JSON-only options into `options` (shared ones: ParseDecodeOptions).
void ParseJsonDecoderOptions(const ConfigNode& config, JsonDecoderOptions* options);

class JsonDecoder {
 public:
  // Bytes that must be readable (any content) after a payload for
  // DecodeInPlace to parse it without copying.
  static constexpr size_t kPadding = 64;

  explicit JsonDecoder(JsonDecoderOptions options);
  ~JsonDecoder();
  JsonDecoder(JsonDecoder&&) noexcept;
  JsonDecoder& operator=(JsonDecoder&&) noexcept;

  const JsonDecoderOptions& options() const;
  // Replaces default_device for the following calls (a transport that
  // knows the device per message, e.g. from an MQTT topic level).
  void SetDefaultDevice(Symbol device);

  // Decodes one document and appends its event(s) to `out`. `now` is the
  // wall-clock time for the max_future / max_past checks. `on_reject`, when
  // set, is called for every rejected record. Copies the payload into an
  // internal padded buffer (reused) first.
  DecodeResult Decode(std::string_view payload, TimeMicros now, Batch& out,
                      const RejectFn& on_reject = NoReject());
  // Same, parsing in place when `readable` (bytes readable from
  // payload.data()) is at least payload.size() + kPadding.
  DecodeResult DecodeInPlace(std::string_view payload, size_t readable, TimeMicros now, Batch& out,
                             const RejectFn& on_reject = NoReject());
  // Decodes newline-delimited JSON: every line that is not blank is one
  // document ("\r\n" endings accepted), with the same results as decoding
  // each line alone, but faster: lines are parsed in windows of many with
  // simdjson's iterate_many (one stage-1 pass per window; at most ~128 KiB).
  // Stops after the line that brings the events appended to `max_events`;
  // `consumed`, when given, receives the bytes of the lines handled (the
  // caller resumes from there). The result sums over the lines; `reason`
  // and `excerpt` are those of the last rejection.
  DecodeResult DecodeLines(std::string_view buffer, TimeMicros now, Batch& out,
                           const RejectFn& on_reject = NoReject(),
                           size_t max_events = SIZE_MAX, size_t* consumed = nullptr);
  // Same, for a buffer followed by at least kPadding readable bytes
  // (`readable` >= buffer.size() + kPadding): parsed in place, where
  // DecodeLines first copies the buffer into a padded one it reuses.
  DecodeResult DecodeLinesInPlace(std::string_view buffer, size_t readable, TimeMicros now,
                                  Batch& out, const RejectFn& on_reject = NoReject(),
                                  size_t max_events = SIZE_MAX, size_t* consumed = nullptr);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeflow
