#include "connectors/codec/decode_options.h"

#include "common/text.h"

#include <charconv>
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/time_format.h"

namespace edgeflow {
namespace {

// Micros per unit, and the largest |value| that converts without overflow.
int64_t MicrosPerUnit(EpochUnit unit) {
  switch (unit) {
    case EpochUnit::kSeconds: return kMicrosPerSecond;
    case EpochUnit::kMillis: return kMicrosPerMilli;
    case EpochUnit::kMicros: return 1;
    case EpochUnit::kNanos: return 1;  // divides instead
  }
  return 1;
}

// The unit for kAuto, by magnitude (see InputTimeFormat).
EpochUnit GuessUnit(double magnitude) {
  if (magnitude < 1e11) return EpochUnit::kSeconds;
  if (magnitude < 1e14) return EpochUnit::kMillis;
  if (magnitude < 1e17) return EpochUnit::kMicros;
  return EpochUnit::kNanos;
}

std::optional<EpochUnit> UnitOf(InputTimeFormat format) {
  switch (format) {
    case InputTimeFormat::kUnixSeconds: return EpochUnit::kSeconds;
    case InputTimeFormat::kUnixMillis: return EpochUnit::kMillis;
    case InputTimeFormat::kUnixMicros: return EpochUnit::kMicros;
    case InputTimeFormat::kUnixNanos: return EpochUnit::kNanos;
    case InputTimeFormat::kAuto:
    case InputTimeFormat::kIso8601: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::optional<InputTimeFormat> ParseInputTimeFormat(std::string_view name) {
  if (name == "auto") return InputTimeFormat::kAuto;
  if (name == "iso8601") return InputTimeFormat::kIso8601;
  if (name == "unix_s") return InputTimeFormat::kUnixSeconds;
  if (name == "unix_ms") return InputTimeFormat::kUnixMillis;
  if (name == "unix_us") return InputTimeFormat::kUnixMicros;
  if (name == "unix_ns") return InputTimeFormat::kUnixNanos;
  return std::nullopt;
}

std::string_view InputTimeFormatName(InputTimeFormat format) {
  switch (format) {
    case InputTimeFormat::kAuto: return "auto";
    case InputTimeFormat::kIso8601: return "iso8601";
    case InputTimeFormat::kUnixSeconds: return "unix_s";
    case InputTimeFormat::kUnixMillis: return "unix_ms";
    case InputTimeFormat::kUnixMicros: return "unix_us";
    case InputTimeFormat::kUnixNanos: return "unix_ns";
  }
  return "auto";
}

std::string_view DecodeReasonName(DecodeReason reason) {
  switch (reason) {
    case DecodeReason::kAccepted: return "accepted";
    case DecodeReason::kMalformedJson: return "malformed_json";
    case DecodeReason::kMalformedCsv: return "malformed_csv";
    case DecodeReason::kNotAnObject: return "not_an_object";
    case DecodeReason::kMissingTime: return "missing_time";
    case DecodeReason::kBadTime: return "bad_time";
    case DecodeReason::kTimeOutOfRange: return "time_out_of_range";
    case DecodeReason::kMissingDevice: return "missing_device";
    case DecodeReason::kNonFinite: return "non_finite";
    case DecodeReason::kTypeMismatch: return "type_mismatch";
    case DecodeReason::kUnsupportedValue: return "unsupported_value";
    case DecodeReason::kTooLarge: return "too_large";
    case DecodeReason::kMalformedSenml: return "malformed_senml";
    case DecodeReason::kMalformedNumber: return "malformed_number";
    case DecodeReason::kMalformedKv: return "malformed_kv";
    case DecodeReason::kInvalidUtf8: return "invalid_utf8";
    case DecodeReason::kNameLimit: return "name_limit";
  }
  return "unknown";
}

DecodeReason TimeFromInt(int64_t value, InputTimeFormat format, TimeMicros* out) {
  if (format == InputTimeFormat::kIso8601) return DecodeReason::kBadTime;
  std::optional<EpochUnit> unit = UnitOf(format);
  if (!unit) {
    // |INT64_MIN| does not fit an int64: compare as double.
    unit = GuessUnit(std::fabs(static_cast<double>(value)));
  }
  const int64_t scale = MicrosPerUnit(*unit);
  if (scale > 1) {
    const int64_t limit = std::numeric_limits<int64_t>::max() / scale;
    if (value > limit || value < -limit) return DecodeReason::kBadTime;
  }
  *out = EpochToMicros(value, *unit);
  return DecodeReason::kAccepted;
}

DecodeReason TimeFromDouble(double value, InputTimeFormat format, TimeMicros* out) {
  if (format == InputTimeFormat::kIso8601 || !std::isfinite(value)) return DecodeReason::kBadTime;
  std::optional<EpochUnit> unit = UnitOf(format);
  if (!unit) unit = GuessUnit(std::fabs(value));
  double micros = value;
  switch (*unit) {
    case EpochUnit::kSeconds: micros = value * 1e6; break;
    case EpochUnit::kMillis: micros = value * 1e3; break;
    case EpochUnit::kMicros: break;
    case EpochUnit::kNanos: micros = value / 1e3; break;
  }
  // 9.2e18 is just below 2^63: llround is defined for anything inside.
  if (!(std::fabs(micros) < 9.2e18)) return DecodeReason::kBadTime;
  *out = static_cast<TimeMicros>(std::llround(micros));
  return DecodeReason::kAccepted;
}

DecodeReason TimeFromText(std::string_view text, InputTimeFormat format, TimeMicros* out) {
  text = TrimSpaces(text);
  if (text.empty()) return DecodeReason::kMissingTime;
  if (format == InputTimeFormat::kAuto || format == InputTimeFormat::kIso8601) {
    if (std::optional<TimeMicros> t = ParseIsoTime(text)) {
      *out = *t;
      return DecodeReason::kAccepted;
    }
    if (format == InputTimeFormat::kIso8601) return DecodeReason::kBadTime;
  }
  // A number in text: integral first, to keep nanosecond precision.
  const char* begin = text.data();
  const char* end = begin + text.size();
  int64_t i = 0;
  auto [iptr, iec] = std::from_chars(begin, end, i);
  if (iec == std::errc() && iptr == end) return TimeFromInt(i, format, out);
  double d = 0;
  auto [dptr, dec] = std::from_chars(begin, end, d);
  if (dec == std::errc() && dptr == end) return TimeFromDouble(d, format, out);
  return DecodeReason::kBadTime;
}

const RejectFn& NoReject() {
  static const RejectFn* const kNone = new RejectFn();
  return *kNone;
}

bool IsNonFiniteText(std::string_view text) {
  text = TrimSpaces(text);
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
  return EqualsIgnoreCase(text, "nan") || EqualsIgnoreCase(text, "inf") ||
         EqualsIgnoreCase(text, "infinity");
}

std::vector<ParamDef> DecodeParamDefs(MissingTimePolicy missing_time) {
  return {
      {"time_field", "string", "time", "Field (JSON key or CSV column) that holds the event time.",
       false},
      {"time_format", "auto | iso8601 | unix_s | unix_ms | unix_us | unix_ns", "auto",
       "How the time is written. `auto`: a string is ISO 8601 / RFC 3339; a number (or numeric "
       "text) is epoch time whose unit follows from its magnitude: below 1e11 seconds, below "
       "1e14 milliseconds, below 1e17 microseconds, else nanoseconds.",
       false},
      {"missing_time", "reject | now",
       missing_time == MissingTimePolicy::kReject ? "reject" : "now",
       "A record without a time value is rejected (`missing_time`), or takes the time it was "
       "received (`now`).",
       false},
      {"device_field", "string", "device", "Field (JSON key or CSV column) that holds the device id.",
       false},
      {"default_device", "string", "",
       "Device id for records without a device field; when empty such records are rejected "
       "(`missing_device`).",
       false},
      {"max_future", "duration", "24h",
       "Records more than this far ahead of the wall clock are rejected (`time_out_of_range`); "
       "0 means unlimited.",
       false},
      {"max_past", "duration", "0",
       "Records more than this far behind the wall clock are rejected (`time_out_of_range`); 0 "
       "means unlimited.",
       false},
      {"types", "map of field to number | string | bool", "",
       "Declared field types. A value of another type is a `type_mismatch`; text that reads as "
       "NaN or infinity in a number field is `non_finite`.",
       false},
      {"on_type_mismatch", "reject | drop_field", "reject",
       "`reject` drops the whole record; `drop_field` drops only the field and counts it in "
       "`fields_dropped{reason=\"type_mismatch\"}`.",
       false},
      {"integers", "double | keep", "double",
       "`double`: every number becomes a double field. `keep`: integral numbers become int64 "
       "fields.",
       false},
  };
}

DecodeOptions ParseDecodeOptions(const ConfigNode& config, MissingTimePolicy missing_time) {
  DecodeOptions o;
  const ConfigNode time_field = config["time_field"];
  o.time_field = time_field.String(o.time_field);
  if (o.time_field.empty()) time_field.Error("must not be empty");
  o.time_format = *ParseInputTimeFormat(config["time_format"].Enum(
      "auto", {"auto", "iso8601", "unix_s", "unix_ms", "unix_us", "unix_ns"}));
  o.missing_time =
      config["missing_time"].Enum(missing_time == MissingTimePolicy::kReject ? "reject" : "now",
                                  {"reject", "now"}) == "now"
          ? MissingTimePolicy::kReceiveTime
          : MissingTimePolicy::kReject;
  o.device_field = config["device_field"].String(o.device_field);
  o.default_device = config["default_device"].String("");
  // A bare 0 (no unit) reads naturally as "unlimited": accept it.
  const auto limit = [](const ConfigNode& node, TimeMicros fallback) {
    if (node.is_scalar() && node.yaml().Scalar() == "0") return TimeMicros{0};
    const TimeMicros d = node.Duration(fallback);
    if (d < 0) node.Error("must be >= 0 (0 means unlimited)");
    return std::max<TimeMicros>(d, 0);
  };
  o.max_future = limit(config["max_future"], o.max_future);
  o.max_past = limit(config["max_past"], o.max_past);

  const ConfigNode types = config["types"];
  if (types.defined()) {
    if (!types.is_map()) {
      types.Error("expected a map of field name to number, string or bool");
    } else {
      for (const std::string& field : types.Keys()) {
        const std::string type = types[field].Enum("", {"number", "string", "bool"});
        if (type == "number") o.types[field] = DeclaredType::kNumber;
        if (type == "string") o.types[field] = DeclaredType::kString;
        if (type == "bool") o.types[field] = DeclaredType::kBool;
      }
    }
  }
  o.on_type_mismatch = config["on_type_mismatch"].Enum("reject", {"reject", "drop_field"}) ==
                               "drop_field"
                           ? TypeMismatchPolicy::kDropField
                           : TypeMismatchPolicy::kReject;
  o.keep_integers = config["integers"].Enum("double", {"double", "keep"}) == "keep";
  return o;
}

}  // namespace edgeflow
