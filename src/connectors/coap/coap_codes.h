// What a `coap` source answers, and which payload format a request's
// Content-Format option selects. Pure mappings (no libcoap), unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "connectors/codec/payload_decoder.h"

namespace edgeflow {

// CoAP Content-Format numbers (IANA "CoAP Content-Formats" registry).
inline constexpr uint32_t kContentFormatJson = 50;        // application/json
inline constexpr uint32_t kContentFormatSenmlJson = 110;  // application/senml+json
inline constexpr uint32_t kContentFormatSenmlCbor = 112;  // application/senml+cbor

// The decoder for a request: the option's format, or `configured` when the
// request carries no Content-Format. nullopt: a format this source does not
// decode (senml+cbor, text/plain, cbor, ...) -> 4.15.
std::optional<PayloadFormat> FormatForContentFormat(std::optional<uint32_t> content_format,
                                                    PayloadFormat configured);

// How one request ends. Every outcome but kChanged and kContinue is a
// rejection counted under dropped{reason=OutcomeReason(...)} (kBadRequest
// under the decoder's own reason, e.g. malformed_json).
enum class CoapOutcome : uint8_t {
  kChanged,            // 2.04: accepted (POST or PUT)
  kContinue,           // 2.31: a Block1 block taken, more to come
  kBadRequest,         // 4.00: the payload does not decode
  kIncomplete,         // 4.08: a Block1 block out of order (earlier ones missing)
  kTooLarge,           // 4.13: the body exceeds max_body
  kUnsupportedFormat,  // 4.15: a Content-Format other than json / senml+json
  kNotFound,           // 4.04: no configured resource matches the path
  kMethodNotAllowed,   // 4.05: neither POST nor PUT
  kBusy,               // 5.03 (with Max-Age): the hand-over to the pipeline is full,
                       // or too many Block1 transfers at once
};
inline constexpr int kCoapOutcomeCount = static_cast<int>(CoapOutcome::kBusy) + 1;

// The response code as class * 100 + detail (404), as COAP_RESPONSE_CODE takes it.
int CoapResponseCode(CoapOutcome outcome);
// "4.04", the way CoAP writes codes (and the `code` label of coap_requests).
std::string_view CoapCodeText(CoapOutcome outcome);
// The dropped{reason} label of a rejection; empty for kChanged, kContinue
// and kBadRequest (whose reason is the decoder's).
std::string_view OutcomeReason(CoapOutcome outcome);

}  // namespace edgeflow
