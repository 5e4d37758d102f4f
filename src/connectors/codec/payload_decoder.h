// PayloadDecoder: one message's payload to events, in the format a network
// source is configured with. MQTT, HTTP, CoAP and serial sources share it.
//
// Formats:
//   json    one object, or an array of objects (one event each)
//   ndjson  one JSON object per line
//   senml   a SenML pack (RFC 8428, JSON): see senml_decoder.h
//   csv     one record per line; `columns` name the cells (without them the
//           payload's first line is its header)
//   number  a bare number such as `23.5`: one field named `value_field`
//   raw     the bytes as one string field named `value_field` (`text` must
//           be valid UTF-8; `base64` and `hex` take any bytes)
//   kv      `key=value` pairs separated by spaces, commas or semicolons,
//           one record per line (`temp=21.5 hum=40 state=on`)
//
// The transport may supply, per message, the device (e.g. an MQTT topic
// level), which then wins over the payload's device field, the name of the
// `value_field`, and extra string fields (other topic levels).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/codec/csv_decoder.h"
#include "connectors/codec/decode_options.h"
#include "connectors/codec/json_decoder.h"
#include "connectors/codec/senml_decoder.h"
#include "connectors/codec/symbol_cache.h"
#include "model/batch.h"

namespace edgeflow {

enum class PayloadFormat { kJson, kNdjson, kSenml, kCsv, kNumber, kRaw, kKv };
std::string_view PayloadFormatName(PayloadFormat format);

enum class RawEncoding { kText, kBase64, kHex };

struct PayloadOptions {
  PayloadFormat format = PayloadFormat::kJson;
  // Decode options (time, device, types...) and the JSON and CSV specifics.
  JsonDecoderOptions json;
  CsvDecoderOptions csv;
  // The field a `number` or `raw` payload becomes.
  std::string value_field = "value";
  RawEncoding raw_encoding = RawEncoding::kText;
  // Each message carries its device (the source sets it per message), so a
  // CSV payload needs no device column.
  bool device_from_transport = false;
};

// What the transport knows about one message.
struct MessageContext {
  Symbol device;                 // empty: from the payload / default_device
  Symbol value_field;            // empty: options.value_field
  std::span<const std::pair<Symbol, std::string_view>> fields;  // added to every event
};

// `formats` lists the formats a source accepts (the first is the default).
std::vector<ParamDef> PayloadParamDefs(const std::vector<PayloadFormat>& formats);
// Reads the keys of PayloadParamDefs plus the decode, JSON and CSV options.
// `missing_time` is the source's default policy for records without time;
// `device_from_transport` tells that every message comes with its device.
PayloadOptions ParsePayloadOptions(const ConfigNode& config,
                                   const std::vector<PayloadFormat>& formats,
                                   MissingTimePolicy missing_time, bool device_from_transport);

class PayloadDecoder {
 public:
  // Bytes that must be readable after a payload for in-place parsing.
  static constexpr size_t kPadding = 64;

  explicit PayloadDecoder(PayloadOptions options);
  ~PayloadDecoder();
  PayloadDecoder(PayloadDecoder&&) noexcept;
  PayloadDecoder& operator=(PayloadDecoder&&) noexcept;

  const PayloadOptions& options() const { return options_; }

  // Decodes one message (readable >= payload.size() + kPadding parses JSON
  // in place). `now` is the receive time (the time of records without one
  // under missing_time: now, and the reference for max_future / max_past).
  DecodeResult Decode(std::string_view payload, size_t readable, const MessageContext& context,
                      TimeMicros now, Batch& out, const RejectFn& on_reject = NoReject());

 private:
  DecodeResult DecodeBody(std::string_view payload, size_t readable, const MessageContext& context,
                          TimeMicros now, Batch& out, const RejectFn& on_reject);
  DecodeResult DecodeCsv(std::string_view payload, TimeMicros now, Batch& out,
                         const RejectFn& on_reject);
  DecodeReason DecodeNumber(std::string_view payload, const MessageContext& context, TimeMicros now,
                            Batch& out);
  DecodeReason DecodeRaw(std::string_view payload, const MessageContext& context, TimeMicros now,
                         Batch& out);
  DecodeReason DecodeKvLine(std::string_view line, TimeMicros now, Batch& out);
  Symbol DeviceOr(const MessageContext& context) const;

  PayloadOptions options_;
  std::unique_ptr<JsonDecoder> json_;
  std::unique_ptr<SenmlDecoder> senml_;
  std::unique_ptr<CsvDecoder> csv_;
  Symbol value_field_;
  Symbol time_field_;
  Symbol device_field_;
  Symbol default_device_;
  SymbolCache names_;
  std::string encoded_;  // raw payloads in base64 / hex
};

}  // namespace edgeflow
