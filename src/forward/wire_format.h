// Little-endian integers, LEB128 varints and zigzag: the primitives of the
// upstream batch frame and event encoding (docs/design/upstream-protocol.md).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace edgeflow::wire {

inline void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
inline uint64_t Zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t Unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
template <typename T>
void PutFixed(std::string& out, T v) {
  char bytes[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF);
  out.append(bytes, sizeof(T));
}
inline void PutBytes(std::string& out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out.append(bytes);
}

// Reads from a byte range; every getter returns false (and stays failed)
// when the input is too short or malformed, so callers check once at the end
// or at each step.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      const auto byte = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return Fail();  // more than 10 bytes
  }
  template <typename T>
  bool Fixed(T& v) {
    if (in_.size() - pos_ < sizeof(T)) return Fail();
    uint64_t x = 0;
    for (size_t i = 0; i < sizeof(T); ++i) x |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += sizeof(T);
    v = static_cast<T>(x);
    return true;
  }
  bool Bytes(std::string_view& v) {
    uint64_t n = 0;
    if (!Varint(n)) return false;
    return Raw(n, v);
  }
  bool Raw(uint64_t n, std::string_view& v) {
    if (n > in_.size() - pos_) return Fail();
    v = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == in_.size(); }
  bool failed() const { return failed_; }
  size_t position() const { return pos_; }

 private:
  bool Fail() {
    failed_ = true;
    pos_ = in_.size();
    return false;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32).
uint32_t Crc32(std::string_view bytes);

}  // namespace edgeflow::wire
