#include "connectors/codec/json_decoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "common/time_format.h"

namespace edgeflow {
namespace {

constexpr TimeMicros kNow = 1'700'000'000LL * kMicrosPerSecond;

const std::string kReading =
    R"({"device":"press-0042","time":1700000000123,"temperature_f":71.3,"vibration_rms":0.42,)"
    R"("pressure_kpa":101.2,"current_a":12.5})";

struct Rejections {
  std::vector<std::pair<std::string, std::string>> items;  // reason, excerpt
  RejectFn fn() {
    return [this](DecodeReason reason, std::string_view excerpt) {
      items.emplace_back(std::string(DecodeReasonName(reason)), std::string(excerpt));
    };
  }
};

// Decodes `json` alone; returns the reason name ("accepted" when it passed).
std::string ReasonOf(const JsonDecoderOptions& options, const std::string& json) {
  JsonDecoder decoder(options);
  Batch batch;
  DecodeResult r = decoder.Decode(json, kNow, batch);
  if (r.ok()) {
    EXPECT_EQ(r.accepted, batch.size());
  } else {
    EXPECT_EQ(batch.size(), 0u) << "a rejected record must not leave an event";
  }
  return std::string(DecodeReasonName(r.reason));
}

double Num(const Event& e, const char* name) {
  std::optional<double> v = e.Number(Symbol::Intern(name));
  return v ? *v : std::nan("");
}

TEST(JsonDecoderTest, DecodesAFlatReading) {
  JsonDecoder decoder({});
  Batch batch;
  DecodeResult r = decoder.Decode(kReading, kNow, batch);
  ASSERT_TRUE(r.ok()) << DecodeReasonName(r.reason);
  EXPECT_EQ(r.accepted, 1u);
  ASSERT_EQ(batch.size(), 1u);
  const Event& e = batch[0];
  EXPECT_EQ(e.device.name(), "press-0042");
  EXPECT_EQ(e.time, 1700000000123LL * kMicrosPerMilli);
  ASSERT_EQ(e.fields().size(), 4u);  // time and device are not fields
  EXPECT_EQ(e.fields()[0].name.name(), "temperature_f");
  EXPECT_EQ(e.fields()[3].name.name(), "current_a");
  EXPECT_EQ(e.fields()[0].value.type, ValueType::kDouble);
  EXPECT_DOUBLE_EQ(Num(e, "temperature_f"), 71.3);
  EXPECT_DOUBLE_EQ(Num(e, "vibration_rms"), 0.42);
  EXPECT_DOUBLE_EQ(Num(e, "pressure_kpa"), 101.2);
  EXPECT_DOUBLE_EQ(Num(e, "current_a"), 12.5);
}

TEST(JsonDecoderTest, ValueTypes) {
  JsonDecoder decoder({});
  Batch batch;
  ASSERT_TRUE(decoder
                  .Decode(R"({"time":1700000000,"device":"d","n":3,"s":"on \"x\"","b":true,)"
                          R"("z":null,"big":18446744073709551615})",
                          kNow, batch)
                  .ok());
  const Event& e = batch[0];
  EXPECT_EQ(e.Find(Symbol::Intern("n"))->type, ValueType::kDouble);
  EXPECT_EQ(e.Text(*e.Find(Symbol::Intern("s"))), "on \"x\"");
  EXPECT_EQ(e.Find(Symbol::Intern("b"))->type, ValueType::kBool);
  EXPECT_TRUE(e.Find(Symbol::Intern("b"))->b);
  EXPECT_EQ(e.Find(Symbol::Intern("z")), nullptr) << "null means absent";
  EXPECT_DOUBLE_EQ(Num(e, "big"), 18446744073709551615.0);
  EXPECT_EQ(e.time, 1700000000LL * kMicrosPerSecond);
}

TEST(JsonDecoderTest, KeepIntegers) {
  JsonDecoderOptions o;
  o.keep_integers = true;
  JsonDecoder decoder(o);
  Batch batch;
  ASSERT_TRUE(decoder.Decode(R"({"time":1700000000,"device":"d","n":-3,"x":2.5})", kNow, batch).ok());
  const Value* n = batch[0].Find(Symbol::Intern("n"));
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->type, ValueType::kInt);
  EXPECT_EQ(n->i, -3);
  EXPECT_EQ(batch[0].Find(Symbol::Intern("x"))->type, ValueType::kDouble);
}

