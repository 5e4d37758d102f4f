#include "connectors/codec/payload_decoder.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>

#include "common/text.h"

namespace edgeflow {
namespace {

static_assert(PayloadDecoder::kPadding >= JsonDecoder::kPadding);
static_assert(PayloadDecoder::kPadding >= SenmlDecoder::kPadding);

constexpr std::pair<PayloadFormat, const char*> kFormatNames[] = {
    {PayloadFormat::kJson, "json"},     {PayloadFormat::kNdjson, "ndjson"},
    {PayloadFormat::kSenml, "senml"},   {PayloadFormat::kCsv, "csv"},
    {PayloadFormat::kNumber, "number"}, {PayloadFormat::kRaw, "raw"},
    {PayloadFormat::kKv, "kv"},
};

bool IsKvSeparator(char c) { return c == ' ' || c == '\t' || c == ',' || c == ';'; }

// Calls `line` for every line of `text` that is not blank ("\r\n" accepted).
template <typename F>
void ForEachLine(std::string_view text, F&& line) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view l = text.substr(0, end);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (!TrimSpaces(l).empty()) line(l);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

void AppendBase64(std::string_view bytes, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out->push_back(kAlphabet[(n >> 18) & 63]);
    out->push_back(kAlphabet[(n >> 12) & 63]);
    out->push_back(kAlphabet[(n >> 6) & 63]);
    out->push_back(kAlphabet[n & 63]);
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out->push_back(kAlphabet[(n >> 18) & 63]);
    out->push_back(kAlphabet[(n >> 12) & 63]);
    out->push_back(i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out->push_back('=');
  }
}

void AppendHex(std::string_view bytes, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (char c : bytes) {
    out->push_back(kDigits[static_cast<uint8_t>(c) >> 4]);
    out->push_back(kDigits[static_cast<uint8_t>(c) & 15]);
  }
}

// A whole-text number (int or double); false when `text` is not one.
bool ParseNumber(std::string_view text, double* out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, *out);
  return ec == std::errc() && ptr == end && begin != end;
}

}  // namespace

std::string_view PayloadFormatName(PayloadFormat format) {
  for (const auto& [f, name] : kFormatNames) {
    if (f == format) return name;
  }
  return "json";
}

std::vector<ParamDef> PayloadParamDefs(const std::vector<PayloadFormat>& formats) {
  std::string choices;
  for (PayloadFormat f : formats) {
    if (!choices.empty()) choices += " | ";
    choices += PayloadFormatName(f);
  }
  std::vector<ParamDef> defs = {
      {"format", choices, std::string(PayloadFormatName(formats.front())),
       "Payload format: `json` (an object or an array of objects), `ndjson` (one object per "
       "line), `senml` (RFC 8428 JSON pack), `csv` (lines; see `columns`), `number` (a bare "
       "number), `raw` (the bytes as one string field), `kv` (`key=value` pairs). Only the "
       "formats listed here apply to this source.",
       false},
      {"value_field", "string", "value",
       "`number` and `raw`: the name of the field the payload becomes.", false},
      {"raw_encoding", "text | base64 | hex", "text",
       "`raw`: `text` keeps the bytes as they are and rejects invalid UTF-8 (`invalid_utf8`); "
       "`base64` and `hex` encode any bytes.",
       false},
  };
  for (ParamDef& p : DecodeParamDefs(MissingTimePolicy::kReceiveTime)) defs.push_back(std::move(p));
  for (ParamDef& p : JsonDecoderParamDefs()) {
    if (p.name == "arrays") p.default_value = "true";
    defs.push_back(std::move(p));
  }
  for (ParamDef& p : CsvDecoderParamDefs()) {
    if (p.name == "columns") {
      p.description = "CSV: column names. When absent the first line of each payload is its header.";
    }
    defs.push_back(std::move(p));
  }
  return defs;
}

