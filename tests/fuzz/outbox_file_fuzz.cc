// Fuzzes what the outbox reads back from disk after a crash or a bad disk:
// segment files (header, records, resynchronising after a corrupt stretch)
// and the ack checkpoint file. Damage must be reported and skipped, never
// read out of bounds; a record that parses lies inside the bytes read.
//
// The first byte picks the mode:
//   0: the input is a segment file, walked as recovery walks it;
//   1: the input is the text of a checkpoint, given a correct checksum line
//      by the harness (so the parser behind the CRC check is reached);
//   2: the input is a whole checkpoint file, checksum line included.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

#include "forward/crc32c.h"
#include "forward/outbox_checkpoint.h"
#include "forward/outbox_format.h"

using namespace edgeflow;
namespace fmt_ = edgeflow::outbox_format;

namespace {

void WalkSegment(std::span<const uint8_t> file) {
  if (file.size() < fmt_::kHeaderSize) return;
  fmt_::SegmentHeader header;
  (void)fmt_::DecodeHeader(file.first(fmt_::kHeaderSize), header);
  size_t at = fmt_::kHeaderSize;
  while (at < file.size()) {
    fmt_::RecordView view;
    size_t size = 0;
    const std::span<const uint8_t> rest = file.subspan(at);
    const fmt_::ParseOutcome outcome = fmt_::ParseRecord(rest, view, size);
    // Past the end with nothing valid after it: a torn tail (else a damaged length, skipped below).
    if (outcome == fmt_::ParseOutcome::kNeedMore && fmt_::FindNextRecord(file, at + 1) >= file.size()) break;
    if (outcome == fmt_::ParseOutcome::kOk) {
      const char* begin = reinterpret_cast<const char*>(rest.data());
      const char* end = begin + rest.size();
      if (size == 0 || size > rest.size() || view.device.data() < begin ||
          view.device.data() + view.device.size() > end || view.payload.data() < begin ||
          view.payload.data() + view.payload.size() > end) {
        __builtin_trap();
      }
      at += size;
      continue;
    }
    // Corrupt: count what the stretch held, then resume at the next good record.
    const size_t next = fmt_::FindNextRecord(file, at + 1);
    if (next <= at || next > file.size()) __builtin_trap();
    (void)fmt_::CountMarkers(file.subspan(at, next - at));
    at = next;
  }
}

void ReadCheckpoint(const std::string& text) {
  auto checkpoint = DecodeCheckpoint(text);
  if (!checkpoint.ok()) return;
  // What was read writes back to a checkpoint that reads the same.
  auto again = DecodeCheckpoint(EncodeCheckpoint(*checkpoint));
  if (!again.ok() || again->next_seq != checkpoint->next_seq) __builtin_trap();
  for (int c = 0; c < 3; ++c) {
    if (again->classes[c].floor != checkpoint->classes[c].floor ||
        again->classes[c].acked != checkpoint->classes[c].acked) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0] % 3;
  const std::span<const uint8_t> bytes(data + 1, size - 1);
  const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  switch (mode) {
    case 0: WalkSegment(bytes); break;
    case 1: {
      char crc[32];
      std::snprintf(crc, sizeof crc, "crc32c %08x\n", Crc32c(text.data(), text.size()));
      ReadCheckpoint(text + crc);
      break;
    }
    case 2: ReadCheckpoint(text); break;
  }
  return 0;
}
