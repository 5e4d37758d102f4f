#include "connectors/codec/csv_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgeflow {
namespace {

constexpr TimeMicros kNow = 1'700'000'000LL * kMicrosPerSecond;

CsvDecoder WithHeader(const std::string& header, CsvDecoderOptions o = {}) {
  CsvDecoder d(o);
  Status s = d.ReadHeader(header);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return d;
}

std::string ReasonOf(CsvDecoder& d, const std::string& line) {
  Batch batch;
  DecodeResult r = d.DecodeLine(line, kNow, batch);
  EXPECT_EQ(batch.size(), r.ok() ? 1u : 0u);
  return std::string(DecodeReasonName(r.reason));
}

const Value* Get(const Event& e, const char* name) { return e.Find(Symbol::Intern(name)); }

TEST(CsvDecoderTest, DecodesRecordsAfterTheHeader) {
  CsvDecoder d = WithHeader("time,device,temperature_f,status,note");
  EXPECT_FALSE(d.needs_header());
  Batch batch;
  DecodeResult r = d.DecodeLine("1700000000123,press-0042,71.3,ok,", kNow, batch);
  ASSERT_TRUE(r.ok()) << DecodeReasonName(r.reason);
  const Event& e = batch[0];
  EXPECT_EQ(e.time, 1700000000123LL * kMicrosPerMilli);
  EXPECT_EQ(e.device.name(), "press-0042");
  ASSERT_EQ(e.fields().size(), 2u) << "empty cell means absent";
  EXPECT_EQ(Get(e, "temperature_f")->type, ValueType::kDouble);
  EXPECT_DOUBLE_EQ(Get(e, "temperature_f")->d, 71.3);
  EXPECT_EQ(e.Text(*Get(e, "status")), "ok");
  EXPECT_EQ(Get(e, "note"), nullptr);
}

TEST(CsvDecoderTest, QuotedCells) {
  CsvDecoder d = WithHeader(R"(time,"device","note, with comma",q)");
  EXPECT_EQ(d.column_names()[2], "note, with comma");
  Batch batch;
  ASSERT_TRUE(d.DecodeLine(R"(2023-11-14T22:13:20Z, "d 1" ,"say ""hi"", then go","12")", kNow,
                           batch)
                  .ok());
  const Event& e = batch[0];
  EXPECT_EQ(e.device.name(), "d 1");
  EXPECT_EQ(e.Text(*Get(e, "note, with comma")), "say \"hi\", then go");
  EXPECT_EQ(Get(e, "q")->type, ValueType::kDouble) << "quoting does not change the type";
  EXPECT_EQ(e.time, kNow);

  batch.Clear();
  ASSERT_TRUE(d.DecodeLine(R"(1700000000,d,"""",)", kNow, batch).ok());
  EXPECT_EQ(batch[0].Text(*Get(batch[0], "note, with comma")), "\"");
  EXPECT_EQ(Get(batch[0], "q"), nullptr) << "trailing delimiter: an empty last cell";
}

TEST(CsvDecoderTest, SpacesCrlfAndBom) {
  CsvDecoder d = WithHeader("\xEF\xBB\xBFtime, device , v\r");
  EXPECT_EQ(d.column_names(), (std::vector<std::string>{"time", "device", "v"}));
  Batch batch;
  ASSERT_TRUE(d.DecodeLine(" 1700000000 , a , 2.5 \r", kNow, batch).ok());
  EXPECT_EQ(batch[0].device.name(), "a");
  EXPECT_DOUBLE_EQ(Get(batch[0], "v")->d, 2.5);
}

TEST(CsvDecoderTest, ColumnsOptionAndDelimiter) {
  CsvDecoderOptions o;
  o.columns = {"ts", "id", "", "v"};
  o.time_field = "ts";
  o.device_field = "id";
  o.delimiter = ';';
  o.keep_integers = true;
  CsvDecoder d(o);
  EXPECT_FALSE(d.needs_header());
  Batch batch;
  ASSERT_TRUE(d.DecodeLine("1700000000;x;17;42", kNow, batch).ok());
  ASSERT_EQ(batch[0].fields().size(), 1u) << "a column without a name is ignored";
  EXPECT_EQ(Get(batch[0], "v")->type, ValueType::kInt);
  EXPECT_EQ(Get(batch[0], "v")->i, 42);
}

TEST(CsvDecoderTest, NoTimeColumnTakesTheReceiveTimeWhenMissingTimeIsNow) {
  CsvDecoderOptions o;
  o.missing_time = MissingTimePolicy::kReceiveTime;
  o.default_device = "station";
  CsvDecoder d(o);
  ASSERT_TRUE(d.SetColumns({"temp", "hum"}).ok());
  Batch batch;
  ASSERT_TRUE(d.DecodeLine("21.5,40", kNow, batch).ok());
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].time, kNow);
  EXPECT_EQ(Get(batch[0], "hum")->d, 40);
  // With the default policy a time column stays required.
  CsvDecoderOptions strict;
  strict.default_device = "station";
  EXPECT_FALSE(CsvDecoder(strict).SetColumns({"temp", "hum"}).ok());
}

TEST(CsvDecoderTest, HeaderErrors) {
  CsvDecoder d({});
  EXPECT_TRUE(d.needs_header());
  EXPECT_EQ(d.ReadHeader("device,value").code(), StatusCode::kInvalidData);
  EXPECT_NE(d.ReadHeader("device,value").message().find("no time column 'time'"), std::string::npos);
  EXPECT_EQ(d.ReadHeader("time,value").code(), StatusCode::kInvalidData) << "no device column";
  EXPECT_EQ(d.ReadHeader("time,device,v,v").code(), StatusCode::kInvalidData);
  EXPECT_EQ(d.ReadHeader("time,device,\"v").code(), StatusCode::kInvalidData);
  EXPECT_TRUE(d.needs_header());

  CsvDecoderOptions with_default;
  with_default.default_device = "gw";
  CsvDecoder d2(with_default);
  ASSERT_TRUE(d2.ReadHeader("time,value").ok());
  Batch batch;
  ASSERT_TRUE(d2.DecodeLine("1700000000,1", kNow, batch).ok());
  EXPECT_EQ(batch[0].device.name(), "gw");
}

TEST(CsvDecoderTest, RejectionReasons) {
  CsvDecoderOptions o;
  o.max_bytes = 64;
  CsvDecoder d = WithHeader("time,device,v", o);
  EXPECT_EQ(ReasonOf(d, "1700000000,a,1"), "accepted");
  EXPECT_EQ(ReasonOf(d, "1700000000,a"), "malformed_csv");
  EXPECT_EQ(ReasonOf(d, "1700000000,a,1,2"), "malformed_csv");
  EXPECT_EQ(ReasonOf(d, "1700000000,\"a,1"), "malformed_csv");
  EXPECT_EQ(ReasonOf(d, "1700000000,\"a\"b,1"), "malformed_csv");
  EXPECT_EQ(ReasonOf(d, ",a,1"), "missing_time");
  EXPECT_EQ(ReasonOf(d, "soon,a,1"), "bad_time");
  EXPECT_EQ(ReasonOf(d, "2023-11-16T22:13:20Z,a,1"), "time_out_of_range");
  EXPECT_EQ(ReasonOf(d, "1700000000,,1"), "missing_device");
  EXPECT_EQ(ReasonOf(d, "1700000000,a,NaN"), "non_finite");
  EXPECT_EQ(ReasonOf(d, "1700000000,a,-inf"), "non_finite");
  EXPECT_EQ(ReasonOf(d, "1700000000,a," + std::string(100, '1')), "too_large");
  EXPECT_EQ(ReasonOf(d, "1700000000,a,warm"), "accepted") << "undeclared text is a string";
}

TEST(CsvDecoderTest, DeclaredTypes) {
  CsvDecoderOptions o;
  o.types = {{"v", DeclaredType::kNumber}, {"code", DeclaredType::kString},
             {"on", DeclaredType::kBool}};
  CsvDecoder d = WithHeader("time,device,v,code,on", o);
  Batch batch;
  ASSERT_TRUE(d.DecodeLine("1700000000,a,1.5,007,TRUE", kNow, batch).ok());
  EXPECT_EQ(batch[0].Text(*Get(batch[0], "code")), "007") << "declared string keeps the text";
  EXPECT_EQ(Get(batch[0], "on")->type, ValueType::kBool);
  EXPECT_TRUE(Get(batch[0], "on")->b);
  EXPECT_EQ(ReasonOf(d, "1700000000,a,warm,1,true"), "type_mismatch");
  EXPECT_EQ(ReasonOf(d, "1700000000,a,1,1,yes"), "type_mismatch");
  EXPECT_EQ(ReasonOf(d, "1700000000,a,nan,1,true"), "non_finite");

  o.on_type_mismatch = TypeMismatchPolicy::kDropField;
  CsvDecoder drop = WithHeader("time,device,v,code,on", o);
  batch.Clear();
  DecodeResult r = drop.DecodeLine("1700000000,a,warm,x,maybe", kNow, batch);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.fields_dropped, 2u);
  ASSERT_EQ(batch[0].fields().size(), 1u);
  EXPECT_EQ(batch[0].fields()[0].name.name(), "code");
}

TEST(CsvDecoderTest, RejectCallbackGetsExcerpt) {
  CsvDecoder d = WithHeader("time,device,v");
  std::vector<std::string> seen;
  RejectFn fn = [&seen](DecodeReason reason, std::string_view excerpt) {
    seen.push_back(std::string(DecodeReasonName(reason)) + ":" + std::string(excerpt));
  };
  Batch batch;
  const std::string line = "x,a," + std::string(300, '7');
  DecodeResult r = d.DecodeLine(line, kNow, batch, fn);
  EXPECT_EQ(r.reason, DecodeReason::kBadTime);
  EXPECT_EQ(r.excerpt.size(), kExcerptBytes);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "bad_time:" + line.substr(0, kExcerptBytes));
}

}  // namespace
}  // namespace edgeflow
