#include "forward/outbox_format.h"

#include <cstring>

#include "forward/crc32c.h"

namespace edgeflow::outbox_format {
namespace {

template <typename T>
void Put(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(T));  // little-endian hosts only (x86-64, arm64)
}
template <typename T>
T Get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <typename T>
void PutBack(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.append(bytes, sizeof(T));
}

}  // namespace

void EncodeHeader(const SegmentHeader& header, uint8_t out[kHeaderSize]) {
  std::memset(out, 0, kHeaderSize);
  std::memcpy(out, kMagic, sizeof(kMagic));
  Put<uint16_t>(out + 8, header.version);
  out[10] = header.priority;
  Put<uint64_t>(out + 16, header.first_seq);
  Put<uint32_t>(out + 28, Crc32c(out, 28));
}

Status DecodeHeader(std::span<const uint8_t> bytes, SegmentHeader& header) {
  if (bytes.size() < kHeaderSize) return Corruption("segment header truncated");
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return Corruption("not an outbox segment (bad magic)");
  if (Get<uint32_t>(bytes.data() + 28) != Crc32c(bytes.data(), 28)) return Corruption("segment header checksum mismatch");
  header.version = Get<uint16_t>(bytes.data() + 8);
  if (header.version != kVersion) {
    return Corruption("segment format version " + std::to_string(header.version) +
                      " is not supported (this build reads version " + std::to_string(kVersion) + ")");
  }
  header.priority = bytes[10];
  header.first_seq = Get<uint64_t>(bytes.data() + 16);
  return Status::Ok();
}

void AppendRecord(std::string& out, uint64_t seq, TimeMicros append_time, TimeMicros time,
                  std::string_view device, std::span<const uint8_t> payload) {
  size_t start = out.size();
  uint32_t body_len = static_cast<uint32_t>(kBodyFixed + device.size() + payload.size());
  PutBack<uint32_t>(out, kRecordMarker);
  PutBack<uint32_t>(out, body_len);
  PutBack<uint32_t>(out, 0);  // CRC, filled below
  PutBack<uint64_t>(out, seq);
  PutBack<int64_t>(out, append_time);
  PutBack<int64_t>(out, time);
  PutBack<uint16_t>(out, static_cast<uint16_t>(device.size()));
  out.append(device);
  out.append(reinterpret_cast<const char*>(payload.data()), payload.size());
  uint32_t crc = Crc32c(out.data() + start + kRecordPrefix, body_len);
  std::memcpy(out.data() + start + 8, &crc, sizeof(crc));
}

ParseOutcome ParseRecord(std::span<const uint8_t> data, RecordView& view, size_t& size) {
  size = 0;
  if (data.size() < kRecordPrefix) {
    // A short prefix is only "more to come" if what is there could start a record.
    uint8_t marker[4];
    std::memcpy(marker, &kRecordMarker, 4);
    size_t n = data.size() < 4 ? data.size() : 4;
    return std::memcmp(data.data(), marker, n) == 0 ? ParseOutcome::kNeedMore : ParseOutcome::kCorrupt;
  }
  const uint8_t* p = data.data();
  if (Get<uint32_t>(p) != kRecordMarker) return ParseOutcome::kCorrupt;
  uint32_t body_len = Get<uint32_t>(p + 4);
  if (body_len < kBodyFixed || body_len > kMaxRecordBytes) return ParseOutcome::kCorrupt;
  size = kRecordPrefix + body_len;
  if (data.size() < size) return ParseOutcome::kNeedMore;
  const uint8_t* body = p + kRecordPrefix;
  if (Crc32c(body, body_len) != Get<uint32_t>(p + 8)) return ParseOutcome::kCorrupt;
  uint16_t device_len = Get<uint16_t>(body + 24);
  if (kBodyFixed + device_len > body_len) return ParseOutcome::kCorrupt;
  view.seq = Get<uint64_t>(body);
  view.append_time = Get<int64_t>(body + 8);
  view.time = Get<int64_t>(body + 16);
  view.device = std::string_view(reinterpret_cast<const char*>(body + kBodyFixed), device_len);
  view.payload = std::string_view(reinterpret_cast<const char*>(body + kBodyFixed + device_len),
                                  body_len - kBodyFixed - device_len);
  return ParseOutcome::kOk;
}

size_t FindNextRecord(std::span<const uint8_t> data, size_t from) {
  uint8_t marker[4];
  std::memcpy(marker, &kRecordMarker, 4);
  for (size_t i = from; i + kRecordPrefix <= data.size(); ++i) {
    if (std::memcmp(data.data() + i, marker, 4) != 0) continue;
    RecordView view;
    size_t size;
    if (ParseRecord(data.subspan(i), view, size) == ParseOutcome::kOk) return i;
  }
  return data.size();
}

size_t CountMarkers(std::span<const uint8_t> data) {
  uint8_t marker[4];
  std::memcpy(marker, &kRecordMarker, 4);
  size_t n = 0;
  for (size_t i = 0; i + 4 <= data.size(); ++i) {
    if (std::memcmp(data.data() + i, marker, 4) == 0) ++n;
  }
  return n;
}

std::string SegmentFileName(uint64_t first_seq) {
  std::string digits = std::to_string(first_seq);
  return std::string(20 - digits.size(), '0') + digits + ".seg";
}

bool ParseSegmentFileName(std::string_view name, uint64_t& first_seq) {
  if (name.size() != 24 || name.substr(20) != ".seg") return false;
  uint64_t v = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  first_seq = v;
  return true;
}

}  // namespace edgeflow::outbox_format