TEST(JsonDecoderTest, FlattensNestedObjectsToMaxDepth) {
  JsonDecoderOptions o;
  o.max_depth = 3;
  JsonDecoder decoder(o);
  Batch batch;
  ASSERT_TRUE(decoder
                  .Decode(R"({"time":1700000000,"device":"d","a":{"b":1,"c":{"d":2,"e":{"f":3}}},)"
                          R"("g":4,"list":[1,2,3]})",
                          kNow, batch)
                  .ok());
  const Event& e = batch[0];
  std::vector<std::string> names;
  for (const Field& f : e.fields()) names.emplace_back(f.name.name());
  EXPECT_EQ(names, (std::vector<std::string>{"a.b", "a.c.d", "g"}));
  EXPECT_DOUBLE_EQ(Num(e, "a.c.d"), 2);

  o.strict = true;
  EXPECT_EQ(ReasonOf(o, R"({"time":1700000000,"device":"d","a":{"c":{"e":{"f":3}}}})"),
            "unsupported_value");
  EXPECT_EQ(ReasonOf(o, R"({"time":1700000000,"device":"d","list":[1]})"), "unsupported_value");
  EXPECT_EQ(ReasonOf(o, R"({"time":1700000000,"device":"d","a":{"b":{"c":1}}})"), "accepted");
}

TEST(JsonDecoderTest, TimeAndDeviceMayBeNested) {
  JsonDecoderOptions o;
  o.time_field = "meta.ts";
  o.device_field = "meta.id";
  JsonDecoder decoder(o);
  Batch batch;
  ASSERT_TRUE(
      decoder.Decode(R"({"meta":{"ts":"2023-11-14T22:13:20Z","id":7},"v":1})", kNow, batch).ok());
  EXPECT_EQ(batch[0].time, kNow);
  EXPECT_EQ(batch[0].device.name(), "7") << "a numeric device id is taken as its text";
  ASSERT_EQ(batch[0].fields().size(), 1u);
}

TEST(JsonDecoderTest, TagsObjectBecomesTags) {
  JsonDecoder decoder({});
  Batch batch;
  ASSERT_TRUE(decoder
                  .Decode(R"({"time":1700000000,"device":"d","tags":{"site":"plant-1","line":7,)"
                          R"("ok":true,"none":null},"v":1})",
                          kNow, batch)
                  .ok());
  const Event& e = batch[0];
  EXPECT_EQ(e.Tag(Symbol::Intern("site")), "plant-1");
  EXPECT_EQ(e.Tag(Symbol::Intern("line")), "7");
  EXPECT_EQ(e.Tag(Symbol::Intern("ok")), "true");
  EXPECT_FALSE(e.Tag(Symbol::Intern("none")).has_value());
  ASSERT_EQ(e.fields().size(), 1u);
  EXPECT_EQ(e.fields()[0].name.name(), "v");
}

TEST(JsonDecoderTest, EscapedKeysAndDuplicateKeys) {
  JsonDecoder decoder({});
  Batch batch;
  ASSERT_TRUE(decoder
                  .Decode(R"({"time":1700000000,"device":"d","temp\u00e9rature":1,"a\"b":2,)"
                          R"("x":1,"x":5})",
                          kNow, batch)
                  .ok());
  const Event& e = batch[0];
  EXPECT_DOUBLE_EQ(Num(e, "temp\xC3\xA9rature"), 1);
  EXPECT_DOUBLE_EQ(Num(e, "a\"b"), 2);
  EXPECT_DOUBLE_EQ(Num(e, "x"), 5) << "the last duplicate wins";
  EXPECT_EQ(e.fields().size(), 3u);
}

