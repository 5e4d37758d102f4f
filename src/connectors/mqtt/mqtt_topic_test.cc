#include "connectors/mqtt/mqtt_topic.h"

#include <gtest/gtest.h>

namespace edgeflow::mqtt {
namespace {

TEST(MqttTopicTest, WildcardMatching) {
  struct Case {
    const char* filter;
    const char* topic;
    bool match;
  };
  const Case cases[] = {
      {"a/b", "a/b", true},        {"a/b", "a/c", false},       {"a/+", "a/b", true},
      {"a/+", "a/b/c", false},     {"a/+/c", "a/x/c", true},    {"a/#", "a", true},
      {"a/#", "a/b/c", true},      {"#", "a/b", true},          {"+/+", "a/b", true},
      {"+", "a/b", false},         {"a/+", "a/", true},         {"a/b", "a", false},
      {"a", "a/b", false},         {"#", "$SYS/x", false},      {"+/x", "$SYS/x", false},
      {"$SYS/#", "$SYS/x", true},  {"factory/+/telemetry", "factory/press-1/telemetry", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(TopicMatches(c.filter, c.topic), c.match) << c.filter << " vs " << c.topic;
  }
}

TEST(MqttTopicTest, FilterValidation) {
  EXPECT_EQ(ValidateTopicFilter("a/+/b/#"), "");
  EXPECT_NE(ValidateTopicFilter(""), "");
  EXPECT_NE(ValidateTopicFilter("a/b+"), "");
  EXPECT_NE(ValidateTopicFilter("a/#/b"), "");
  EXPECT_NE(ValidateTopicFilter("a#"), "");
  EXPECT_EQ(ValidateTopicName("a/b"), "");
  EXPECT_NE(ValidateTopicName("a/+"), "");
  EXPECT_NE(ValidateTopicName(""), "");
}

TEST(MqttTopicTest, LevelsAndLevelReferences) {
  EXPECT_EQ(TopicLevel("factory/p1/telemetry", 0), "factory");
  EXPECT_EQ(TopicLevel("factory/p1/telemetry", 1), "p1");
  EXPECT_EQ(TopicLevel("factory/p1/telemetry", 2), "telemetry");
  EXPECT_EQ(TopicLevel("factory/p1/telemetry", 3), std::nullopt);
  EXPECT_EQ(TopicLevel("a//b", 1), "");
  EXPECT_EQ(ParseTopicLevelRef("topic[1]"), 1u);
  EXPECT_EQ(ParseTopicLevelRef("topic[12]"), 12u);
  EXPECT_EQ(ParseTopicLevelRef("topic[]"), std::nullopt);
  EXPECT_EQ(ParseTopicLevelRef("topic[x]"), std::nullopt);
  EXPECT_EQ(ParseTopicLevelRef("press-1"), std::nullopt);
}

}  // namespace
}  // namespace edgeflow::mqtt
