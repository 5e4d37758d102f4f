// What the payload decoders (JSON, CSV) share: how to find an event's time
// and device in a record, which checks reject a record, and the reasons they
// report.
//
// The decoders turn bytes into Events; they know nothing of files, sockets or
// topics, so the replay, MQTT and HTTP sources all reuse them. Options are
// plain values, parsed once from a component's config by ParseDecodeOptions()
// and then read-only. Rejection reasons are fixed strings because they become
// counter labels (`dropped{reason="bad_time"}`).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "config/config_node.h"
#include "pipeline/registry.h"

namespace edgeflow {

// How a record's time value is read.
//
// kAuto: a string is ISO 8601 / RFC 3339 (ParseIsoTime); a number is epoch
// time whose unit is guessed from its magnitude: |v| < 1e11 seconds,
// < 1e14 milliseconds, < 1e17 microseconds, otherwise nanoseconds. (1e11 s is
// the year 5138; 1e11 ms is 1973; so the guess is right for any time since
// 1973 and until far in the future.)
// The kUnix* formats take a number or a numeric string in that unit;
// kIso8601 takes only strings.
enum class InputTimeFormat { kAuto, kIso8601, kUnixSeconds, kUnixMillis, kUnixMicros, kUnixNanos };
std::optional<InputTimeFormat> ParseInputTimeFormat(std::string_view name);
std::string_view InputTimeFormatName(InputTimeFormat format);

// A field's declared type (the `types` option).
enum class DeclaredType : uint8_t { kAny, kNumber, kString, kBool };

// What a record without a time value gets: rejected ("missing_time"), or the
// time it was received (the `now` given to the decoder). Devices on a
// network often send no clock of their own.
enum class MissingTimePolicy { kReject, kReceiveTime };

// What to do when a field's value does not have its declared type.
enum class TypeMismatchPolicy { kReject, kDropField };

// Why a record was rejected. Names (DecodeReasonName) are counter labels.
enum class DecodeReason : uint8_t {
  kAccepted = 0,
  kMalformedJson,     // "malformed_json": not valid JSON
  kMalformedCsv,      // "malformed_csv": wrong column count or unterminated quote
  kNotAnObject,       // "not_an_object": a JSON document (or array element) is not an object
  kMissingTime,       // "missing_time": no time value (absent, null or empty)
  kBadTime,           // "bad_time": the time value cannot be read or is not finite
  kTimeOutOfRange,    // "time_out_of_range": beyond max_future ahead or max_past behind `now`
  kMissingDevice,     // "missing_device": no device value and no default_device
  kNonFinite,         // "non_finite": NaN or infinity where a number is expected
  kTypeMismatch,      // "type_mismatch": a value does not match its declared type
  kUnsupportedValue,  // "unsupported_value": an array or too-deep object, in strict mode
  kTooLarge,          // "too_large": the record is longer than max_bytes
  kMalformedSenml,    // "malformed_senml": valid JSON but not a SenML pack (RFC 8428)
  kMalformedNumber,   // "malformed_number": a `number` payload that is not a number
  kMalformedKv,       // "malformed_kv": a `key=value` line without the `=`
  kInvalidUtf8,       // "invalid_utf8": text that is not valid UTF-8
  kNameLimit,         // "name_limit": a new field name or device id beyond Symbol::MaxNames()
};
inline constexpr int kDecodeReasonCount = static_cast<int>(DecodeReason::kNameLimit) + 1;
std::string_view DecodeReasonName(DecodeReason reason);

// How many bytes of a rejected record are kept for the dead letter.
inline constexpr size_t kExcerptBytes = 200;

// The first kExcerptBytes bytes of `record`.
inline std::string_view RecordExcerpt(std::string_view record) {
  return record.substr(0, kExcerptBytes);
}

// Options shared by every payload decoder.
struct DecodeOptions {
  std::string time_field = "time";
  InputTimeFormat time_format = InputTimeFormat::kAuto;
  MissingTimePolicy missing_time = MissingTimePolicy::kReject;
  std::string device_field = "device";
  // Used when a record has no device value; when empty such records are
  // rejected with "missing_device".
  std::string default_device;
  // Records longer than this are rejected with "too_large".
  size_t max_bytes = size_t{1} << 20;
  // Times more than max_future after `now`, or more than max_past before it,
  // are rejected with "time_out_of_range". 0 means unlimited.
  TimeMicros max_future = 24 * kMicrosPerHour;
  TimeMicros max_past = 0;
  // Declared field types; undeclared fields take the type of their value.
  std::map<std::string, DeclaredType, std::less<>> types;
  TypeMismatchPolicy on_type_mismatch = TypeMismatchPolicy::kReject;
  // Integral numbers become int64 fields instead of doubles.
  bool keep_integers = false;
};

// Summary of decoding one document (a JSON document or a CSV line).
struct DecodeResult {
  // kAccepted, or why the document (or, for a JSON array, its last rejected
  // element) was rejected.
  DecodeReason reason = DecodeReason::kAccepted;
  // The first kExcerptBytes of the rejected input. It points into the
  // caller's payload or the decoder's buffer: valid until the next call.
  std::string_view excerpt;
  uint32_t accepted = 0;        // events appended to the batch
  uint32_t rejected = 0;        // records rejected
  uint32_t fields_dropped = 0;  // fields dropped by on_type_mismatch: drop_field

  bool ok() const { return rejected == 0; }
};

// Called for every rejected record, in order (a JSON array can reject
// several elements of one document). `excerpt` is only valid during the call.
using RejectFn = std::function<void(DecodeReason reason, std::string_view excerpt)>;
// An empty RejectFn (the default argument: a shared one, so that callers not
// interested in rejections do not build a std::function per call).
const RejectFn& NoReject();

// Converts a record's time text or number to TimeMicros according to
// `format`; kBadTime when it cannot (unparseable, non-finite, out of range).
DecodeReason TimeFromText(std::string_view text, InputTimeFormat format, TimeMicros* out);
DecodeReason TimeFromDouble(double value, InputTimeFormat format, TimeMicros* out);
DecodeReason TimeFromInt(int64_t value, InputTimeFormat format, TimeMicros* out);
// kTimeOutOfRange when `t` falls outside the options' window around `now`.
inline DecodeReason CheckTimeRange(const DecodeOptions& options, TimeMicros t, TimeMicros now) {
  // Compare differences in a wider type: `t` may be anywhere in int64.
  const __int128 delta = static_cast<__int128>(t) - now;
  if (options.max_future > 0 && delta > options.max_future) return DecodeReason::kTimeOutOfRange;
  if (options.max_past > 0 && -delta > options.max_past) return DecodeReason::kTimeOutOfRange;
  return DecodeReason::kAccepted;
}

// Whether `text` is NaN or infinity as a number ("nan", "-Inf", "infinity",
// any case).
bool IsNonFiniteText(std::string_view text);

// The parameters of DecodeOptions, for a source's ComponentDef (and so the
// docs). max_bytes is not among them: each source names its own bound
// (replay: max_line_bytes) and sets DecodeOptions::max_bytes itself.
// `missing_time` is the source's default policy (files: reject; network
// sources: receive time).
std::vector<ParamDef> DecodeParamDefs(MissingTimePolicy missing_time = MissingTimePolicy::kReject);

// Reads DecodeOptions from a source's config (the keys of DecodeParamDefs);
// errors are recorded in the config's diagnostics with their key path.
DecodeOptions ParseDecodeOptions(const ConfigNode& config,
                                 MissingTimePolicy missing_time = MissingTimePolicy::kReject);

}  // namespace edgeflow