TEST(JsonDecoderTest, KeyCacheFollowsChangingKeyOrder) {
  JsonDecoder decoder({});
  Batch batch;
  const std::vector<std::string> docs = {
      R"({"device":"a","time":1700000000,"x":1,"y":2})",
      R"({"time":1700000001,"device":"b","y":3,"x":4})",
      R"({"device":"c","time":1700000002,"z":5,"x":6,"y":7})",
      R"({"device":"a","time":1700000003,"x":8,"y":9})",
  };
  for (int round = 0; round < 3; ++round) {
    batch.Clear();  // events are recycled from the second round on
    for (const std::string& d : docs) ASSERT_TRUE(decoder.Decode(d, kNow, batch).ok()) << d;
    ASSERT_EQ(batch.size(), 4u);
    EXPECT_EQ(batch[1].device.name(), "b");
    EXPECT_DOUBLE_EQ(Num(batch[1], "x"), 4);
    EXPECT_DOUBLE_EQ(Num(batch[1], "y"), 3);
    EXPECT_DOUBLE_EQ(Num(batch[2], "z"), 5);
    EXPECT_DOUBLE_EQ(Num(batch[3], "y"), 9);
    EXPECT_EQ(batch[3].fields().size(), 2u);
    EXPECT_EQ(batch[3].time, 1700000003LL * kMicrosPerSecond);
  }
}

TEST(JsonDecoderTest, TimeFormats) {
  struct Case {
    InputTimeFormat format;
    std::string value;  // JSON text
    TimeMicros expected;
  };
  const TimeMicros t = 1700000000LL * kMicrosPerSecond;
  const std::vector<Case> cases = {
      {InputTimeFormat::kAuto, "1700000000", t},
      {InputTimeFormat::kAuto, "1700000000.5", t + 500000},
      {InputTimeFormat::kAuto, "1700000000123", t + 123000},
      {InputTimeFormat::kAuto, "1700000000123456", t + 123456},
      {InputTimeFormat::kAuto, "1700000000123456789", t + 123456},
      {InputTimeFormat::kAuto, "\"2023-11-14T22:13:20.25Z\"", t + 250000},
      {InputTimeFormat::kAuto, "\"1700000000123\"", t + 123000},
      {InputTimeFormat::kIso8601, "\"2023-11-14 22:13:20\"", t},
      {InputTimeFormat::kUnixSeconds, "1700000000", t},
      {InputTimeFormat::kUnixMillis, "1700000000123", t + 123000},
      {InputTimeFormat::kUnixMillis, "\"1700000000123\"", t + 123000},
      {InputTimeFormat::kUnixMicros, "1700000000123456", t + 123456},
      {InputTimeFormat::kUnixNanos, "1700000000123456789", t + 123456},
      {InputTimeFormat::kUnixSeconds, "1e9", 1000000000LL * kMicrosPerSecond},
  };
  for (const Case& c : cases) {
    JsonDecoderOptions o;
    o.time_format = c.format;
    o.max_future = 0;
    JsonDecoder decoder(o);
    Batch batch;
    DecodeResult r =
        decoder.Decode(R"({"device":"d","time":)" + c.value + "}", kNow, batch);
    ASSERT_TRUE(r.ok()) << c.value << ": " << DecodeReasonName(r.reason);
    EXPECT_EQ(batch[0].time, c.expected) << c.value << " as " << InputTimeFormatName(c.format);
  }
  JsonDecoderOptions iso;
  iso.time_format = InputTimeFormat::kIso8601;
  EXPECT_EQ(ReasonOf(iso, R"({"device":"d","time":1700000000})"), "bad_time");
  JsonDecoderOptions ms;
  ms.time_format = InputTimeFormat::kUnixMillis;
  EXPECT_EQ(ReasonOf(ms, R"({"device":"d","time":"2023-11-14T22:13:20Z"})"), "bad_time");
  JsonDecoderOptions s;
  s.time_format = InputTimeFormat::kUnixSeconds;
  s.max_future = 0;
  EXPECT_EQ(ReasonOf(s, R"({"device":"d","time":9000000000000000000})"), "bad_time")
      << "overflows int64 microseconds";
}

