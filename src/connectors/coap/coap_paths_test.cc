#include "connectors/coap/coap_paths.h"

#include <gtest/gtest.h>

namespace edgeflow {
namespace {

ResourcePattern Pattern(std::string_view text) {
  std::string error;
  std::optional<ResourcePattern> p = ParseResourcePattern(text, &error);
  EXPECT_TRUE(p) << error;
  return p.value_or(ResourcePattern{});
}

DeviceRule Rule(std::string_view text) {
  std::string error;
  std::optional<DeviceRule> r = ParseDeviceRule(text, &error);
  EXPECT_TRUE(r) << error;
  return r.value_or(DeviceRule{});
}

TEST(CoapPathsTest, ParsesPatternsAndStripsLeadingSlash) {
  const ResourcePattern p = Pattern("/telemetry/+/raw");
  EXPECT_EQ(p.text, "telemetry/+/raw");
  EXPECT_EQ(p.segments, (std::vector<std::string>{"telemetry", "+", "raw"}));
}

TEST(CoapPathsTest, RejectsBadPatterns) {
  for (std::string_view bad : {"", "/", "a//b", "a/", "tele+", "a/#", "a/b+c"}) {
    std::string error;
    EXPECT_FALSE(ParseResourcePattern(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(CoapPathsTest, ExactPathMatchesOnlyItself) {
  const ResourceMatcher m({Pattern("telemetry")}, DeviceRule{});
  EXPECT_TRUE(m.Match("telemetry").matched);
  EXPECT_TRUE(m.Match("/telemetry").matched);
  EXPECT_FALSE(m.Match("telemetry/d1").matched);
  EXPECT_FALSE(m.Match("telemetr").matched);
  EXPECT_FALSE(m.Match("").matched);
  EXPECT_TRUE(m.Match("telemetry").device.empty());  // the payload decides
}

TEST(CoapPathsTest, PlusMatchesExactlyOneNonEmptySegment) {
  const ResourceMatcher m({Pattern("telemetry/+")}, DeviceRule{});
  EXPECT_TRUE(m.Match("telemetry/d1").matched);
  EXPECT_FALSE(m.Match("telemetry").matched);
  EXPECT_FALSE(m.Match("telemetry/").matched);
  EXPECT_FALSE(m.Match("telemetry/d1/x").matched);
  EXPECT_FALSE(m.Match("other/d1").matched);
}

TEST(CoapPathsTest, DeviceFromPathSegment) {
  const ResourceMatcher m({Pattern("site/+/telemetry/+")}, Rule("path[3]"));
  const PathMatch match = m.Match("site/berlin/telemetry/press-7");
  ASSERT_TRUE(match.matched);
  EXPECT_EQ(match.device, "press-7");
  EXPECT_EQ(Rule("path[3]").kind, DeviceRule::Kind::kPathSegment);
  EXPECT_EQ(Rule("path[3]").segment, 3u);
}

TEST(CoapPathsTest, FixedDeviceAppliesToEveryMatch) {
  const ResourceMatcher m({Pattern("a"), Pattern("b/+")}, Rule("gateway-1"));
  EXPECT_EQ(m.Match("a").device, "gateway-1");
  EXPECT_EQ(m.Match("b/x").device, "gateway-1");
  EXPECT_FALSE(m.Match("c").matched);
  EXPECT_TRUE(m.Match("c").device.empty());
}

TEST(CoapPathsTest, FirstMatchingPatternWins) {
  const ResourceMatcher m({Pattern("telemetry"), Pattern("data/+")}, Rule("path[1]"));
  EXPECT_EQ(m.Match("data/d9").device, "d9");
  // `telemetry` has no segment 1: no device from the path.
  EXPECT_TRUE(m.Match("telemetry").matched);
  EXPECT_TRUE(m.Match("telemetry").device.empty());
}

TEST(CoapPathsTest, DeviceRuleParsing) {
  EXPECT_EQ(Rule("").kind, DeviceRule::Kind::kPayload);
  EXPECT_EQ(Rule("pathological").kind, DeviceRule::Kind::kFixed);
  for (std::string_view bad : {"path[", "path[]", "path[x]", "path[1", "path[-1]", "path[1]x"}) {
    std::string error;
    EXPECT_FALSE(ParseDeviceRule(bad, &error)) << bad;
    EXPECT_NE(error.find("path[N]"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace edgeflow
