// Modbus register values: how the 16-bit words (or bits) a device returns
// become a number, and back.
//
// A 32-bit value spans two registers. `word_order: big` means the register
// at the lower address holds the high word (the Modbus convention, "ABCD");
// `little` the low word ("CDAB"). `byte_order: little` swaps the two bytes
// inside every register ("BADC" / "DCBA"), for devices that store words
// little-endian. A decoded value is `raw * scale + offset`; a written one is
// `value / scale` (rounded for integer types).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/status.h"

namespace edgeflow {

enum class ModbusTable { kHolding, kInput, kCoil, kDiscrete };
enum class RegisterType { kInt16, kUint16, kInt32, kUint32, kFloat32, kBool };
enum class WordOrder { kBig, kLittle };
enum class ByteOrder { kBig, kLittle };

std::optional<ModbusTable> ParseModbusTable(std::string_view name);
std::string_view ModbusTableName(ModbusTable table);
std::optional<RegisterType> ParseRegisterType(std::string_view name);
// Coils and discrete inputs are bits; holding and input tables are registers.
bool IsBitTable(ModbusTable table);

struct RegisterFormat {
  RegisterType type = RegisterType::kUint16;
  WordOrder word_order = WordOrder::kBig;
  ByteOrder byte_order = ByteOrder::kBig;
  double scale = 1;
  double offset = 0;
};

// Registers (or bits) one value occupies: 2 for 32-bit types, else 1.
int RegisterWidth(RegisterType type);

// The raw value of `words` (RegisterWidth words), before scale and offset.
// A bool in a register is true when the register is not 0.
double DecodeRawRegisters(std::span<const uint16_t> words, const RegisterFormat& format);
// raw * scale + offset.
double DecodeRegisters(std::span<const uint16_t> words, const RegisterFormat& format);

// The words to write for `value` (divided by scale, rounded for integer
// types); InvalidData when it is not finite or out of the type's range.
// Returns the number of words used (1 or 2).
Result<int> EncodeRegisters(double value, const RegisterFormat& format,
                            std::array<uint16_t, 2>* words);

}  // namespace edgeflow
