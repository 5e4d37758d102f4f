#include "forward/crc32c.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgeflow {
namespace {

// Test vectors from RFC 3720 (iSCSI), appendix B.4.
TEST(Crc32cTest, MatchesRfc3720Vectors) {
  std::vector<uint8_t> zeros(32, 0x00);
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  std::vector<uint8_t> ones(32, 0xFF);
  EXPECT_EQ(Crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  std::vector<uint8_t> ascending(32);
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(Crc32c(ascending.data(), ascending.size()), 0x46DD794Eu);
  std::string digits = "123456789";
  EXPECT_EQ(Crc32c(digits.data(), digits.size()), 0xE3069283u);
}

TEST(Crc32cTest, ExtendsInPieces) {
  std::string text = "the quick brown fox jumps over the lazy dog, twice over";
  uint32_t whole = Crc32c(text.data(), text.size());
  uint32_t part = Crc32c(text.data(), 13);
  EXPECT_EQ(Crc32c(text.data() + 13, text.size() - 13, part), whole);
}

}  // namespace
}  // namespace edgeflow
