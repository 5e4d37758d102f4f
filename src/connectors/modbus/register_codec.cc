#include "connectors/modbus/register_codec.h"

#include <cmath>
#include <cstring>
#include <string>

namespace edgeflow {
namespace {

uint16_t SwapBytes(uint16_t w) { return static_cast<uint16_t>((w >> 8) | (w << 8)); }

// The register as a big-endian word, whatever the device's byte order.
uint16_t Word(uint16_t w, ByteOrder order) { return order == ByteOrder::kLittle ? SwapBytes(w) : w; }

uint32_t Combine32(std::span<const uint16_t> words, const RegisterFormat& f) {
  const uint16_t first = Word(words[0], f.byte_order);
  const uint16_t second = Word(words[1], f.byte_order);
  const uint16_t high = f.word_order == WordOrder::kBig ? first : second;
  const uint16_t low = f.word_order == WordOrder::kBig ? second : first;
  return (static_cast<uint32_t>(high) << 16) | low;
}

void Split32(uint32_t v, const RegisterFormat& f, std::array<uint16_t, 2>* words) {
  const uint16_t high = Word(static_cast<uint16_t>(v >> 16), f.byte_order);
  const uint16_t low = Word(static_cast<uint16_t>(v & 0xFFFF), f.byte_order);
  (*words)[0] = f.word_order == WordOrder::kBig ? high : low;
  (*words)[1] = f.word_order == WordOrder::kBig ? low : high;
}

}  // namespace

std::optional<ModbusTable> ParseModbusTable(std::string_view name) {
  if (name == "holding") return ModbusTable::kHolding;
  if (name == "input") return ModbusTable::kInput;
  if (name == "coil") return ModbusTable::kCoil;
  if (name == "discrete") return ModbusTable::kDiscrete;
  return std::nullopt;
}

std::string_view ModbusTableName(ModbusTable table) {
  switch (table) {
    case ModbusTable::kHolding: return "holding";
    case ModbusTable::kInput: return "input";
    case ModbusTable::kCoil: return "coil";
    case ModbusTable::kDiscrete: return "discrete";
  }
  return "holding";
}

std::optional<RegisterType> ParseRegisterType(std::string_view name) {
  if (name == "int16") return RegisterType::kInt16;
  if (name == "uint16") return RegisterType::kUint16;
  if (name == "int32") return RegisterType::kInt32;
  if (name == "uint32") return RegisterType::kUint32;
  if (name == "float32") return RegisterType::kFloat32;
  if (name == "bool") return RegisterType::kBool;
  return std::nullopt;
}

bool IsBitTable(ModbusTable table) {
  return table == ModbusTable::kCoil || table == ModbusTable::kDiscrete;
}

int RegisterWidth(RegisterType type) {
  switch (type) {
    case RegisterType::kInt32:
    case RegisterType::kUint32:
    case RegisterType::kFloat32: return 2;
    default: return 1;
  }
}

double DecodeRawRegisters(std::span<const uint16_t> words, const RegisterFormat& f) {
  switch (f.type) {
    case RegisterType::kInt16: return static_cast<int16_t>(Word(words[0], f.byte_order));
    case RegisterType::kUint16: return Word(words[0], f.byte_order);
    case RegisterType::kBool: return words[0] != 0 ? 1 : 0;
    case RegisterType::kInt32: return static_cast<int32_t>(Combine32(words, f));
    case RegisterType::kUint32: return Combine32(words, f);
    case RegisterType::kFloat32: {
      const uint32_t bits = Combine32(words, f);
      float value;
      std::memcpy(&value, &bits, sizeof value);
      return value;
    }
  }
  return 0;
}

double DecodeRegisters(std::span<const uint16_t> words, const RegisterFormat& format) {
  return DecodeRawRegisters(words, format) * format.scale + format.offset;
}

Result<int> EncodeRegisters(double value, const RegisterFormat& f, std::array<uint16_t, 2>* words) {
  const double raw = value / f.scale;
  if (!std::isfinite(raw)) return InvalidData("value is not finite");
  const auto out_of_range = [&](const char* type) {
    return InvalidData(std::to_string(value) + " does not fit " + type + " (after scale)");
  };
  const double rounded = std::nearbyint(raw);
  switch (f.type) {
    case RegisterType::kBool:
      (*words)[0] = raw != 0 ? 1 : 0;
      return 1;
    case RegisterType::kInt16:
      if (rounded < -32768 || rounded > 32767) return out_of_range("int16");
      (*words)[0] = Word(static_cast<uint16_t>(static_cast<int16_t>(rounded)), f.byte_order);
      return 1;
    case RegisterType::kUint16:
      if (rounded < 0 || rounded > 65535) return out_of_range("uint16");
      (*words)[0] = Word(static_cast<uint16_t>(rounded), f.byte_order);
      return 1;
    case RegisterType::kInt32:
      if (rounded < -2147483648.0 || rounded > 2147483647.0) return out_of_range("int32");
      Split32(static_cast<uint32_t>(static_cast<int32_t>(rounded)), f, words);
      return 2;
    case RegisterType::kUint32:
      if (rounded < 0 || rounded > 4294967295.0) return out_of_range("uint32");
      Split32(static_cast<uint32_t>(rounded), f, words);
      return 2;
    case RegisterType::kFloat32: {
      const float narrow = static_cast<float>(raw);
      if (!std::isfinite(narrow)) return out_of_range("float32");
      uint32_t bits;
      std::memcpy(&bits, &narrow, sizeof bits);
      Split32(bits, f, words);
      return 2;
    }
  }
  return InvalidData("unknown register type");
}

}  // namespace edgeflow
