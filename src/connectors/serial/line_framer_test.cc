#include "connectors/serial/line_framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgeflow {
namespace {

struct Collected {
  std::vector<std::string> lines;
  std::vector<std::string> too_large;
};

void FeedAll(LineFramer& framer, const std::vector<std::string>& pieces, Collected* out) {
  for (const std::string& piece : pieces) {
    framer.Feed(piece, [out](LineFramer::Kind kind, std::string_view text) {
      (kind == LineFramer::Kind::kLine ? out->lines : out->too_large).emplace_back(text);
    });
  }
}

TEST(LineFramerTest, KeepsAPartialLineUntilItsEndArrives) {
  LineFramer framer(LineEnding::kLf, 100);
  Collected c;
  FeedAll(framer, {"temp=2", "1.5 hum", "=40\ntemp=", "22\n"}, &c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"temp=21.5 hum=40", "temp=22"}));
  EXPECT_EQ(framer.pending(), 0u);
}

TEST(LineFramerTest, CrlfSplitAcrossReadsIsOneLineEnd) {
  LineFramer framer(LineEnding::kCrlf, 100);
  Collected c;
  FeedAll(framer, {"a=1\r", "\nb=2\r\n", "c=3\rd\n", "\r\n"}, &c);
  // A lone \r or \n is data in crlf mode.
  EXPECT_EQ(c.lines, (std::vector<std::string>{"a=1", "b=2", "c=3\rd\n"}));
}

TEST(LineFramerTest, AnyAcceptsEveryLineEndAndSkipsBlankLines) {
  LineFramer framer(LineEnding::kAny, 100);
  Collected c;
  FeedAll(framer, {"a\r\nb\rc\n\n\nd\r", "\n"}, &c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(LineFramerTest, CrOnly) {
  LineFramer framer(LineEnding::kCr, 100);
  Collected c;
  FeedAll(framer, {"x=1\ry=2\n\r"}, &c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"x=1", "y=2\n"}));
}

TEST(LineFramerTest, OverlongLineIsReportedOnceAndResynchronisesAtTheNextLineEnd) {
  LineFramer framer(LineEnding::kLf, 8);
  Collected c;
  FeedAll(framer, {"ok=1\n", "0123456789", "abcdef", "ghij\nnext=2\n"}, &c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"ok=1", "next=2"}));
  ASSERT_EQ(c.too_large.size(), 1u);
  EXPECT_EQ(c.too_large[0], "012345678");  // the excerpt: what was held when it overflowed
  EXPECT_LE(framer.pending(), 9u);
}

TEST(LineFramerTest, LineOfExactlyMaxLineIsAccepted) {
  LineFramer framer(LineEnding::kCrlf, 4);
  Collected c;
  FeedAll(framer, {"abcd\r\n", "abcde\r\nab\r\n"}, &c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"abcd", "ab"}));
  EXPECT_EQ(c.too_large.size(), 1u);
}

TEST(LineFramerTest, ResetDropsThePartialLine) {
  LineFramer framer(LineEnding::kLf, 100);
  Collected c;
  FeedAll(framer, {"half a li"}, &c);
  EXPECT_EQ(framer.pending(), 9u);
  framer.Reset();
  FeedAll(framer, {"ne\nwhole\n"}, &c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"ne", "whole"}));
}

TEST(LineFramerTest, ParsesLineEndingNames) {
  EXPECT_EQ(ParseLineEnding("crlf"), LineEnding::kCrlf);
  EXPECT_EQ(ParseLineEnding("any"), LineEnding::kAny);
  EXPECT_FALSE(ParseLineEnding("CRLF").has_value());
}

}  // namespace
}  // namespace edgeflow
