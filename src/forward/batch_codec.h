// The upstream batch frame: header (magic, version, codec, node id, first and
// last seq, record count, body length, CRC) and a zstd-compressed records
// section (seq delta, priority, event bytes). Specified in
// docs/design/upstream-protocol.md; both the upstream sink (encode) and the
// upstream source (decode) use it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edgeflow {

inline constexpr uint8_t kBatchVersion = 1;
enum class BatchCodec : uint8_t { kNone = 0, kZstd = 1 };

struct BatchRecord {
  uint64_t seq = 0;
  uint8_t priority = 0;
  std::string_view event;  // points into the DecodedBatch's body
};

// Move-only: the records' views point into `body`, whose buffer a move
// keeps in place (a vector, not a string: a short string's bytes live
// inside the object and would move away from the views).
struct DecodedBatch {
  DecodedBatch() = default;
  DecodedBatch(DecodedBatch&&) = default;
  DecodedBatch& operator=(DecodedBatch&&) = default;
  DecodedBatch(const DecodedBatch&) = delete;
  DecodedBatch& operator=(const DecodedBatch&) = delete;

  std::string node;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  std::vector<char> body;  // the uncompressed records section
  std::vector<BatchRecord> records;
};

// Builds frames; keeps its zstd context and buffers between batches.
class BatchEncoder {
 public:
  BatchEncoder();
  ~BatchEncoder();
  BatchEncoder(const BatchEncoder&) = delete;
  BatchEncoder& operator=(const BatchEncoder&) = delete;

  // Adds a record; seqs must be added in ascending order.
  void Add(uint64_t seq, uint8_t priority, std::string_view event);
  size_t count() const { return count_; }
  // Bytes of the records section so far (before compression).
  size_t body_size() const { return body_.size(); }
  uint64_t first_seq() const { return first_seq_; }
  uint64_t last_seq() const { return last_seq_; }

  // Writes the frame for the records added so far into `frame` and starts a
  // new batch. `level` is the zstd level (codec kZstd); bodies under 64 bytes
  // go uncompressed. Fails only if zstd does.
  Status Finish(std::string_view node, BatchCodec codec, int level, std::string& frame);

 private:
  struct ZstdContext;
  std::unique_ptr<ZstdContext> zstd_;
  std::string body_;
  std::string compressed_;
  size_t count_ = 0;
  uint64_t first_seq_ = 0;
  uint64_t last_seq_ = 0;
};

// Decodes and checks a frame. On failure returns InvalidData and sets
// `reason` to a short counter label: bad_magic, unsupported_version,
// unsupported_codec, truncated, bad_crc, too_large, bad_compression,
// bad_records.
Result<DecodedBatch> DecodeBatch(std::string_view frame, size_t max_body_bytes, std::string* reason);

}  // namespace edgeflow