PayloadOptions ParsePayloadOptions(const ConfigNode& config,
                                   const std::vector<PayloadFormat>& formats,
                                   MissingTimePolicy missing_time, bool device_from_transport) {
  PayloadOptions o;
  std::vector<std::string> names;
  for (PayloadFormat f : formats) names.emplace_back(PayloadFormatName(f));
  const std::string format = config["format"].Enum(names.front(), names);
  for (const auto& [f, name] : kFormatNames) {
    if (format == name) o.format = f;
  }
  o.value_field = config["value_field"].String(o.value_field);
  if (o.value_field.empty()) config["value_field"].Error("must not be empty");
  const std::string encoding = config["raw_encoding"].Enum("text", {"text", "base64", "hex"});
  o.raw_encoding = encoding == "base64" ? RawEncoding::kBase64
                   : encoding == "hex"  ? RawEncoding::kHex
                                        : RawEncoding::kText;
  o.device_from_transport = device_from_transport;
  const DecodeOptions decode = ParseDecodeOptions(config, missing_time);
  static_cast<DecodeOptions&>(o.json) = decode;
  o.json.allow_arrays = true;
  ParseJsonDecoderOptions(config, &o.json);
  static_cast<DecodeOptions&>(o.csv) = decode;
  // The device comes with each message: a CSV payload needs no device column.
  if (device_from_transport && o.csv.default_device.empty()) o.csv.default_device = "unknown";
  if (o.format == PayloadFormat::kCsv) ParseCsvDecoderOptions(config, &o.csv);
  return o;
}

PayloadDecoder::PayloadDecoder(PayloadOptions options) : options_(std::move(options)) {
  switch (options_.format) {
    case PayloadFormat::kJson:
    case PayloadFormat::kNdjson: json_ = std::make_unique<JsonDecoder>(options_.json); break;
    case PayloadFormat::kSenml: senml_ = std::make_unique<SenmlDecoder>(options_.json); break;
    case PayloadFormat::kCsv: csv_ = std::make_unique<CsvDecoder>(options_.csv); break;
    case PayloadFormat::kNumber:
    case PayloadFormat::kRaw:
    case PayloadFormat::kKv: break;
  }
  value_field_ = Symbol::Intern(options_.value_field);
  time_field_ = Symbol::Intern(options_.json.time_field);
  device_field_ = Symbol::Intern(options_.json.device_field);
  if (!options_.json.default_device.empty()) {
    default_device_ = Symbol::Intern(options_.json.default_device);
  }
}

PayloadDecoder::~PayloadDecoder() = default;
PayloadDecoder::PayloadDecoder(PayloadDecoder&&) noexcept = default;
PayloadDecoder& PayloadDecoder::operator=(PayloadDecoder&&) noexcept = default;

Symbol PayloadDecoder::DeviceOr(const MessageContext& context) const {
  return context.device.empty() ? default_device_ : context.device;
}

DecodeResult PayloadDecoder::Decode(std::string_view payload, size_t readable,
                                    const MessageContext& context, TimeMicros now, Batch& out,
                                    const RejectFn& on_reject) {
  const size_t start = out.size();
  DecodeResult result;
  if (payload.size() > options_.json.max_bytes) {
    result.reason = DecodeReason::kTooLarge;
    result.excerpt = RecordExcerpt(payload);
    result.rejected = 1;
    if (on_reject) on_reject(result.reason, result.excerpt);
    return result;
  }
  result = DecodeBody(payload, readable, context, now, out, on_reject);
  // The transport's device and fields apply to every event of the message.
  for (size_t i = start; i < out.size(); ++i) {
    Event& e = out[i];
    if (!context.device.empty()) e.device = context.device;
    for (const auto& [name, value] : context.fields) e.SetString(name, value);
  }
  return result;
}

