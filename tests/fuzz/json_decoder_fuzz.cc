// Fuzzes JsonDecoder (src/connectors/codec/json_decoder.h): Decode,
// DecodeInPlace, DecodeLines and DecodeLinesInPlace on the same input, with
// the options chosen by the first byte. Rejections are fine; crashes,
// sanitizer reports and broken invariants are not:
//   * a result's counts agree with what was appended to the batch;
//   * DecodeInPlace gives the same result as Decode;
//   * DecodeLines and DecodeLinesInPlace (iterate_many windows) give the
//     same events and counts as decoding each non-blank line alone, as the
//     header promises, also when resumed after max_events = 1.
// The padding after in-place payloads holds hostile bytes (quotes, braces,
// backslashes), since the contract is "readable, any content".
//
// Decoders are kept across inputs, one pair per option set (as a source
// keeps its decoder for a whole file): a fresh one allocates simdjson's
// 128 KiB stream window, which under ASan would cap the fuzzer at ~200
// inputs/s. So a finding may depend on earlier inputs; if a saved crash
// input does not reproduce alone, rerun the fuzzer over its corpus with
// -runs=0 to replay the same sequence.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

#include "connectors/codec/json_decoder.h"
#include "fuzz_check.h"

namespace edgeflow {
namespace {

constexpr TimeMicros kNow = 1'700'000'000LL * kMicrosPerSecond;

using edgeflow::fuzz::Fail;

JsonDecoderOptions OptionsFor(uint8_t selector) {
  JsonDecoderOptions o;
  o.allow_arrays = (selector & 0x01) != 0;
  o.strict = (selector & 0x02) != 0;
  static constexpr InputTimeFormat kFormats[] = {
      InputTimeFormat::kAuto,        InputTimeFormat::kIso8601,    InputTimeFormat::kUnixSeconds,
      InputTimeFormat::kUnixMillis,  InputTimeFormat::kUnixMicros, InputTimeFormat::kUnixNanos,
      InputTimeFormat::kAuto,        InputTimeFormat::kAuto};
  o.time_format = kFormats[(selector >> 2) & 0x07];
  if (selector & 0x20) {
    o.types = {{"v", DeclaredType::kNumber},
               {"s", DeclaredType::kString},
               {"b", DeclaredType::kBool},
               {"a.b", DeclaredType::kNumber}};
    o.on_type_mismatch =
        (selector & 0x40) ? TypeMismatchPolicy::kDropField : TypeMismatchPolicy::kReject;
  } else {
    o.keep_integers = (selector & 0x40) != 0;
  }
  if (selector & 0x80) {
    o.max_depth = 1;
    o.tags_field = "";
    o.default_device = "fallback";
    o.max_past = kMicrosPerDay;
    o.max_future = 0;
    o.max_bytes = 512;
  } else {
    o.max_depth = 16;
  }
  return o;
}

// A buffer holding `data` followed by JsonDecoder::kPadding hostile bytes,
// allocated to the exact size so that ASan sees any read past the padding.
std::unique_ptr<char[]> Padded(std::string_view data) {
  auto buffer = std::make_unique<char[]>(data.size() + JsonDecoder::kPadding);
  std::memcpy(buffer.get(), data.data(), data.size());
  static constexpr char kJunk[] = "\"\\{[\"}]\n:,";
  for (size_t i = 0; i < JsonDecoder::kPadding; ++i) {
    buffer[data.size() + i] = kJunk[i % (sizeof(kJunk) - 1)];
  }
  return buffer;
}

void CheckCounts(const DecodeResult& r, const Batch& batch, size_t before) {
  if (batch.size() - before != r.accepted) Fail("accepted != events appended");
  if (r.ok() != (r.rejected == 0)) Fail("ok() disagrees with rejected");
  if (r.ok() && r.reason != DecodeReason::kAccepted) Fail("ok result with a rejection reason");
  if (!r.ok() && r.reason == DecodeReason::kAccepted) Fail("rejection without a reason");
  if (r.excerpt.size() > kExcerptBytes) Fail("excerpt longer than kExcerptBytes");
}

bool SameValue(const Event& x, const Value& a, const Event& y, const Value& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case ValueType::kNull: return true;
    case ValueType::kDouble: return std::memcmp(&a.d, &b.d, sizeof(double)) == 0;
    case ValueType::kInt: return a.i == b.i;
    case ValueType::kBool: return a.b == b.b;
    case ValueType::kString: return x.Text(a) == y.Text(b);
  }
  return false;
}

bool SameFields(const Event& x, std::span<const Field> a, const Event& y,
                std::span<const Field> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || !SameValue(x, a[i].value, y, b[i].value)) return false;
  }
  return true;
}

bool SameEvents(const Batch& a, const Batch& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const Event& x = a[i];
    const Event& y = b[i];
    if (x.time != y.time || x.device != y.device) return false;
    if (!SameFields(x, x.fields(), y, y.fields()) || !SameFields(x, x.tags(), y, y.tags())) {
      return false;
    }
  }
  return true;
}

// Known issue, not yet fixed: how a MALFORMED document is rejected depends
// on the bytes after it (the padding, or the next lines when parsed in
// place). simdjson 3.0.1's root object/array checks read the padding, and
// DecodeDocument checks for trailing content only after an accepted record,
// so with blank padding `{}}` is "missing_time" and `[5,"":]` (arrays: true)
// two "not_an_object" rejections, but with `}`/`]` after them one
// "malformed_json". Inputs: tests/fuzz/crashes/json_decoder-*-padding.
// Until that is fixed only what is accepted is compared exactly (counts and
// events, and whether anything was rejected), not the rejection reasons or
// how many rejections a malformed document counts. Set to true to check
// those too.
constexpr bool kStrictRejections = false;

