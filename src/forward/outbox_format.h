// The outbox's on-disk encoding: segment headers and records
// (docs/design/outbox.md). Pure functions over bytes; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace edgeflow::outbox_format {

inline constexpr char kMagic[8] = {'E', 'F', 'O', 'U', 'T', 'B', 'O', 'X'};
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kHeaderSize = 32;
inline constexpr uint32_t kRecordMarker = 0xEF0B0C5A;
inline constexpr size_t kRecordPrefix = 12;  // marker, body_len, crc
inline constexpr size_t kBodyFixed = 26;     // seq, append time, time, device_len
inline constexpr size_t kMaxRecordBytes = 64u << 20;

struct SegmentHeader {
  uint16_t version = kVersion;
  uint8_t priority = 0;
  uint64_t first_seq = 0;
};

void EncodeHeader(const SegmentHeader& header, uint8_t out[kHeaderSize]);
// Corruption when the magic or CRC is wrong or the version is unknown.
Status DecodeHeader(std::span<const uint8_t> bytes, SegmentHeader& header);

inline size_t EncodedSize(size_t device_len, size_t payload_len) {
  return kRecordPrefix + kBodyFixed + device_len + payload_len;
}

// Appends one encoded record to `out`.
void AppendRecord(std::string& out, uint64_t seq, TimeMicros append_time, TimeMicros time,
                  std::string_view device, std::span<const uint8_t> payload);

struct RecordView {
  uint64_t seq = 0;
  TimeMicros append_time = 0;
  TimeMicros time = 0;
  std::string_view device;
  std::string_view payload;
};

enum class ParseOutcome {
  kOk,        // `view` and `size` are set
  kNeedMore,  // a plausible record runs past the end of `data` (`size` = its full size when known)
  kCorrupt,   // bad marker, impossible length or checksum mismatch
};

// Parses the record at the start of `data`.
ParseOutcome ParseRecord(std::span<const uint8_t> data, RecordView& view, size_t& size);

// The first offset >= `from` in `data` where a complete, valid record starts;
// data.size() when there is none.
size_t FindNextRecord(std::span<const uint8_t> data, size_t from);

// Number of record markers in `data` (an estimate of how many records a
// corrupt stretch held).
size_t CountMarkers(std::span<const uint8_t> data);

// "00000000000000000042.seg"
std::string SegmentFileName(uint64_t first_seq);
// Parses a segment file name; false when it is not one.
bool ParseSegmentFileName(std::string_view name, uint64_t& first_seq);

}  // namespace edgeflow::outbox_format
