// The HTTP ingest protocol of the `http` source, as pure functions: which
// payload format a Content-Type selects, where a request's device comes from
// (a fixed name, a URL path segment or a query parameter), which URL paths
// are ingest paths, bearer-token checks, UTF-8 checks and the JSON bodies of
// the responses. No sockets here, so all of it is unit-tested directly;
// http_source.cc wires it to cpp-httplib.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/codec/decode_options.h"
#include "connectors/codec/payload_decoder.h"

namespace edgeflow {

// --- Content-Type ------------------------------------------------------------

// The format a request body is decoded in:
//   application/json                         json
//   application/x-ndjson, application/jsonl,
//   application/x-jsonlines                  ndjson
//   application/senml+json                   senml
//   text/csv                                 csv
//   none, text/plain, application/octet-stream and
//   application/x-www-form-urlencoded (curl's default for -d)
//                                            `configured`
// Parameters (`; charset=utf-8`) and case are ignored. nullopt: any other
// type (answered with 415).
std::optional<PayloadFormat> FormatForContentType(std::string_view content_type,
                                                  PayloadFormat configured);
// The sentence a 415 answer carries: the types this source accepts.
std::string AcceptedContentTypes(PayloadFormat configured);

// --- Device ------------------------------------------------------------------

// Where each request's device comes from (the `device` option):
//   (absent)        the payload's device field / default_device
//   path[N]         the N-th segment of the URL path, from 0
//                   (/ingest/press-1: path[0] = ingest, path[1] = press-1)
//   query.NAME      the query parameter NAME (/ingest?device=press-1)
//   any other text  that fixed device for every request
// A device from the URL or a fixed one wins over the payload's.
struct DeviceSpec {
  enum class Kind { kPayload, kFixed, kPathSegment, kQuery };
  Kind kind = Kind::kPayload;
  std::string name;    // kFixed: the device; kQuery: the parameter
  size_t segment = 0;  // kPathSegment
};
// nullopt with `error` set when `text` looks like path[...] or query.... but
// is malformed, or is empty.
std::optional<DeviceSpec> ParseDeviceSpec(std::string_view text, std::string* error);

// Longest device name taken from a URL.
inline constexpr size_t kMaxDeviceBytes = 256;

// The request's device per `spec`; empty when the URL does not carry it (or
// for kPayload). `path` is the decoded URL path, `query` its parameters.
std::string DeviceFromRequest(const DeviceSpec& spec, std::string_view path,
                              const std::multimap<std::string, std::string>& query);

// Whether `path` is one of the ingest `paths` or below one (`/ingest/x`
// under `/ingest`).
bool IsIngestPath(const std::vector<std::string>& paths, std::string_view path);

// --- Auth and text -----------------------------------------------------------

// Whether `authorization` is "Bearer <token>" (scheme case-insensitive);
// compares in constant time for a given token length.
bool BearerTokenMatches(std::string_view authorization, std::string_view token);

// Offset of the first byte that is not part of valid UTF-8 (overlongs,
// surrogates and code points above U+10FFFF are invalid), or npos.
size_t InvalidUtf8Offset(std::string_view text);

// --- Responses ---------------------------------------------------------------

// One rejected record, as reported to the client.
struct RejectedRecord {
  DecodeReason reason = DecodeReason::kAccepted;
  std::string excerpt;
  // Where the record starts in the body, when known (1-based line).
  bool has_position = false;
  size_t offset = 0;
  size_t line = 0;
};

// What decoding a request body gave.
struct IngestVerdict {
  static constexpr size_t kMaxReported = 10;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  std::vector<RejectedRecord> errors;  // the first kMaxReported rejections
  std::array<uint64_t, kDecodeReasonCount> by_reason{};  // every rejection

  // Records a rejection; `excerpt` pointing into `body` gives its position.
  void Reject(DecodeReason reason, std::string_view excerpt, std::string_view body);
};

// 200 when every record was accepted (or there were none), 400 when none
// was, 207 (Multi-Status) when some were: the accepted ones are kept, so the
// client must not resend the whole batch; the body says which failed.
int VerdictStatus(const IngestVerdict& verdict);

// {"accepted":N,"rejected":M,"errors":[{"reason":"malformed_json",
//  "message":"not valid JSON","line":2,"offset":17,"excerpt":"{\"a\":"}]}
// plus "errors_not_shown":K when more than kMaxReported were rejected.
std::string VerdictBody(const IngestVerdict& verdict);

// {"error":"unsupported_content_type","message":"..."}: the body of every
// answer that refuses a request before decoding.
std::string ErrorBody(std::string_view error, std::string_view message);

// A sentence on what a rejection reason means, for clients.
std::string_view DecodeReasonMessage(DecodeReason reason);

}  // namespace edgeflow
