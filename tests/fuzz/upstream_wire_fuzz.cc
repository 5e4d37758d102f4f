// Fuzzes what an upstream receiver reads from the network and what a sender
// reads back: batch frames (header, CRC, zstd body, records section), the
// event encoding inside each record, and ack messages. A malformed frame,
// event or ack must be refused with a reason, never read out of bounds.
//
// The first byte picks the mode:
//   0: the input is a whole frame (the header and CRC checks see raw bytes);
//   1: the input is a records section, sent uncompressed in a valid header
//      whose CRC the harness computes (random bytes almost never pass a
//      CRC, so this is how the records parser and the events are reached);
//   2: the same, but the input is the zstd-compressed section (declared
//      length from the next byte), so the decompression checks are reached;
//   3: the input is one encoded event;
//   4: the input is an ack message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "forward/ack_message.h"
#include "forward/batch_codec.h"
#include "forward/event_codec.h"
#include "forward/wire_format.h"
#include "model/event.h"

using namespace edgeflow;

namespace {

constexpr size_t kMaxBody = 1 << 20;

// The frame magic, taken from a frame the encoder writes (node "n", one
// record, no compression): everything before the fixed header fields.
std::string Magic() {
  BatchEncoder encoder;
  encoder.Add(1, 0, "x");
  const size_t body = encoder.body_size();
  std::string frame;
  if (!encoder.Finish("n", BatchCodec::kNone, 0, frame).ok()) __builtin_trap();
  const size_t fixed = 1 + 1 + 2 + 2 + 1 + 8 + 8 + 4 + 4 + 4;  // version .. crc, node "n"
  return frame.substr(0, frame.size() - body - fixed);
}

// A frame around `sent` with a correct CRC; the header fields as given.
std::string Frame(BatchCodec codec, uint32_t count, uint32_t body_length, uint64_t first_seq, uint64_t last_seq,
                  std::string_view sent) {
  static const std::string magic = Magic();
  std::string frame = magic;
  frame.push_back(static_cast<char>(kBatchVersion));
  frame.push_back(static_cast<char>(codec));
  wire::PutFixed<uint16_t>(frame, 0);
  wire::PutFixed<uint16_t>(frame, 6);
  frame.append("node-1");
  wire::PutFixed<uint64_t>(frame, first_seq);
  wire::PutFixed<uint64_t>(frame, last_seq);
  wire::PutFixed<uint32_t>(frame, count);
  wire::PutFixed<uint32_t>(frame, body_length);
  wire::PutFixed<uint32_t>(frame, wire::Crc32(sent));
  frame.append(sent);
  return frame;
}

void Decode(std::string_view frame) {
  std::string reason;
  auto batch = DecodeBatch(frame, kMaxBody, &reason);
  if (!batch.ok()) {
    if (reason.empty()) __builtin_trap();  // every refusal names its counter reason
    return;
  }
  if (batch->records.empty() || batch->records.back().seq != batch->last_seq) __builtin_trap();
  Event event;
  for (const BatchRecord& r : batch->records) {
    // A record's event bytes lie inside the decoded body.
    const char* body = batch->body.data();
    if (!r.event.empty() && (r.event.data() < body || r.event.data() + r.event.size() > body + batch->body.size())) {
      __builtin_trap();
    }
    (void)DecodeEvent(r.event, event);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0] % 5;
  const uint8_t knob = data[1];  // record count / declared length in modes 1-2
  std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  switch (mode) {
    case 0: Decode(bytes); break;
    case 1: {
      const uint32_t count = 1 + knob % 8;
      Decode(Frame(BatchCodec::kNone, count, static_cast<uint32_t>(bytes.size()), 100, 100 + knob / 8, bytes));
      break;
    }
    case 2: Decode(Frame(BatchCodec::kZstd, 1, 64u * knob, 7, 7, bytes)); break;
    case 3: {
      Event event;
      const EventDecode outcome = DecodeEvent(bytes, event);
      if (outcome == EventDecode::kOk) {
        // What decodes re-encodes to a form that decodes to the same event.
        std::string again;
        EncodeEvent(event, again);
        Event twice;
        if (DecodeEvent(again, twice) != EventDecode::kOk || twice.time != event.time ||
            twice.fields().size() != event.fields().size()) {
          __builtin_trap();
        }
      }
      break;
    }
    case 4: (void)ParseAck(bytes); break;
  }
  return 0;
}
