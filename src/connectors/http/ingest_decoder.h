// IngestDecoder: decodes one HTTP request body in the format its
// Content-Type selected. The `http` source runs one on the executor thread
// (in Poll, whose rejections go to the dead letters) and one per busy
// server thread (to answer the client with exact accepted/rejected counts
// before handing the body over); both see the same bytes, receive time and
// device, so they reach the same verdict.
//
// A body that is not valid UTF-8 is rejected whole (`invalid_utf8`) before
// any format-specific decoding, so CSV and kv text never carry broken
// strings downstream. Decoders for each format are made on first use (a
// JSON decoder holds simdjson buffers). Not thread-safe: one per thread.
#pragma once

#include <array>
#include <memory>

#include "connectors/codec/payload_decoder.h"

namespace edgeflow {

class IngestDecoder {
 public:
  // `options` as parsed for the source (its `format` is the default one).
  explicit IngestDecoder(PayloadOptions options);

  // Decodes `body` (followed by readable - body.size() >= PayloadDecoder::
  // kPadding readable bytes) as `format`, appending events to `out`.
  DecodeResult Decode(PayloadFormat format, std::string_view body, size_t readable,
                      const MessageContext& context, TimeMicros now, Batch& out,
                      const RejectFn& on_reject);

 private:
  PayloadDecoder& DecoderFor(PayloadFormat format);

  PayloadOptions options_;
  std::array<std::unique_ptr<PayloadDecoder>, 7> decoders_;  // by PayloadFormat
};

}  // namespace edgeflow
