#include "connectors/coap/coap_codes.h"

#include <gtest/gtest.h>

#include <set>

namespace edgeflow {
namespace {

TEST(CoapCodesTest, ContentFormatSelectsTheDecoder) {
  EXPECT_EQ(FormatForContentFormat(50, PayloadFormat::kSenml), PayloadFormat::kJson);
  EXPECT_EQ(FormatForContentFormat(110, PayloadFormat::kJson), PayloadFormat::kSenml);
  // Absent: the configured format.
  EXPECT_EQ(FormatForContentFormat(std::nullopt, PayloadFormat::kJson), PayloadFormat::kJson);
  EXPECT_EQ(FormatForContentFormat(std::nullopt, PayloadFormat::kSenml), PayloadFormat::kSenml);
}

TEST(CoapCodesTest, OtherContentFormatsAreUnsupported) {
  // senml+cbor, text/plain, cbor, sensml+json, octet-stream.
  for (uint32_t cf : {112u, 0u, 60u, 111u, 42u}) {
    EXPECT_FALSE(FormatForContentFormat(cf, PayloadFormat::kJson)) << cf;
  }
}

TEST(CoapCodesTest, ResponseCodes) {
  EXPECT_EQ(CoapResponseCode(CoapOutcome::kChanged), 204);
  EXPECT_EQ(CoapResponseCode(CoapOutcome::kContinue), 231);
  EXPECT_EQ(CoapResponseCode(CoapOutcome::kBadRequest), 400);
  EXPECT_EQ(CoapResponseCode(CoapOutcome::kNotFound), 404);
  EXPECT_EQ(CoapResponseCode(CoapOutcome::kMethodNotAllowed), 405);
  EXPECT_EQ(CoapResponseCode(CoapOutcome::kIncomplete), 408);
  EXPECT_EQ(CoapResponseCode(CoapOutcome::kTooLarge), 413);
  EXPECT_EQ(CoapResponseCode(CoapOutcome::kUnsupportedFormat), 415);
  EXPECT_EQ(CoapResponseCode(CoapOutcome::kBusy), 503);
}

TEST(CoapCodesTest, CodeTextMatchesTheNumber) {
  for (int i = 0; i < kCoapOutcomeCount; ++i) {
    const auto outcome = static_cast<CoapOutcome>(i);
    const int code = CoapResponseCode(outcome);
    const std::string expected =
        std::to_string(code / 100) + "." + (code % 100 < 10 ? "0" : "") + std::to_string(code % 100);
    EXPECT_EQ(CoapCodeText(outcome), expected);
  }
}

TEST(CoapCodesTest, EveryRejectionHasItsOwnReason) {
  std::set<std::string_view> reasons;
  for (int i = 0; i < kCoapOutcomeCount; ++i) {
    const auto outcome = static_cast<CoapOutcome>(i);
    const std::string_view reason = OutcomeReason(outcome);
    const bool success = outcome == CoapOutcome::kChanged || outcome == CoapOutcome::kContinue;
    // A bad request is counted under the decoder's reason (malformed_json...).
    if (success || outcome == CoapOutcome::kBadRequest) {
      EXPECT_TRUE(reason.empty()) << i;
    } else {
      EXPECT_FALSE(reason.empty()) << i;
      EXPECT_TRUE(reasons.insert(reason).second) << reason;
    }
  }
  EXPECT_EQ(OutcomeReason(CoapOutcome::kTooLarge), "too_large");  // same as the decoders'
}

}  // namespace
}  // namespace edgeflow
