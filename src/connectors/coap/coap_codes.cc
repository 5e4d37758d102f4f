#include "connectors/coap/coap_codes.h"

namespace edgeflow {
namespace {

struct OutcomeInfo {
  CoapOutcome outcome;
  int code;
  std::string_view text;
  std::string_view reason;
};

constexpr OutcomeInfo kOutcomes[kCoapOutcomeCount] = {
    {CoapOutcome::kChanged, 204, "2.04", ""},
    {CoapOutcome::kContinue, 231, "2.31", ""},
    {CoapOutcome::kBadRequest, 400, "4.00", ""},
    {CoapOutcome::kIncomplete, 408, "4.08", "incomplete_body"},
    {CoapOutcome::kTooLarge, 413, "4.13", "too_large"},
    {CoapOutcome::kUnsupportedFormat, 415, "4.15", "unsupported_content_format"},
    {CoapOutcome::kNotFound, 404, "4.04", "unknown_path"},
    {CoapOutcome::kMethodNotAllowed, 405, "4.05", "method_not_allowed"},
    {CoapOutcome::kBusy, 503, "5.03", "busy"},
};

const OutcomeInfo& Info(CoapOutcome outcome) {
  const OutcomeInfo& info = kOutcomes[static_cast<int>(outcome)];
  return info;
}

}  // namespace

std::optional<PayloadFormat> FormatForContentFormat(std::optional<uint32_t> content_format,
                                                    PayloadFormat configured) {
  if (!content_format) return configured;
  switch (*content_format) {
    case kContentFormatJson: return PayloadFormat::kJson;
    case kContentFormatSenmlJson: return PayloadFormat::kSenml;
    default: return std::nullopt;
  }
}

int CoapResponseCode(CoapOutcome outcome) { return Info(outcome).code; }
std::string_view CoapCodeText(CoapOutcome outcome) { return Info(outcome).text; }
std::string_view OutcomeReason(CoapOutcome outcome) { return Info(outcome).reason; }

}  // namespace edgeflow
