#include "connectors/codec/payload_decoder.h"

#include <gtest/gtest.h>

namespace edgeflow {
namespace {

constexpr TimeMicros kNow = 1'700'000'000'000'000;  // 2023-11-14T22:13:20Z

PayloadOptions Options(PayloadFormat format) {
  PayloadOptions o;
  o.format = format;
  o.json.missing_time = MissingTimePolicy::kReceiveTime;
  o.json.allow_arrays = true;
  o.csv.missing_time = MissingTimePolicy::kReceiveTime;
  return o;
}

DecodeResult Decode(PayloadDecoder& d, std::string_view payload, Batch& out,
                    const MessageContext& context = {}) {
  return d.Decode(payload, payload.size(), context, kNow, out);
}

double Number(const Event& e, const char* name) {
  auto v = e.Number(Symbol::Intern(name));
  return v ? *v : -999;
}

TEST(PayloadDecoderTest, JsonTakesTheTransportDeviceAndTopicFields) {
  PayloadOptions o = Options(PayloadFormat::kJson);
  o.device_from_transport = true;
  PayloadDecoder d(o);
  Batch out;
  const std::pair<Symbol, std::string_view> fields[] = {{Symbol::Intern("line"), "l7"}};
  MessageContext context;
  context.device = Symbol::Intern("press-1");
  context.fields = fields;
  // The payload's own device is overridden; a missing time is the receive time.
  const DecodeResult r = Decode(d, R"([{"device":"x","t":1},{"t":2}])", out, context);
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(out.size(), 2u);
  for (const Event& e : out) {
    EXPECT_EQ(e.device.name(), "press-1");
    EXPECT_EQ(e.time, kNow);
    EXPECT_EQ(e.Text(*e.Find(Symbol::Intern("line"))), "l7");
  }
}

TEST(PayloadDecoderTest, MissingTimeIsRejectedWhenConfiguredSo) {
  PayloadOptions o = Options(PayloadFormat::kJson);
  o.json.missing_time = MissingTimePolicy::kReject;
  o.json.default_device = "d";
  PayloadDecoder d(o);
  Batch out;
  const DecodeResult r = Decode(d, R"({"t":1})", out);
  EXPECT_EQ(r.reason, DecodeReason::kMissingTime);
  EXPECT_EQ(out.size(), 0u);
}

TEST(PayloadDecoderTest, BareNumbers) {
  PayloadOptions o = Options(PayloadFormat::kNumber);
  o.json.default_device = "d";
  PayloadDecoder d(o);
  Batch out;
  EXPECT_EQ(Decode(d, " 23.5\n", out).accepted, 1u);
  EXPECT_EQ(Number(out[0], "value"), 23.5);
  MessageContext named;
  named.value_field = Symbol::Intern("temperature");
  EXPECT_EQ(Decode(d, "-4e1", out, named).accepted, 1u);
  EXPECT_EQ(Number(out[1], "temperature"), -40);
  EXPECT_EQ(Decode(d, "12abc", out).reason, DecodeReason::kMalformedNumber);
  EXPECT_EQ(Decode(d, "", out).reason, DecodeReason::kMalformedNumber);
  EXPECT_EQ(Decode(d, "NaN", out).reason, DecodeReason::kNonFinite);
  EXPECT_EQ(out.size(), 2u);
}

TEST(PayloadDecoderTest, RawTextMustBeUtf8UnlessEncoded) {
  PayloadOptions o = Options(PayloadFormat::kRaw);
  o.json.default_device = "cam";
  PayloadDecoder text(o);
  Batch out;
  EXPECT_EQ(Decode(text, "héllo", out).accepted, 1u);
  EXPECT_EQ(out[0].Text(*out[0].Find(Symbol::Intern("value"))), "héllo");
  EXPECT_EQ(Decode(text, "\xff\xfe", out).reason, DecodeReason::kInvalidUtf8);
  o.raw_encoding = RawEncoding::kBase64;
  PayloadDecoder b64(o);
  EXPECT_EQ(Decode(b64, std::string_view("\xff\xfe\x00", 3), out).accepted, 1u);
  EXPECT_EQ(out[1].Text(*out[1].Find(Symbol::Intern("value"))), "//4A");
  o.raw_encoding = RawEncoding::kHex;
  PayloadDecoder hex(o);
  EXPECT_EQ(Decode(hex, "\x01\xab", out).accepted, 1u);
  EXPECT_EQ(out[2].Text(*out[2].Find(Symbol::Intern("value"))), "01ab");
}

TEST(PayloadDecoderTest, KeyValueLines) {
  PayloadOptions o = Options(PayloadFormat::kKv);
  o.json.default_device = "ws";
  o.json.types["code"] = DeclaredType::kString;
  PayloadDecoder d(o);
  Batch out;
  const DecodeResult r = Decode(
      d, "temp=21.5 hum=40,ok=true;code=007 note=\"two words\"\r\ndevice=st2 time=1700000000 x=1\n",
      out);
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].device.name(), "ws");
  EXPECT_EQ(out[0].time, kNow);
  EXPECT_EQ(Number(out[0], "temp"), 21.5);
  EXPECT_EQ(out[0].Find(Symbol::Intern("ok"))->b, true);
  EXPECT_EQ(out[0].Text(*out[0].Find(Symbol::Intern("code"))), "007");
  EXPECT_EQ(out[0].Text(*out[0].Find(Symbol::Intern("note"))), "two words");
  EXPECT_EQ(out[1].device.name(), "st2");
  EXPECT_EQ(out[1].time, 1'700'000'000 * kMicrosPerSecond);
  EXPECT_EQ(Decode(d, "temp 21", out).reason, DecodeReason::kMalformedKv);
  EXPECT_EQ(Decode(d, "a=\"open", out).reason, DecodeReason::kMalformedKv);
  EXPECT_EQ(Decode(d, "a=inf", out).reason, DecodeReason::kNonFinite);
  EXPECT_EQ(Decode(d, "a=\xff", out).reason, DecodeReason::kInvalidUtf8);
  EXPECT_EQ(out.size(), 2u);
}

TEST(PayloadDecoderTest, CsvPayloadWithItsOwnHeader) {
  PayloadOptions o = Options(PayloadFormat::kCsv);
  o.csv.default_device = "d";
  PayloadDecoder d(o);
  Batch out;
  const DecodeResult r = Decode(d, "time,temp\n1700000000,20\n1700000001,21\n", out);
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(Number(out[1], "temp"), 21);
  // The next message brings another header.
  EXPECT_EQ(Decode(d, "hum\n40\n", out).accepted, 1u);
  EXPECT_EQ(Number(out[2], "hum"), 40);
  EXPECT_EQ(out[2].time, kNow);
}

TEST(PayloadDecoderTest, SenmlGroupsRecordsOfOneInstantIntoOneEvent) {
  PayloadDecoder d(Options(PayloadFormat::kSenml));
  Batch out;
  const DecodeResult r = Decode(d, R"([
      {"bn":"urn:dev:ow:10e2073a01080063:","bt":1.320067464e+09,"bu":"%RH","v":20,"n":"humidity"},
      {"u":"lon","v":24.30621,"n":"longitude"},
      {"n":"temperature","v":23.1,"t":60},
      {"n":"door","vb":true,"t":60},
      {"n":"label","vs":"lab","t":60}])",
                                out);
  EXPECT_EQ(r.accepted, 2u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].device.name(), "urn:dev:ow:10e2073a01080063");
  EXPECT_EQ(out[0].time, 1'320'067'464 * kMicrosPerSecond);
  EXPECT_EQ(Number(out[0], "humidity"), 20);
  EXPECT_EQ(Number(out[0], "longitude"), 24.30621);
  EXPECT_EQ(out[1].time, 1'320'067'524 * kMicrosPerSecond);
  EXPECT_EQ(Number(out[1], "temperature"), 23.1);
  EXPECT_TRUE(out[1].Find(Symbol::Intern("door"))->b);
  EXPECT_EQ(out[1].Text(*out[1].Find(Symbol::Intern("label"))), "lab");
}

TEST(PayloadDecoderTest, SenmlBaseValueSumAndRelativeTime) {
  PayloadOptions o = Options(PayloadFormat::kSenml);
  o.json.default_device = "meter";
  PayloadDecoder d(o);
  Batch out;
  ASSERT_EQ(Decode(d, R"([{"bv":100,"n":"e","v":1,"t":-5},{"bs":10,"n":"total","s":2,"t":-5}])", out)
                .accepted,
            1u);
  EXPECT_EQ(out[0].device.name(), "meter");
  EXPECT_EQ(out[0].time, kNow - 5 * kMicrosPerSecond);
  EXPECT_EQ(Number(out[0], "e"), 101);
  EXPECT_EQ(Number(out[0], "total"), 12);
}

TEST(PayloadDecoderTest, MalformedSenmlRejectsTheWholePack) {
  PayloadOptions o = Options(PayloadFormat::kSenml);
  o.json.default_device = "d";
  PayloadDecoder d(o);
  Batch out;
  EXPECT_EQ(Decode(d, R"([{"n":"a","v":1},{"n":"b"}])", out).reason,
            DecodeReason::kMalformedSenml);  // no value
  EXPECT_EQ(Decode(d, R"([{"n":"a","v":1,"vs":"x"}])", out).reason,
            DecodeReason::kMalformedSenml);  // two values
  EXPECT_EQ(Decode(d, R"([{"v":1}])", out).reason, DecodeReason::kMalformedSenml);  // no name
  EXPECT_EQ(Decode(d, R"([{"n":"a","v":"1"}])", out).reason, DecodeReason::kMalformedSenml);
  EXPECT_EQ(Decode(d, R"([{"n":"a","v":1,"foo_":1}])", out).reason,
            DecodeReason::kMalformedSenml);  // unknown mandatory field
  EXPECT_EQ(Decode(d, R"(42)", out).reason, DecodeReason::kMalformedSenml);
  EXPECT_EQ(Decode(d, R"([{"n":"a","v":1)", out).reason, DecodeReason::kMalformedJson);
  EXPECT_EQ(out.size(), 0u);
}

TEST(PayloadDecoderTest, OversizedPayloadIsRejected) {
  PayloadOptions o = Options(PayloadFormat::kNumber);
  o.json.max_bytes = 4;
  o.json.default_device = "d";
  PayloadDecoder d(o);
  Batch out;
  EXPECT_EQ(Decode(d, "12345", out).reason, DecodeReason::kTooLarge);
}

}  // namespace
}  // namespace edgeflow

