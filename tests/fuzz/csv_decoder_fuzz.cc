// Fuzzes CsvDecoder (src/connectors/codec/csv_decoder.h): the first byte
// picks the options (delimiter, header line or fixed columns, declared
// types, time format, integers, default device); the rest is split into
// lines as the replay source does: the first line is the header when no
// columns are configured, every other line one record. Rejections are fine;
// crashes, sanitizer reports and broken result invariants are not.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "connectors/codec/csv_decoder.h"
#include "fuzz_check.h"

namespace edgeflow {
namespace {

constexpr TimeMicros kNow = 1'700'000'000LL * kMicrosPerSecond;

using edgeflow::fuzz::Fail;

CsvDecoderOptions OptionsFor(uint8_t selector) {
  CsvDecoderOptions o;
  static constexpr char kDelimiters[] = {',', ';', '\t', '|'};
  o.delimiter = kDelimiters[selector & 0x03];
  if (selector & 0x04) o.columns = {"time", "device", "v", "s", "b", "", "n"};
  if (selector & 0x08) {
    o.types = {{"v", DeclaredType::kNumber}, {"s", DeclaredType::kString},
               {"b", DeclaredType::kBool}};
    o.on_type_mismatch =
        (selector & 0x10) ? TypeMismatchPolicy::kDropField : TypeMismatchPolicy::kReject;
  } else {
    o.keep_integers = (selector & 0x10) != 0;
  }
  static constexpr InputTimeFormat kFormats[] = {InputTimeFormat::kAuto, InputTimeFormat::kIso8601,
                                                 InputTimeFormat::kUnixSeconds,
                                                 InputTimeFormat::kUnixNanos};
  o.time_format = kFormats[(selector >> 5) & 0x03];
  if (selector & 0x80) {
    o.default_device = "fallback";
    o.max_bytes = 256;
    o.max_past = kMicrosPerDay;
    o.max_future = 0;
  }
  return o;
}

}  // namespace
}  // namespace edgeflow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgeflow;
  if (size < 1) return 0;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  CsvDecoder decoder(OptionsFor(data[0]));
  Batch batch;
  while (!input.empty()) {
    const size_t newline = input.find('\n');
    const std::string_view line = input.substr(0, newline);
    input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
    if (decoder.needs_header()) {
      if (!decoder.ReadHeader(line).ok()) {
        if (!decoder.needs_header()) Fail("a rejected header set the columns");
        continue;  // as if the next line were the header
      }
      if (decoder.needs_header()) Fail("an accepted header left no columns");
      continue;
    }
    const size_t before = batch.size();
    const DecodeResult r = decoder.DecodeLine(line, kNow, batch);
    if (batch.size() - before != r.accepted || r.accepted > 1) Fail("accepted != events appended");
    if (r.ok() != (r.accepted == 1) || r.rejected + r.accepted != 1) {
      Fail("a line is not exactly one accepted or one rejected record");
    }
    if (r.excerpt.size() > kExcerptBytes) Fail("excerpt longer than kExcerptBytes");
    if (batch.size() > 4096) batch.Clear();
  }
  return 0;
}
