#include "connectors/modbus/register_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace edgeflow {
namespace {

RegisterFormat Format(RegisterType type, WordOrder words = WordOrder::kBig,
                      ByteOrder bytes = ByteOrder::kBig, double scale = 1, double offset = 0) {
  RegisterFormat f;
  f.type = type;
  f.word_order = words;
  f.byte_order = bytes;
  f.scale = scale;
  f.offset = offset;
  return f;
}

double Decode(std::vector<uint16_t> words, const RegisterFormat& f) {
  return DecodeRegisters(words, f);
}

TEST(RegisterCodecTest, SixteenBitTypes) {
  EXPECT_EQ(Decode({0xFF85}, Format(RegisterType::kInt16)), -123);
  EXPECT_EQ(Decode({0xFF85}, Format(RegisterType::kUint16)), 65413);
  EXPECT_EQ(Decode({0x8000}, Format(RegisterType::kInt16)), -32768);
  EXPECT_EQ(Decode({0x0000}, Format(RegisterType::kBool)), 0);
  EXPECT_EQ(Decode({0x0100}, Format(RegisterType::kBool)), 1);
}

TEST(RegisterCodecTest, ByteOrderSwapsBytesWithinAWord) {
  // 0x1234 stored little-endian arrives as 0x3412.
  EXPECT_EQ(Decode({0x3412}, Format(RegisterType::kUint16, WordOrder::kBig, ByteOrder::kLittle)),
            0x1234);
  EXPECT_EQ(Decode({0x85FF}, Format(RegisterType::kInt16, WordOrder::kBig, ByteOrder::kLittle)),
            -123);
}

TEST(RegisterCodecTest, ThirtyTwoBitWordAndByteOrders) {
  const uint32_t v = 0x12345678;
  // ABCD, CDAB, BADC, DCBA.
  EXPECT_EQ(Decode({0x1234, 0x5678}, Format(RegisterType::kUint32)), v);
  EXPECT_EQ(Decode({0x5678, 0x1234}, Format(RegisterType::kUint32, WordOrder::kLittle)), v);
  EXPECT_EQ(Decode({0x3412, 0x7856},
                   Format(RegisterType::kUint32, WordOrder::kBig, ByteOrder::kLittle)),
            v);
  EXPECT_EQ(Decode({0x7856, 0x3412},
                   Format(RegisterType::kUint32, WordOrder::kLittle, ByteOrder::kLittle)),
            v);
  EXPECT_EQ(Decode({0xFFFF, 0xFFFE}, Format(RegisterType::kInt32)), -2);
  EXPECT_EQ(Decode({0xFFFE, 0xFFFF}, Format(RegisterType::kInt32, WordOrder::kLittle)), -2);
  EXPECT_EQ(Decode({0xFFFF, 0xFFFE}, Format(RegisterType::kUint32)), 4294967294.0);
}

TEST(RegisterCodecTest, Float32) {
  // 21.5f = 0x41AC0000; -1.25f = 0xBFA00000.
  EXPECT_EQ(Decode({0x41AC, 0x0000}, Format(RegisterType::kFloat32)), 21.5);
  EXPECT_EQ(Decode({0x0000, 0x41AC}, Format(RegisterType::kFloat32, WordOrder::kLittle)), 21.5);
  EXPECT_EQ(Decode({0xA0BF, 0x0000},
                   Format(RegisterType::kFloat32, WordOrder::kBig, ByteOrder::kLittle)),
            -1.25);
}

TEST(RegisterCodecTest, ScaleAndOffset) {
  EXPECT_DOUBLE_EQ(Decode({0xFF85}, Format(RegisterType::kInt16, WordOrder::kBig,
                                           ByteOrder::kBig, 0.1)),
                   -12.3);
  EXPECT_DOUBLE_EQ(Decode({250}, Format(RegisterType::kUint16, WordOrder::kBig, ByteOrder::kBig,
                                        0.5, -40)),
                   85);
  const RegisterFormat f = Format(RegisterType::kInt16, WordOrder::kBig, ByteOrder::kBig, 2, 1);
  EXPECT_EQ(DecodeRawRegisters(std::vector<uint16_t>{7}, f), 7);
}

TEST(RegisterCodecTest, EncodeIsTheInverseOfDecode) {
  const std::vector<RegisterFormat> formats = {
      Format(RegisterType::kInt16, WordOrder::kBig, ByteOrder::kBig, 0.1),
      Format(RegisterType::kUint16, WordOrder::kBig, ByteOrder::kLittle),
      Format(RegisterType::kInt32, WordOrder::kLittle),
      Format(RegisterType::kUint32, WordOrder::kLittle, ByteOrder::kLittle),
      Format(RegisterType::kFloat32, WordOrder::kLittle),
  };
  for (const RegisterFormat& f : formats) {
    std::array<uint16_t, 2> words{};
    Result<int> n = EncodeRegisters(123.5, f, &words);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(*n, RegisterWidth(f.type));
    const double back = DecodeRegisters(std::span<const uint16_t>(words.data(), *n), f);
    const bool integer = f.type != RegisterType::kFloat32;
    // Integer types round value / scale to the nearest integer.
    EXPECT_DOUBLE_EQ(back, integer && f.scale == 1 ? 124 : 123.5) << static_cast<int>(f.type);
  }
}

TEST(RegisterCodecTest, EncodeKnownWords) {
  std::array<uint16_t, 2> words{};
  ASSERT_TRUE(EncodeRegisters(-12.3, Format(RegisterType::kInt16, WordOrder::kBig,
                                            ByteOrder::kBig, 0.1),
                              &words)
                  .ok());
  EXPECT_EQ(words[0], 0xFF85);
  ASSERT_TRUE(EncodeRegisters(0x12345678, Format(RegisterType::kUint32, WordOrder::kLittle), &words)
                  .ok());
  EXPECT_EQ(words[0], 0x5678);
  EXPECT_EQ(words[1], 0x1234);
}

TEST(RegisterCodecTest, EncodeRejectsOutOfRangeAndNonFinite) {
  std::array<uint16_t, 2> words{};
  EXPECT_FALSE(EncodeRegisters(40000, Format(RegisterType::kInt16), &words).ok());
  EXPECT_FALSE(EncodeRegisters(-1, Format(RegisterType::kUint16), &words).ok());
  EXPECT_FALSE(EncodeRegisters(7000, Format(RegisterType::kInt16, WordOrder::kBig,
                                            ByteOrder::kBig, 0.1),
                               &words)
                   .ok());  // 70000 after scale
  EXPECT_FALSE(EncodeRegisters(5e9, Format(RegisterType::kUint32), &words).ok());
  EXPECT_FALSE(EncodeRegisters(1e39, Format(RegisterType::kFloat32), &words).ok());
  EXPECT_FALSE(EncodeRegisters(std::nan(""), Format(RegisterType::kFloat32), &words).ok());
  EXPECT_TRUE(EncodeRegisters(65535, Format(RegisterType::kUint16), &words).ok());
}

TEST(RegisterCodecTest, Names) {
  EXPECT_EQ(ParseModbusTable("discrete"), ModbusTable::kDiscrete);
  EXPECT_FALSE(ParseModbusTable("coils").has_value());
  EXPECT_EQ(ParseRegisterType("float32"), RegisterType::kFloat32);
  EXPECT_TRUE(IsBitTable(ModbusTable::kCoil));
  EXPECT_FALSE(IsBitTable(ModbusTable::kInput));
  EXPECT_EQ(RegisterWidth(RegisterType::kInt32), 2);
  EXPECT_EQ(RegisterWidth(RegisterType::kBool), 1);
}

}  // namespace
}  // namespace edgeflow