namespace edgeflow {
namespace {

// A feed that invents a new key (or device) per message stops growing the
// name table at settings.max_names: those records are rejected, the rest
// keep flowing.
TEST(PayloadDecoderTest, NewNamesBeyondTheLimitAreRejectedAsNameLimit) {
  const size_t saved = Symbol::MaxNames();
  PayloadOptions o = Options(PayloadFormat::kJson);
  o.json.device_field = "device";
  PayloadDecoder d(o);
  Batch out;
  ASSERT_EQ(Decode(d, R"({"device":"nl-dev","nl_temp":1})", out).accepted, 1u);
  Symbol::SetMaxNames(Symbol::Count());
  out.Clear();
  EXPECT_EQ(Decode(d, R"({"device":"nl-dev","nl_key_1700000001":1})", out).reason, DecodeReason::kNameLimit);
  EXPECT_EQ(Decode(d, R"({"device":"nl-other-dev","nl_temp":1})", out).reason, DecodeReason::kNameLimit);
  const DecodeResult known = Decode(d, R"({"device":"nl-dev","nl_temp":2})", out);
  EXPECT_EQ(known.accepted, 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Number(out[0], "nl_temp"), 2);
  Symbol::SetMaxNames(saved);
}

}  // namespace
}  // namespace edgeflow
