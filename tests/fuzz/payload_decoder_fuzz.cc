// Fuzzes PayloadDecoder (src/connectors/codec/payload_decoder.h), the front
// door of the MQTT, HTTP, CoAP and serial sources, in every payload format:
// json, ndjson, senml, csv, number, raw (text, base64, hex) and kv. The
// first byte picks the format and options, the rest is the payload.
// Rejections are fine; crashes, sanitizer reports and broken invariants are
// not:
//   * `accepted` equals the events appended to the batch;
//   * on_reject is called once per rejected record, with a reason;
//   * ok() agrees with `rejected`, and a rejection has a reason;
//   * every event has a device (the transport's, the payload's or the
//     default) and, with missing_time: receive_time, a time.
// One decoder per option set is kept across inputs, as a source keeps its
// decoder for its whole life.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string_view>
#include <utility>

#include "connectors/codec/payload_decoder.h"
#include "fuzz_check.h"

namespace edgeflow {
namespace {

constexpr TimeMicros kNow = 1'700'000'000LL * kMicrosPerSecond;

using edgeflow::fuzz::Fail;

PayloadOptions OptionsFor(uint8_t selector) {
  static constexpr PayloadFormat kFormats[] = {PayloadFormat::kJson,   PayloadFormat::kNdjson,
                                               PayloadFormat::kSenml,  PayloadFormat::kCsv,
                                               PayloadFormat::kNumber, PayloadFormat::kRaw,
                                               PayloadFormat::kKv,     PayloadFormat::kRaw};
  PayloadOptions o;
  o.format = kFormats[selector & 0x07];
  o.raw_encoding = (selector & 0x08) ? RawEncoding::kBase64 : ((selector & 0x07) == 7 ? RawEncoding::kHex
                                                                                       : RawEncoding::kText);
  o.device_from_transport = (selector & 0x10) != 0;
  const MissingTimePolicy missing = (selector & 0x20) ? MissingTimePolicy::kReceiveTime : MissingTimePolicy::kReject;
  o.json.missing_time = missing;
  o.json.allow_arrays = true;
  o.json.default_device = (selector & 0x40) ? "fallback" : "";
  o.csv.missing_time = missing;
  o.csv.default_device = o.json.default_device;
  if (selector & 0x80) {
    o.csv.columns = {"time", "device", "temp", "state"};
    o.json.types = {{"temp", DeclaredType::kNumber}, {"state", DeclaredType::kString}};
    o.json.max_bytes = 512;
  }
  return o;
}

}  // namespace
}  // namespace edgeflow

using namespace edgeflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  static std::map<uint8_t, std::unique_ptr<PayloadDecoder>> decoders;
  auto& decoder = decoders[selector];
  if (!decoder) decoder = std::make_unique<PayloadDecoder>(OptionsFor(selector));
  const PayloadOptions& options = decoder->options();

  // The payload followed by kPadding bytes, in a buffer of exactly that size
  // so ASan sees any read past the padding.
  const size_t n = size - 1;
  auto buffer = std::make_unique<char[]>(n + PayloadDecoder::kPadding);
  std::memcpy(buffer.get(), data + 1, n);
  std::memset(buffer.get() + n, '}', PayloadDecoder::kPadding);

  MessageContext context;
  if (options.device_from_transport) context.device = Symbol::Intern("press-1");
  const std::pair<Symbol, std::string_view> extra[] = {{Symbol::Intern("site"), "plant-2"}};
  context.fields = extra;

  Batch batch;
  uint32_t rejects_seen = 0;
  const DecodeResult r = decoder->Decode(std::string_view(buffer.get(), n), n + PayloadDecoder::kPadding, context,
                                         kNow, batch, [&](DecodeReason reason, std::string_view excerpt) {
                                           if (reason == DecodeReason::kAccepted) Fail("on_reject without a reason");
                                           if (excerpt.size() > kExcerptBytes) Fail("excerpt too long");
                                           ++rejects_seen;
                                         });
  if (batch.size() != r.accepted) Fail("accepted != events appended");
  if (rejects_seen != r.rejected) Fail("on_reject calls != rejected");
  if (r.ok() != (r.rejected == 0)) Fail("ok() disagrees with rejected");
  if (!r.ok() && r.reason == DecodeReason::kAccepted) Fail("rejection without a reason");
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].device.empty()) Fail("event without a device");
    if (options.device_from_transport && batch[i].device != context.device) Fail("transport device not kept");
  }
  return 0;
}
