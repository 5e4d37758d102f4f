#include "connectors/http/ingest_protocol.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace edgeflow {
namespace {

TEST(ContentTypeTest, KnownTypesSelectTheirFormat) {
  const PayloadFormat configured = PayloadFormat::kKv;
  EXPECT_EQ(FormatForContentType("application/json", configured), PayloadFormat::kJson);
  EXPECT_EQ(FormatForContentType("application/x-ndjson", configured), PayloadFormat::kNdjson);
  EXPECT_EQ(FormatForContentType("application/jsonl", configured), PayloadFormat::kNdjson);
  EXPECT_EQ(FormatForContentType("application/senml+json", configured), PayloadFormat::kSenml);
  EXPECT_EQ(FormatForContentType("text/csv", configured), PayloadFormat::kCsv);
}

TEST(ContentTypeTest, ParametersAndCaseAreIgnored) {
  EXPECT_EQ(FormatForContentType("Application/JSON; charset=utf-8", PayloadFormat::kCsv),
            PayloadFormat::kJson);
  EXPECT_EQ(FormatForContentType(" text/csv ;header=present", PayloadFormat::kJson),
            PayloadFormat::kCsv);
}

TEST(ContentTypeTest, UnspecifiedTypesFallBackToTheConfiguredFormat) {
  EXPECT_EQ(FormatForContentType("", PayloadFormat::kNdjson), PayloadFormat::kNdjson);
  EXPECT_EQ(FormatForContentType("text/plain", PayloadFormat::kKv), PayloadFormat::kKv);
  EXPECT_EQ(FormatForContentType("application/x-www-form-urlencoded", PayloadFormat::kJson),
            PayloadFormat::kJson);
}

TEST(ContentTypeTest, OtherTypesAreUnsupportedAndTheMessageListsTheAcceptedOnes) {
  EXPECT_EQ(FormatForContentType("application/xml", PayloadFormat::kJson), std::nullopt);
  EXPECT_EQ(FormatForContentType("image/png", PayloadFormat::kJson), std::nullopt);
  EXPECT_EQ(FormatForContentType("application/jsonx", PayloadFormat::kJson), std::nullopt);
  const std::string accepted = AcceptedContentTypes(PayloadFormat::kSenml);
  for (const char* type : {"application/json", "application/x-ndjson", "application/jsonl",
                           "application/senml+json", "text/csv"}) {
    EXPECT_NE(accepted.find(type), std::string::npos) << type;
  }
  EXPECT_NE(accepted.find("senml"), std::string::npos);
}

TEST(DeviceSpecTest, ParsesPathSegmentsQueryParametersAndFixedNames) {
  std::string error;
  auto path = ParseDeviceSpec("path[1]", &error);
  ASSERT_TRUE(path);
  EXPECT_EQ(path->kind, DeviceSpec::Kind::kPathSegment);
  EXPECT_EQ(path->segment, 1u);
  auto query = ParseDeviceSpec("query.device", &error);
  ASSERT_TRUE(query);
  EXPECT_EQ(query->kind, DeviceSpec::Kind::kQuery);
  EXPECT_EQ(query->name, "device");
  auto fixed = ParseDeviceSpec("press-7", &error);
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->kind, DeviceSpec::Kind::kFixed);
  EXPECT_EQ(fixed->name, "press-7");
}