DecodeResult PayloadDecoder::DecodeBody(std::string_view payload, size_t readable,
                                        const MessageContext& context, TimeMicros now, Batch& out,
                                        const RejectFn& on_reject) {
  const auto single = [&](DecodeReason reason) {
    DecodeResult r;
    if (reason == DecodeReason::kAccepted) {
      r.accepted = 1;
    } else {
      r.reason = reason;
      r.excerpt = RecordExcerpt(payload);
      r.rejected = 1;
      if (on_reject) on_reject(reason, r.excerpt);
    }
    return r;
  };
  switch (options_.format) {
    case PayloadFormat::kJson:
      json_->SetDefaultDevice(DeviceOr(context));
      return json_->DecodeInPlace(payload, readable, now, out, on_reject);
    case PayloadFormat::kNdjson:
      json_->SetDefaultDevice(DeviceOr(context));
      if (readable >= payload.size() + JsonDecoder::kPadding) {
        return json_->DecodeLinesInPlace(payload, readable, now, out, on_reject);
      }
      return json_->DecodeLines(payload, now, out, on_reject);
    case PayloadFormat::kSenml:
      senml_->SetDefaultDevice(DeviceOr(context));
      return senml_->DecodeInPlace(payload, readable, now, out, on_reject);
    case PayloadFormat::kCsv:
      if (!context.device.empty()) csv_->SetDefaultDevice(context.device);
      return DecodeCsv(payload, now, out, on_reject);
    case PayloadFormat::kNumber: return single(DecodeNumber(payload, context, now, out));
    case PayloadFormat::kRaw: return single(DecodeRaw(payload, context, now, out));
    case PayloadFormat::kKv: {
      if (!simdjson::validate_utf8(payload.data(), payload.size())) {
        return single(DecodeReason::kInvalidUtf8);
      }
      DecodeResult total;
      ForEachLine(payload, [&](std::string_view line) {
        const DecodeReason reason = DecodeKvLine(line, now, out);
        if (reason == DecodeReason::kAccepted) {
          ++total.accepted;
          if (!context.device.empty()) out.back().device = context.device;
        } else {
          ++total.rejected;
          total.reason = reason;
          total.excerpt = RecordExcerpt(line);
          if (on_reject) on_reject(reason, total.excerpt);
        }
      });
      return total;
    }
  }
  return single(DecodeReason::kMalformedJson);
}

DecodeResult PayloadDecoder::DecodeCsv(std::string_view payload, TimeMicros now, Batch& out,
                                       const RejectFn& on_reject) {
  DecodeResult total;
  bool header_pending = options_.csv.columns.empty();
  ForEachLine(payload, [&](std::string_view line) {
    if (header_pending) {
      header_pending = false;
      if (Status st = csv_->ReadHeader(line); !st.ok()) {
        ++total.rejected;
        total.reason = DecodeReason::kMalformedCsv;
        total.excerpt = RecordExcerpt(line);
        if (on_reject) on_reject(total.reason, total.excerpt);
      }
      return;
    }
    if (csv_->needs_header()) return;  // the header was bad: skip the body
    const DecodeResult r = csv_->DecodeLine(line, now, out, on_reject);
    total.accepted += r.accepted;
    total.rejected += r.rejected;
    total.fields_dropped += r.fields_dropped;
    if (r.rejected > 0) {
      total.reason = r.reason;
      total.excerpt = r.excerpt;
    }
  });
  return total;
}

DecodeReason PayloadDecoder::DecodeNumber(std::string_view payload, const MessageContext& context,
                                          TimeMicros now, Batch& out) {
  std::string_view text = payload;
  // A number sent with a line break (`echo 23.5 | mosquitto_pub -l`) is still a number.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  text = TrimSpaces(text);
  double value = 0;
  if (IsNonFiniteText(text)) return DecodeReason::kNonFinite;
  if (!ParseNumber(text, &value)) return DecodeReason::kMalformedNumber;
  if (!std::isfinite(value)) return DecodeReason::kNonFinite;
  const Symbol device = DeviceOr(context);
  if (device.empty()) return DecodeReason::kMissingDevice;
  if (DecodeReason r = CheckTimeRange(options_.json, now, now); r != DecodeReason::kAccepted) {
    return r;
  }
  Event& e = out.Append();
  e.time = now;
  e.device = device;
  const Symbol field = context.value_field.empty() ? value_field_ : context.value_field;
  const double rounded = std::nearbyint(value);
  if (options_.json.keep_integers && rounded == value && std::fabs(value) < 9e15) {
    e.SetInt(field, static_cast<int64_t>(rounded));
  } else {
    e.SetDouble(field, value);
  }
  return DecodeReason::kAccepted;
}