TEST(JsonDecoderTest, RejectionReasons) {
  JsonDecoderOptions o;
  EXPECT_EQ(ReasonOf(o, kReading), "accepted");
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":)"), "malformed_json");
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":1700000000,"x":tru})"), "malformed_json");
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":1700000000} x)"), "malformed_json");
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":1700000000}{"a":1})"), "malformed_json");
  EXPECT_EQ(ReasonOf(o, "{\"device\":\"\xff\",\"time\":1700000000}"), "malformed_json")
      << "invalid UTF-8";
  EXPECT_EQ(ReasonOf(o, ""), "malformed_json");
  EXPECT_EQ(ReasonOf(o, "42"), "not_an_object");
  EXPECT_EQ(ReasonOf(o, R"("text")"), "not_an_object");
  EXPECT_EQ(ReasonOf(o, R"([{"device":"d","time":1700000000}])"), "not_an_object")
      << "arrays need allow_arrays";
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","x":1})"), "missing_time");
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":null})"), "missing_time");
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":""})"), "missing_time");
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":"yesterday"})"), "bad_time");
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":true})"), "bad_time");
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":{"s":1}})"), "bad_time");
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":"NaN"})"), "bad_time");
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":1e400})"), "bad_time");
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":"2023-11-16T22:13:20Z"})"), "time_out_of_range")
      << "two days ahead, max_future 24h";
  EXPECT_EQ(ReasonOf(o, R"({"device":"d","time":"2001-01-01T00:00:00Z"})"), "accepted")
      << "max_past 0 = unlimited";
  EXPECT_EQ(ReasonOf(o, R"({"time":1700000000,"x":1})"), "missing_device");
  EXPECT_EQ(ReasonOf(o, R"({"time":1700000000,"device":null})"), "missing_device");
  EXPECT_EQ(ReasonOf(o, R"({"time":1700000000,"device":""})"), "missing_device");
  EXPECT_EQ(ReasonOf(o, R"({"time":1700000000,"device":true})"), "missing_device");
  EXPECT_EQ(ReasonOf(o, R"({"time":1700000000,"device":"d","x":1e999})"), "non_finite");

  JsonDecoderOptions past;
  past.max_past = kMicrosPerHour;
  EXPECT_EQ(ReasonOf(past, R"({"device":"d","time":"2023-11-14T20:13:20Z"})"), "time_out_of_range");
  EXPECT_EQ(ReasonOf(past, R"({"device":"d","time":"2023-11-14T21:13:21Z"})"), "accepted");

  JsonDecoderOptions small;
  small.max_bytes = 20;
  EXPECT_EQ(ReasonOf(small, kReading), "too_large");
}

TEST(JsonDecoderTest, DefaultDevice) {
  JsonDecoderOptions o;
  o.default_device = "gateway";
  JsonDecoder decoder(o);
  Batch batch;
  ASSERT_TRUE(decoder.Decode(R"({"time":1700000000,"x":1})", kNow, batch).ok());
  EXPECT_EQ(batch[0].device.name(), "gateway");
  ASSERT_TRUE(decoder.Decode(R"({"time":1700000000,"device":"own"})", kNow, batch).ok());
  EXPECT_EQ(batch[1].device.name(), "own");
}

TEST(JsonDecoderTest, DeclaredTypes) {
  JsonDecoderOptions o;
  o.types = {{"temp", DeclaredType::kNumber}, {"name", DeclaredType::kString},
             {"on", DeclaredType::kBool}};
  const std::string head = R"({"time":1700000000,"device":"d",)";
  EXPECT_EQ(ReasonOf(o, head + R"("temp":1,"name":"x","on":false})"), "accepted");
  EXPECT_EQ(ReasonOf(o, head + R"("temp":"12.5"})"), "type_mismatch");
  EXPECT_EQ(ReasonOf(o, head + R"("temp":"NaN"})"), "non_finite");
  EXPECT_EQ(ReasonOf(o, head + R"("temp":"-Infinity"})"), "non_finite");
  EXPECT_EQ(ReasonOf(o, head + R"("temp":true})"), "type_mismatch");
  EXPECT_EQ(ReasonOf(o, head + R"("name":5})"), "type_mismatch");
  EXPECT_EQ(ReasonOf(o, head + R"("on":"yes"})"), "type_mismatch");
  EXPECT_EQ(ReasonOf(o, head + R"("temp":null})"), "accepted") << "null is absent, not a mismatch";

  o.on_type_mismatch = TypeMismatchPolicy::kDropField;
  JsonDecoder decoder(o);
  Batch batch;
  DecodeResult r = decoder.Decode(head + R"("temp":"hot","name":"x","on":1,"other":2})", kNow, batch);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.fields_dropped, 2u);
  ASSERT_EQ(batch[0].fields().size(), 2u);
  EXPECT_EQ(batch[0].fields()[0].name.name(), "name");
  EXPECT_EQ(batch[0].fields()[1].name.name(), "other");
}

