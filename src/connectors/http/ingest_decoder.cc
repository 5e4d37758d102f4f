#include "connectors/http/ingest_decoder.h"

#include <simdjson.h>

#include "connectors/http/ingest_protocol.h"

namespace edgeflow {

IngestDecoder::IngestDecoder(PayloadOptions options) : options_(std::move(options)) {}

PayloadDecoder& IngestDecoder::DecoderFor(PayloadFormat format) {
  std::unique_ptr<PayloadDecoder>& decoder = decoders_.at(static_cast<size_t>(format));
  if (!decoder) {
    PayloadOptions o = options_;
    o.format = format;
    decoder = std::make_unique<PayloadDecoder>(std::move(o));
  }
  return *decoder;
}

DecodeResult IngestDecoder::Decode(PayloadFormat format, std::string_view body, size_t readable,
                                   const MessageContext& context, TimeMicros now, Batch& out,
                                   const RejectFn& on_reject) {
  if (!simdjson::validate_utf8(body.data(), body.size())) {
    // Point the excerpt at the first bad byte so the client learns where.
    const size_t bad = InvalidUtf8Offset(body);
    DecodeResult r;
    r.reason = DecodeReason::kInvalidUtf8;
    r.excerpt = RecordExcerpt(body.substr(bad == std::string_view::npos ? 0 : bad));
    r.rejected = 1;
    if (on_reject) on_reject(r.reason, r.excerpt);
    return r;
  }
  return DecoderFor(format).Decode(body, readable, context, now, out, on_reject);
}

}  // namespace edgeflow
