#include "forward/batch_codec.h"

#include <zstd.h>

#include "forward/wire_format.h"

namespace edgeflow {
namespace {

constexpr std::string_view kMagic = "EFUB";
constexpr size_t kMinCompressBytes = 64;
constexpr uint32_t kMaxRecords = 1000000;

}  // namespace

struct BatchEncoder::ZstdContext {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ~ZstdContext() { ZSTD_freeCCtx(cctx); }
};

BatchEncoder::BatchEncoder() : zstd_(std::make_unique<ZstdContext>()) {}
BatchEncoder::~BatchEncoder() = default;

void BatchEncoder::Add(uint64_t seq, uint8_t priority, std::string_view event) {
  if (count_ == 0) first_seq_ = seq;
  wire::PutVarint(body_, seq - (count_ == 0 ? first_seq_ : last_seq_));
  body_.push_back(static_cast<char>(priority));
  wire::PutBytes(body_, event);
  last_seq_ = seq;
  ++count_;
}

Status BatchEncoder::Finish(std::string_view node, BatchCodec codec, int level, std::string& frame) {
  if (codec == BatchCodec::kZstd && body_.size() < kMinCompressBytes) codec = BatchCodec::kNone;
  std::string_view sent = body_;
  if (codec == BatchCodec::kZstd) {
    compressed_.resize(ZSTD_compressBound(body_.size()));
    const size_t n = ZSTD_compressCCtx(zstd_->cctx, compressed_.data(), compressed_.size(),
                                       body_.data(), body_.size(), level);
    if (ZSTD_isError(n)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
    compressed_.resize(n);
    sent = compressed_;
  }
  frame.clear();
  frame.append(kMagic);
  frame.push_back(static_cast<char>(kBatchVersion));
  frame.push_back(static_cast<char>(codec));
  wire::PutFixed<uint16_t>(frame, 0);  // flags
  wire::PutFixed<uint16_t>(frame, static_cast<uint16_t>(node.size()));
  frame.append(node);
  wire::PutFixed<uint64_t>(frame, first_seq_);
  wire::PutFixed<uint64_t>(frame, last_seq_);
  wire::PutFixed<uint32_t>(frame, static_cast<uint32_t>(count_));
  wire::PutFixed<uint32_t>(frame, static_cast<uint32_t>(body_.size()));
  wire::PutFixed<uint32_t>(frame, wire::Crc32(sent));
  frame.append(sent);
  body_.clear();
  count_ = 0;
  first_seq_ = last_seq_ = 0;
  return Status::Ok();
}

Result<DecodedBatch> DecodeBatch(std::string_view frame, size_t max_body_bytes, std::string* reason) {
  const auto fail = [&](const char* why, std::string detail) -> Status {
    if (reason != nullptr) *reason = why;
    return InvalidData(std::move(detail));
  };
  if (frame.size() < kMagic.size() || frame.substr(0, kMagic.size()) != kMagic) {
    return fail("bad_magic", "not an upstream batch (bad magic)");
  }
  wire::Reader in(frame.substr(kMagic.size()));
  uint8_t version = 0, codec = 0;
  uint16_t flags = 0, node_length = 0;
  if (!in.Fixed(version)) return fail("truncated", "frame truncated in its header");
  if (version != kBatchVersion) {
    return fail("unsupported_version",
                "batch version " + std::to_string(version) + " not supported (this receiver reads 1)");
  }
  DecodedBatch batch;
  std::string_view node, sent;
  uint32_t count = 0, body_length = 0, crc = 0;
  if (!in.Fixed(codec) || !in.Fixed(flags) || !in.Fixed(node_length) || !in.Raw(node_length, node) ||
      !in.Fixed(batch.first_seq) || !in.Fixed(batch.last_seq) || !in.Fixed(count) ||
      !in.Fixed(body_length) || !in.Fixed(crc)) {
    return fail("truncated", "frame truncated in its header");
  }
  if (codec > static_cast<uint8_t>(BatchCodec::kZstd)) {
    return fail("unsupported_codec", "batch codec " + std::to_string(codec) + " not supported");
  }
  if (node.empty() || node.size() > 255) return fail("bad_records", "node id must be 1..255 bytes");
  if (count == 0 || count > kMaxRecords) return fail("bad_records", "bad record count");
  if (body_length > max_body_bytes) {
    return fail("too_large", "batch body of " + std::to_string(body_length) + " bytes exceeds the limit of " +
                                 std::to_string(max_body_bytes));
  }
  sent = frame.substr(kMagic.size() + in.position());
  if (wire::Crc32(sent) != crc) return fail("bad_crc", "batch CRC mismatch (damaged in transit?)");
  if (codec == static_cast<uint8_t>(BatchCodec::kZstd)) {
    batch.body.resize(body_length);
    const size_t n = ZSTD_decompress(batch.body.data(), batch.body.size(), sent.data(), sent.size());
    if (ZSTD_isError(n) || n != body_length) {
      return fail("bad_compression", "batch body does not decompress to its declared length");
    }
  } else {
    if (sent.size() != body_length) return fail("bad_compression", "batch body length mismatch");
    batch.body.assign(sent.begin(), sent.end());
  }
  batch.node.assign(node);
  batch.records.reserve(count);
  wire::Reader records(std::string_view(batch.body.data(), batch.body.size()));
  uint64_t seq = batch.first_seq;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t delta = 0;
    BatchRecord r;
    if (!records.Varint(delta) || !records.Fixed(r.priority) || !records.Bytes(r.event)) {
      return fail("bad_records", "records section truncated");
    }
    if ((i > 0 && delta == 0) || (i == 0 && delta != 0) || seq + delta < seq) {
      return fail("bad_records", "record seqs not strictly ascending from first_seq");
    }
    seq += delta;
    r.seq = seq;
    batch.records.push_back(r);
  }
  if (!records.done()) return fail("bad_records", "trailing bytes after the last record");
  if (seq != batch.last_seq) return fail("bad_records", "last record's seq differs from last_seq");
  return batch;
}

}  // namespace edgeflow