TEST(JsonDecoderTest, RejectionCallbackAndExcerpt) {
  JsonDecoder decoder({});
  Batch batch;
  Rejections rejections;
  const std::string long_bad = "{\"time\":" + std::string(500, '9');  // malformed, long
  DecodeResult r = decoder.Decode(long_bad, kNow, batch, rejections.fn());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.reason, DecodeReason::kMalformedJson);
  EXPECT_EQ(r.excerpt.size(), kExcerptBytes);
  EXPECT_EQ(r.excerpt, std::string_view(long_bad).substr(0, kExcerptBytes));
  ASSERT_EQ(rejections.items.size(), 1u);
  EXPECT_EQ(rejections.items[0].first, "malformed_json");
  EXPECT_EQ(rejections.items[0].second, long_bad.substr(0, kExcerptBytes));
}

TEST(JsonDecoderTest, ArraysOfObjects) {
  JsonDecoderOptions o;
  o.allow_arrays = true;
  JsonDecoder decoder(o);
  Batch batch;
  Rejections rejections;
  DecodeResult r = decoder.Decode(
      R"([{"device":"a","time":1700000000,"v":1},{"device":"b"},7,{"device":"c","time":1700000001,"v":3}])",
      kNow, batch, rejections.fn());
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_EQ(r.rejected, 2u);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].device.name(), "a");
  EXPECT_EQ(batch[1].device.name(), "c");
  ASSERT_EQ(rejections.items.size(), 2u);
  EXPECT_EQ(rejections.items[0].first, "missing_time");
  EXPECT_EQ(rejections.items[1].first, "not_an_object");

  // A malformed array rejects the whole document, and nothing is appended.
  batch.Clear();
  rejections.items.clear();
  r = decoder.Decode(R"([{"device":"a","time":1700000000},{"device":"b","time":1700000000,"x":nul}])",
                     kNow, batch, rejections.fn());
  EXPECT_EQ(r.accepted, 0u);
  EXPECT_EQ(batch.size(), 0u);
  ASSERT_EQ(rejections.items.size(), 1u);
  EXPECT_EQ(rejections.items[0].first, "malformed_json");
}

TEST(JsonDecoderTest, DecodeInPlaceMatchesDecode) {
  JsonDecoder decoder({});
  std::string buffer = kReading + std::string(JsonDecoder::kPadding, 'x');  // junk padding is fine
  Batch batch;
  ASSERT_TRUE(decoder
                  .DecodeInPlace(std::string_view(buffer).substr(0, kReading.size()), buffer.size(),
                                 kNow, batch)
                  .ok());
  EXPECT_DOUBLE_EQ(Num(batch[0], "current_a"), 12.5);
}

TEST(JsonDecoderTest, DecodeLines) {
  JsonDecoder decoder({});
  Batch batch;
  Rejections rejections;
  const std::string lines = kReading + "\r\n\n   \n{bad}\n" + kReading;  // no final newline
  DecodeResult r = decoder.DecodeLines(lines, kNow, batch, rejections.fn());
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(r.reason, DecodeReason::kMalformedJson);
  ASSERT_EQ(batch.size(), 2u);
  ASSERT_EQ(rejections.items.size(), 1u);
  EXPECT_EQ(rejections.items[0].second, "{bad}");
}