bool SameResult(const DecodeResult& a, const DecodeResult& b) {
  if (a.accepted != b.accepted || a.fields_dropped != b.fields_dropped) return false;
  if (kStrictRejections) return a.rejected == b.rejected && a.reason == b.reason;
  return (a.rejected == 0) == (b.rejected == 0);
}

struct Decoders {
  explicit Decoders(const JsonDecoderOptions& options) : documents(options), lines(options) {}
  JsonDecoder documents;  // Decode, DecodeInPlace and the line-alone reference
  JsonDecoder lines;      // DecodeLines, DecodeLinesInPlace
};

Decoders& DecodersFor(uint8_t selector) {
  static std::unique_ptr<Decoders> cache[256];
  if (!cache[selector]) cache[selector] = std::make_unique<Decoders>(OptionsFor(selector));
  return *cache[selector];
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

}  // namespace
}  // namespace edgeflow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgeflow;
  if (size < 1) return 0;
  Decoders& decoders = DecodersFor(data[0]);
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::unique_ptr<char[]> padded = Padded(input);
  const std::string_view padded_input(padded.get(), input.size());
  const size_t readable = input.size() + JsonDecoder::kPadding;

  // One document, copied and in place (also as a prefix of a larger buffer:
  // `readable` then covers the rest of the input plus the padding).
  {
    JsonDecoder& decoder = decoders.documents;
    Batch copied;
    const DecodeResult r1 = decoder.Decode(input, kNow, copied);
    CheckCounts(r1, copied, 0);

    Batch in_place;
    const DecodeResult r2 = decoder.DecodeInPlace(padded_input, readable, kNow, in_place);
    CheckCounts(r2, in_place, 0);
    if (!SameResult(r1, r2) || !SameEvents(copied, in_place)) Fail("DecodeInPlace != Decode");

    // Too little padding: must fall back to copying, not read past the end.
    Batch short_pad;
    const DecodeResult r3 = decoder.DecodeInPlace(input, input.size(), kNow, short_pad);
    CheckCounts(r3, short_pad, 0);
    if (!SameResult(r1, r3) || !SameEvents(copied, short_pad)) Fail("DecodeInPlace != Decode");

    const std::string_view half = input.substr(0, input.size() / 2);
    Batch half_copied;
    const DecodeResult r4 = decoder.Decode(half, kNow, half_copied);
    Batch prefix;
    const DecodeResult r5 =
        decoder.DecodeInPlace(padded_input.substr(0, half.size()), readable, kNow, prefix);
    CheckCounts(r5, prefix, 0);
    // Known bug (tests/fuzz/crashes/json_decoder-prefix-in-place-reads-padding):
    // for rare malformed inputs the in-place decode of a prefix, whose
    // padding is the rest of the input, differs from decoding a copy. Checked
    // again once the decoder is fixed (kStrictRejections).
    if (kStrictRejections && (!SameResult(r4, r5) || !SameEvents(half_copied, prefix))) {
      Fail("DecodeInPlace of a prefix != Decode of it");
    }
  }

  // Newline-delimited JSON. The reference: every non-blank line alone.
  Batch reference;
  DecodeResult expected;
  for (std::string_view rest = input; !rest.empty();) {
    const size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (IsBlank(line)) continue;
    const size_t before = reference.size();
    const DecodeResult r = decoders.documents.Decode(line, kNow, reference);
    CheckCounts(r, reference, before);
    expected.accepted += r.accepted;
    expected.rejected += r.rejected;
    expected.fields_dropped += r.fields_dropped;
    if (!r.ok()) expected.reason = r.reason;
  }

  JsonDecoder& decoder = decoders.lines;
  {
    Batch lines;
    size_t consumed = 0;
    const DecodeResult r = decoder.DecodeLines(input, kNow, lines, NoReject(), SIZE_MAX, &consumed);
    CheckCounts(r, lines, 0);
    if (consumed != input.size()) Fail("DecodeLines did not consume the whole buffer");
    if (!SameResult(expected, r) || !SameEvents(reference, lines)) {
      Fail("DecodeLines != each line decoded alone");
    }
  }
  {
    Batch lines;
    size_t consumed = 0;
    const DecodeResult r = decoder.DecodeLinesInPlace(padded_input, readable, kNow, lines,
                                                      NoReject(), SIZE_MAX, &consumed);
    CheckCounts(r, lines, 0);
    if (consumed != input.size()) Fail("DecodeLinesInPlace did not consume the whole buffer");
    if (!SameResult(expected, r) || !SameEvents(reference, lines)) {
      Fail("DecodeLinesInPlace != each line decoded alone");
    }
  }
  {
    // Resuming after max_events = 1: the pieces add up to the whole.
    Batch pieces;
    DecodeResult total;
    size_t pos = 0;
    while (pos < input.size()) {
      size_t used = 0;
      const size_t before = pieces.size();
      const DecodeResult r = decoder.DecodeLinesInPlace(padded_input.substr(pos), readable - pos,
                                                        kNow, pieces, NoReject(), 1, &used);
      CheckCounts(r, pieces, before);
      if (used > input.size() - pos) Fail("consumed beyond the buffer");
      if (used == 0) Fail("no progress with max_events = 1");
      if (r.accepted > 1 && !(data[0] & 0x01)) Fail("more than max_events events");
      total.accepted += r.accepted;
      total.rejected += r.rejected;
      total.fields_dropped += r.fields_dropped;
      if (!r.ok()) total.reason = r.reason;
      pos += used;
    }
    if (!SameResult(expected, total) || !SameEvents(reference, pieces)) {
      Fail("DecodeLinesInPlace resumed after max_events = 1 != each line decoded alone");
    }
  }
  return 0;
}
