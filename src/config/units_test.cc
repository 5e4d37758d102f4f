#include "config/units.h"

#include <gtest/gtest.h>

namespace edgeflow {
namespace {

TEST(UnitsTest, ParsesDurations) {
  EXPECT_EQ(*ParseDuration("250ms"), 250 * kMicrosPerMilli);
  EXPECT_EQ(*ParseDuration("10s"), 10 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDuration("5m"), 5 * kMicrosPerMinute);
  EXPECT_EQ(*ParseDuration("1h"), kMicrosPerHour);
  EXPECT_EQ(*ParseDuration("1h30m"), 90 * kMicrosPerMinute);
  EXPECT_EQ(*ParseDuration("1.5s"), 1500 * kMicrosPerMilli);
  EXPECT_EQ(*ParseDuration("7d"), 7 * kMicrosPerDay);
  EXPECT_EQ(*ParseDuration("100us"), 100);
}

TEST(UnitsTest, RejectsBadDurationsWithAHint) {
  for (const char* bad : {"", "10", "ten s", "10 parsecs", "5x", "s"}) {
    auto r = ParseDuration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidConfig);
    EXPECT_NE(r.status().message().find("us, ms, s, m, h, d"), std::string::npos) << r.status().message();
  }
}

TEST(UnitsTest, ParsesSizesAsBinaryUnits) {
  EXPECT_EQ(*ParseSize("64MB"), 64ull << 20);
  EXPECT_EQ(*ParseSize("1GiB"), 1ull << 30);
  EXPECT_EQ(*ParseSize("512KB"), 512ull << 10);
  EXPECT_EQ(*ParseSize("100B"), 100ull);
  EXPECT_EQ(*ParseSize("1.5 MB"), 3ull << 19);
  EXPECT_FALSE(ParseSize("64").ok());
  EXPECT_FALSE(ParseSize("64 bananas").ok());
}

TEST(UnitsTest, FormatsDurationsBackToParseableText) {
  for (TimeMicros d : {TimeMicros{0}, 250 * kMicrosPerMilli, 10 * kMicrosPerSecond, 90 * kMicrosPerMinute,
                       kMicrosPerDay, TimeMicros{1234567}}) {
    EXPECT_EQ(*ParseDuration(FormatDuration(d)), d) << FormatDuration(d);
  }
}

}  // namespace
}  // namespace edgeflow