// Everything DecodeLines' fast path must get exactly right: it has to give
// the same events and rejections as decoding every line alone.
std::vector<std::string> TrickyLines() {
  return {
      kReading,
      R"({"device":"a","time":1700000001,"v":1})",
      R"(  {"device":"b","time":1700000002,"v":2}  )",
      R"({"device":"c","time":1700000003,"v":3})" "\r",
      "",
      "   ",
      R"({"device":"d","time":1700000004} {"device":"e","time":1700000005})",  // two on a line
      R"({"device":"f","time":1700000006,"x":[1,)",  // a document spanning
      R"(2]})",                                      // two lines
      "{",
      R"("device":"g","time":1700000007})",
      R"({"device":"h","time":1700000008,"v":tru})",  // bad literal
      R"({"device":"i","time":"soon"})",
      R"({"device":"j"})",
      R"([{"device":"k","time":1700000009},{"time":1}])",
      "42",
      R"("just text")",
      R"({"device":"l","time":1700000010,"s":"unterminated)",
      R"({"device":"m","time":1700000011,"note":"caf\u00e9 \"q\""})",
      "{\"device\":\"n\",\"time\":1700000012,\"bad\":\"\xff\"}",  // invalid UTF-8
      R"({"device":"o","time":1700000013,"big":1e999})",
      R"({"device":"p","time":1700000014,"pad":")" + std::string(300, 'x') + "\"}",  // too large
      R"(})",
      R"({"device":"q","time":1700000015,"nested":{"a":{"b":1}}})",
  };
}

std::string Canonical(const Batch& batch) {
  std::string out;
  for (const Event& e : batch) {
    out += std::string(e.device.name()) + "@" + std::to_string(e.time) + ":";
    for (const Field& f : e.fields()) {
      out += std::string(f.name.name()) + "=";
      if (f.value.type == ValueType::kString) {
        out += std::string(e.Text(f.value));
      } else {
        out += std::to_string(f.value.AsNumber().value_or(0));
      }
      out += ",";
    }
    out += "\n";
  }
  return out;
}

// Lines the fast path handles without falling back to line-by-line: good
// ones, blank ones and semantic rejections.
std::vector<std::string> StreamableLines() {
  return {
      kReading,
      R"({"device":"a","time":1700000001,"v":1})",
      R"(  {"device":"b","time":1700000002,"v":2}  )",
      R"({"device":"c","time":1700000003,"v":3})" "\r",
      "",
      " \t ",
      R"({"device":"i","time":"soon"})",
      R"({"device":"j"})",
      R"([{"device":"k","time":1700000009},{"time":1}])",
      "42",
      R"({"device":"m","time":1700000011,"note":"caf\u00e9 \"q\""})",
      R"({"device":"p","time":1700000014,"pad":")" + std::string(300, 'x') + "\"}",  // too large
      R"({"device":"q","time":1700000015,"nested":{"a":{"b":1}},"tags":{"t":"x"}})",
  };
}

void ExpectDecodeLinesMatchesLineByLine(const std::vector<std::string>& lines) {
  JsonDecoderOptions o;
  o.allow_arrays = true;
  o.max_bytes = 250;
  uint64_t seed = 42;
  for (int round = 0; round < 40; ++round) {
    // A pseudo-random file of tricky lines (most of them good ones).
    std::string file;
    for (int i = 0; i < 60; ++i) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      const size_t pick = (seed >> 33) % (lines.size() * 3);
      file += pick < lines.size() ? lines[pick] : lines[pick % 3];
      if (i < 59 || round % 2 == 0) file += "\n";  // odd rounds: no final line break
    }
    SCOPED_TRACE("round " + std::to_string(round));

    JsonDecoder single(o);
    Batch expected;
    Rejections expected_rejections;
    size_t line_start = 0;
    while (line_start < file.size()) {
      size_t end = file.find('\n', line_start);
      if (end == std::string::npos) end = file.size();
      std::string line = file.substr(line_start, end - line_start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") != std::string::npos) {
        single.Decode(line, kNow, expected, expected_rejections.fn());
      }
      line_start = end + 1;
    }

    for (size_t max_events : {size_t{1}, size_t{3}, size_t{1000}}) {
      SCOPED_TRACE("max_events " + std::to_string(max_events));
      JsonDecoder many(o);
      Batch got;
      Rejections got_rejections;
      std::string padded = file + std::string(JsonDecoder::kPadding, ' ');
      size_t pos = 0;
      int calls = 0;
      while (pos < file.size() && ++calls < 10000) {
        size_t consumed = 0;
        many.DecodeLinesInPlace(std::string_view(padded).substr(pos, file.size() - pos),
                                padded.size() - pos, kNow, got, got_rejections.fn(), max_events,
                                &consumed);
        ASSERT_GT(consumed, 0u);
        pos += consumed;
      }
      EXPECT_EQ(Canonical(got), Canonical(expected));
      ASSERT_EQ(got_rejections.items.size(), expected_rejections.items.size());
      for (size_t i = 0; i < got_rejections.items.size(); ++i) {
        EXPECT_EQ(got_rejections.items[i].first, expected_rejections.items[i].first) << i;
        EXPECT_EQ(got_rejections.items[i].second, expected_rejections.items[i].second) << i;
      }
    }
  }
}