TEST(DeviceSpecTest, RejectsMalformedSpecs) {
  for (const char* bad : {"", "path[]", "path[x]", "path[1", "path[-1]", "path[99]", "query."}) {
    std::string error;
    EXPECT_FALSE(ParseDeviceSpec(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(DeviceSpecTest, TakesTheDeviceFromThePathOrTheQuery) {
  std::string error;
  const DeviceSpec second = *ParseDeviceSpec("path[1]", &error);
  const std::multimap<std::string, std::string> none;
  EXPECT_EQ(DeviceFromRequest(second, "/ingest/press-1", none), "press-1");
  EXPECT_EQ(DeviceFromRequest(second, "//ingest//press-2/", none), "press-2");  // empty segments skipped
  EXPECT_EQ(DeviceFromRequest(second, "/ingest", none), "");
  EXPECT_EQ(DeviceFromRequest(second, "/ingest/", none), "");
  const DeviceSpec third = *ParseDeviceSpec("path[2]", &error);
  EXPECT_EQ(DeviceFromRequest(third, "/v1/ingest/press-3/extra", none), "press-3");

  const DeviceSpec query = *ParseDeviceSpec("query.device", &error);
  const std::multimap<std::string, std::string> params = {{"site", "a"}, {"device", "press-4"}};
  EXPECT_EQ(DeviceFromRequest(query, "/ingest", params), "press-4");
  EXPECT_EQ(DeviceFromRequest(query, "/ingest", none), "");

  const DeviceSpec fixed = *ParseDeviceSpec("gateway-1", &error);
  EXPECT_EQ(DeviceFromRequest(fixed, "/ingest/press-1", params), "gateway-1");
  EXPECT_EQ(DeviceFromRequest(DeviceSpec{}, "/ingest/press-1", params), "");
}

TEST(IngestPathTest, MatchesThePathsAndBelowThem) {
  const std::vector<std::string> paths = {"/ingest", "/v2/data/"};
  EXPECT_TRUE(IsIngestPath(paths, "/ingest"));
  EXPECT_TRUE(IsIngestPath(paths, "/ingest/press-1"));
  EXPECT_TRUE(IsIngestPath(paths, "/v2/data"));
  EXPECT_TRUE(IsIngestPath(paths, "/v2/data/x"));
  EXPECT_FALSE(IsIngestPath(paths, "/ingestion"));
  EXPECT_FALSE(IsIngestPath(paths, "/"));
  EXPECT_FALSE(IsIngestPath(paths, "/v2"));
}

TEST(BearerTokenTest, AcceptsOnlyTheExactToken) {
  EXPECT_TRUE(BearerTokenMatches("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(BearerTokenMatches("bearer  s3cret ", "s3cret"));
  EXPECT_FALSE(BearerTokenMatches("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(BearerTokenMatches("Bearer s3creT", "s3cret"));
  EXPECT_FALSE(BearerTokenMatches("Basic s3cret", "s3cret"));
  EXPECT_FALSE(BearerTokenMatches("", "s3cret"));
  EXPECT_FALSE(BearerTokenMatches("Bearer ", ""));
}

TEST(Utf8Test, FindsTheFirstInvalidByte) {
  EXPECT_EQ(InvalidUtf8Offset("plain ascii"), std::string_view::npos);
  EXPECT_EQ(InvalidUtf8Offset("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), std::string_view::npos);
  EXPECT_EQ(InvalidUtf8Offset("ab\xFF"), 2u);                // never valid
  EXPECT_EQ(InvalidUtf8Offset("a\x80"), 1u);                 // lone continuation byte
  EXPECT_EQ(InvalidUtf8Offset("x\xC0\x80"), 1u);             // overlong NUL
  EXPECT_EQ(InvalidUtf8Offset("\xE0\x80\xAF"), 0u);          // overlong '/'
  EXPECT_EQ(InvalidUtf8Offset("ok\xED\xA0\x80"), 2u);        // a UTF-16 surrogate
  EXPECT_EQ(InvalidUtf8Offset("\xF4\x90\x80\x80"), 0u);      // above U+10FFFF
  EXPECT_EQ(InvalidUtf8Offset("end\xE2\x82"), 3u);           // truncated sequence
}

TEST(VerdictTest, StatusFollowsTheCounts) {
  IngestVerdict v;
  EXPECT_EQ(VerdictStatus(v), 200);  // an empty batch
  v.accepted = 3;
  EXPECT_EQ(VerdictStatus(v), 200);
  v.Reject(DecodeReason::kMissingTime, "{}", "");
  EXPECT_EQ(VerdictStatus(v), 207);
  v.accepted = 0;
  EXPECT_EQ(VerdictStatus(v), 400);
}

TEST(VerdictTest, BodyReportsCountsReasonsAndPositions) {
  const std::string body = "{\"device\":\"a\",\"v\":1}\n{\"device\":\"b\",\"v\":\n{\"v\":2}\n";
  IngestVerdict v;
  v.accepted = 1;
  const size_t second = body.find("{\"device\":\"b\"");
  v.Reject(DecodeReason::kMalformedJson, std::string_view(body).substr(second, 16), body);
  v.Reject(DecodeReason::kMissingDevice, "{\"v\":2}", body);  // not inside the body: no position
  const nlohmann::json j = nlohmann::json::parse(VerdictBody(v));
  EXPECT_EQ(j["accepted"], 1);
  EXPECT_EQ(j["rejected"], 2);
  ASSERT_EQ(j["errors"].size(), 2u);
  EXPECT_EQ(j["errors"][0]["reason"], "malformed_json");
  EXPECT_EQ(j["errors"][0]["message"], "not valid JSON");
  EXPECT_EQ(j["errors"][0]["line"], 2);
  EXPECT_EQ(j["errors"][0]["offset"], second);
  EXPECT_EQ(j["errors"][0]["excerpt"], "{\"device\":\"b\",\"v");
  EXPECT_EQ(j["errors"][1]["reason"], "missing_device");
  EXPECT_FALSE(j["errors"][1].contains("line"));
  EXPECT_FALSE(j.contains("errors_not_shown"));
  EXPECT_EQ(v.by_reason[static_cast<size_t>(DecodeReason::kMalformedJson)], 1u);
}

TEST(VerdictTest, BodyOfAnAllAcceptedBatchHasNoErrors) {
  IngestVerdict v;
  v.accepted = 5;
  const nlohmann::json j = nlohmann::json::parse(VerdictBody(v));
  EXPECT_EQ(j["accepted"], 5);
  EXPECT_EQ(j["rejected"], 0);
  EXPECT_FALSE(j.contains("errors"));
}

TEST(VerdictTest, ReportsAtMostTenErrorsButCountsAll) {
  IngestVerdict v;
  for (int i = 0; i < 25; ++i) v.Reject(DecodeReason::kBadTime, "x", "");
  const nlohmann::json j = nlohmann::json::parse(VerdictBody(v));
  EXPECT_EQ(j["rejected"], 25);
  EXPECT_EQ(j["errors"].size(), IngestVerdict::kMaxReported);
  EXPECT_EQ(j["errors_not_shown"], 15);
  EXPECT_EQ(v.by_reason[static_cast<size_t>(DecodeReason::kBadTime)], 25u);
}

TEST(VerdictTest, InvalidUtf8InAnExcerptStillGivesValidJson) {
  IngestVerdict v;
  v.Reject(DecodeReason::kInvalidUtf8, "temp=\xFF\xFE", "");
  const std::string text = VerdictBody(v);
  const nlohmann::json j = nlohmann::json::parse(text);  // throws on invalid UTF-8
  EXPECT_EQ(j["errors"][0]["excerpt"], "temp=\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(j["errors"][0]["message"], "the body is not valid UTF-8");
}

TEST(ErrorBodyTest, IsJsonWithTheErrorAndMessage) {
  const nlohmann::json j = nlohmann::json::parse(ErrorBody("too_large", "max \"1MB\""));
  EXPECT_EQ(j["error"], "too_large");
  EXPECT_EQ(j["message"], "max \"1MB\"");
}

}  // namespace
}  // namespace edgeflow