DecodeReason PayloadDecoder::DecodeRaw(std::string_view payload, const MessageContext& context,
                                       TimeMicros now, Batch& out) {
  const Symbol device = DeviceOr(context);
  if (device.empty()) return DecodeReason::kMissingDevice;
  std::string_view text = payload;
  switch (options_.raw_encoding) {
    case RawEncoding::kText:
      if (!simdjson::validate_utf8(payload.data(), payload.size())) {
        return DecodeReason::kInvalidUtf8;
      }
      break;
    case RawEncoding::kBase64:
      encoded_.clear();
      AppendBase64(payload, &encoded_);
      text = encoded_;
      break;
    case RawEncoding::kHex:
      encoded_.clear();
      AppendHex(payload, &encoded_);
      text = encoded_;
      break;
  }
  Event& e = out.Append();
  e.time = now;
  e.device = device;
  e.SetString(context.value_field.empty() ? value_field_ : context.value_field, text);
  return DecodeReason::kAccepted;
}

DecodeReason PayloadDecoder::DecodeKvLine(std::string_view line, TimeMicros now, Batch& out) {
  Event& e = out.Append();
  e.time = now;
  bool has_time = false;
  Symbol device;
  const DecodeOptions& o = options_.json;
  const auto reject = [&](DecodeReason reason) {
    out.PopBack();
    return reason;
  };
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsKvSeparator(line[i])) ++i;
    if (i >= line.size()) break;
    const size_t key_start = i;
    while (i < line.size() && line[i] != '=' && !IsKvSeparator(line[i])) ++i;
    if (i >= line.size() || line[i] != '=' || i == key_start) {
      return reject(DecodeReason::kMalformedKv);
    }
    const std::string_view key = line.substr(key_start, i - key_start);
    ++i;  // '='
    std::string_view value;
    bool quoted = false;
    if (i < line.size() && line[i] == '"') {
      const size_t close = line.find('"', i + 1);
      if (close == std::string_view::npos) return reject(DecodeReason::kMalformedKv);
      value = line.substr(i + 1, close - i - 1);
      i = close + 1;
      quoted = true;
    } else {
      const size_t start = i;
      while (i < line.size() && !IsKvSeparator(line[i])) ++i;
      value = line.substr(start, i - start);
    }
    if (key == o.time_field) {
      const DecodeReason r = TimeFromText(value, o.time_format, &e.time);
      if (r != DecodeReason::kAccepted) return reject(r);
      has_time = true;
      continue;
    }
    if (key == o.device_field) {
      if (!value.empty()) device = names_.Get(value);
      continue;
    }
    const Symbol name = names_.Get(key);
    DeclaredType declared = DeclaredType::kAny;
    if (auto it = o.types.find(key); it != o.types.end()) declared = it->second;
    double number = 0;
    const bool numeric = !quoted && ParseNumber(value, &number);
    const bool boolean = !quoted && (value == "true" || value == "false");
    if (!quoted && IsNonFiniteText(value) && declared != DeclaredType::kString) {
      return reject(DecodeReason::kNonFinite);
    }
    const bool fits = declared == DeclaredType::kAny ||
                      (declared == DeclaredType::kNumber && numeric) ||
                      (declared == DeclaredType::kBool && boolean) ||
                      declared == DeclaredType::kString;
    if (!fits) {
      if (o.on_type_mismatch == TypeMismatchPolicy::kReject) {
        return reject(DecodeReason::kTypeMismatch);
      }
      continue;
    }
    if (declared == DeclaredType::kString || (!numeric && !boolean)) {
      e.SetString(name, value);
    } else if (boolean) {
      e.SetBool(name, value == "true");
    } else if (o.keep_integers && std::nearbyint(number) == number && std::fabs(number) < 9e15) {
      e.SetInt(name, static_cast<int64_t>(number));
    } else {
      e.SetDouble(name, number);
    }
  }
  if (!has_time && o.missing_time == MissingTimePolicy::kReject) {
    return reject(DecodeReason::kMissingTime);
  }
  if (device.empty()) device = default_device_;
  if (device.empty() && !options_.device_from_transport) {
    return reject(DecodeReason::kMissingDevice);
  }
  if (DecodeReason r = CheckTimeRange(o, e.time, now); r != DecodeReason::kAccepted) {
    return reject(r);
  }
  e.device = device;
  return DecodeReason::kAccepted;
}

}  // namespace edgeflow