TEST(JsonDecoderTest, DecodeLinesMatchesLineByLine) {
  ExpectDecodeLinesMatchesLineByLine(TrickyLines());
}

TEST(JsonDecoderTest, DecodeLinesFastPathMatchesLineByLine) {
  ExpectDecodeLinesMatchesLineByLine(StreamableLines());
}

TEST(JsonDecoderTest, DecodeLinesStopsAtMaxEvents) {
  std::string file;
  for (int i = 0; i < 10; ++i) {
    file += R"({"device":"d","time":)" + std::to_string(1700000000 + i) + "}\n";
  }
  JsonDecoder decoder({});
  Batch batch;
  size_t consumed = 0;
  DecodeResult r = decoder.DecodeLines(file, kNow, batch, NoReject(), 4, &consumed);
  EXPECT_EQ(r.accepted, 4u);
  EXPECT_EQ(batch.size(), 4u);
  EXPECT_EQ(consumed, file.find('\n', file.find("1700000003")) + 1);
  r = decoder.DecodeLines(std::string_view(file).substr(consumed), kNow, batch);
  EXPECT_EQ(r.accepted, 6u);
  EXPECT_EQ(batch.back().time, 1700000009LL * kMicrosPerSecond);
}

TEST(JsonDecoderTimeTest, HelpersRejectWhatTheyCannotRead) {
  TimeMicros t = 0;
  EXPECT_EQ(TimeFromText("", InputTimeFormat::kAuto, &t), DecodeReason::kMissingTime);
  EXPECT_EQ(TimeFromText("  ", InputTimeFormat::kAuto, &t), DecodeReason::kMissingTime);
  EXPECT_EQ(TimeFromText("12:00", InputTimeFormat::kAuto, &t), DecodeReason::kBadTime);
  EXPECT_EQ(TimeFromText("inf", InputTimeFormat::kUnixSeconds, &t), DecodeReason::kBadTime);
  EXPECT_EQ(TimeFromDouble(std::nan(""), InputTimeFormat::kAuto, &t), DecodeReason::kBadTime);
  EXPECT_EQ(TimeFromDouble(1e300, InputTimeFormat::kUnixSeconds, &t), DecodeReason::kBadTime);
  EXPECT_EQ(TimeFromInt(INT64_MIN, InputTimeFormat::kAuto, &t), DecodeReason::kAccepted);
  EXPECT_EQ(t, INT64_MIN / 1000);  // |v| >= 1e17: nanoseconds
  EXPECT_EQ(TimeFromText(" 1700000000 ", InputTimeFormat::kAuto, &t), DecodeReason::kAccepted);
  EXPECT_EQ(t, 1700000000LL * kMicrosPerSecond);
  EXPECT_TRUE(IsNonFiniteText("-inf"));
  EXPECT_TRUE(IsNonFiniteText("NaN"));
  EXPECT_TRUE(IsNonFiniteText("Infinity"));
  EXPECT_FALSE(IsNonFiniteText("info"));
  EXPECT_EQ(ParseInputTimeFormat("unix_ms"), InputTimeFormat::kUnixMillis);
  EXPECT_FALSE(ParseInputTimeFormat("ms").has_value());
}

}  // namespace
}  // namespace edgeflow
