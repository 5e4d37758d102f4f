#include "forward/batch_codec.h"

#include <gtest/gtest.h>

#include "forward/ack_message.h"
#include "forward/event_codec.h"
#include "forward/seq_range_set.h"

namespace edgeflow {
namespace {

Event MakeEvent(int i) {
  Event e;
  e.time = 1700000000000000 + i * 1000;
  e.device = Symbol::Intern("press-" + std::to_string(i % 7));
  e.SetDouble(Symbol::Intern("temperature_c"), 21.5 + i);
  e.SetInt(Symbol::Intern("count"), -i);
  e.SetBool(Symbol::Intern("ok"), i % 2 == 0);
  e.SetString(Symbol::Intern("message"), "overheating " + std::to_string(i));
  e.Set(Symbol::Intern("gap"), Value());
  e.SetTag(Symbol::Intern("site"), "plant-1");
  return e;
}

std::string Encoded(const Event& e) {
  std::string out;
  EncodeEvent(e, out);
  return out;
}

TEST(EventCodec, RoundTripsEveryValueTypeAndTags) {
  const Event in = MakeEvent(3);
  Event out;
  ASSERT_EQ(DecodeEvent(Encoded(in), out), EventDecode::kOk);
  EXPECT_EQ(out.time, in.time);
  EXPECT_EQ(out.device, in.device);
  ASSERT_EQ(out.fields().size(), 5u);
  EXPECT_EQ(*out.Number(Symbol::Intern("temperature_c")), 24.5);
  EXPECT_EQ(out.Find(Symbol::Intern("count"))->i, -3);
  EXPECT_FALSE(out.Find(Symbol::Intern("ok"))->b);
  EXPECT_EQ(out.Text(*out.Find(Symbol::Intern("message"))), "overheating 3");
  EXPECT_TRUE(out.Find(Symbol::Intern("gap"))->is_null());
  EXPECT_EQ(out.Tag(Symbol::Intern("site")), "plant-1");
}

TEST(EventCodec, NegativeTimeSurvives) {
  Event in;
  in.time = -5;
  in.device = Symbol::Intern("d");
  Event out;
  ASSERT_EQ(DecodeEvent(Encoded(in), out), EventDecode::kOk);
  EXPECT_EQ(out.time, -5);
}

TEST(EventCodec, RejectsEveryTruncationAndTrailingBytes) {
  const std::string bytes = Encoded(MakeEvent(1));
  Event out;
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeEvent(std::string_view(bytes).substr(0, n), out), EventDecode::kMalformed) << n;
  }
  EXPECT_EQ(DecodeEvent(bytes + "x", out), EventDecode::kMalformed);
}

TEST(EventCodec, RejectsUnknownFieldTypeAndDuplicateNames) {
  Event in;
  in.device = Symbol::Intern("d");
  in.SetInt(Symbol::Intern("a"), 1);
  std::string bytes = Encoded(in);
  // time(1) device(2) count(1) name(2) type
  std::string bad = bytes;
  bad[6] = 9;
  Event out;
  EXPECT_EQ(DecodeEvent(bad, out), EventDecode::kMalformed);
  // Same field twice: count 2, then the field bytes repeated.
  std::string twice = bytes.substr(0, 3) + '\x02' + bytes.substr(4, 4) + bytes.substr(4, 4) + '\x00';
  EXPECT_EQ(DecodeEvent(twice, out), EventDecode::kMalformed);
}

// Names on the wire are input data: past settings.max_names a record that
// brings a new device, field or tag name is refused, known names still pass.
TEST(EventCodec, NewNamesBeyondTheNameLimitAreRefused) {
  Event in;
  in.device = Symbol::Intern("known-device");
  in.SetInt(Symbol::Intern("known_field"), 1);
  in.SetTag(Symbol::Intern("known_tag"), "x");
  const std::string bytes = Encoded(in);
  const auto renamed = [&bytes](const std::string& from, const std::string& to) {
    std::string b = bytes;
    b.replace(b.find(from), from.size(), to);  // same length: the framing holds
    return b;
  };
  const size_t saved = Symbol::MaxNames();
  Symbol::SetMaxNames(Symbol::Count());
  Event out;
  EXPECT_EQ(DecodeEvent(bytes, out), EventDecode::kOk);
  EXPECT_EQ(DecodeEvent(renamed("known-device", "fresh-device"), out), EventDecode::kNameLimit);
  EXPECT_EQ(DecodeEvent(renamed("known_field", "fresh_field"), out), EventDecode::kNameLimit);
  EXPECT_EQ(DecodeEvent(renamed("known_tag", "fresh_tag"), out), EventDecode::kNameLimit);
  Symbol::SetMaxNames(saved);
  EXPECT_EQ(Symbol::Find("fresh_field").id(), 0u);  // nothing was interned
}

std::string Frame(const std::vector<uint64_t>& seqs, BatchCodec codec) {
  BatchEncoder encoder;
  for (uint64_t s : seqs) encoder.Add(s, s % 2 == 0 ? 1 : 0, Encoded(MakeEvent(static_cast<int>(s))));
  std::string frame;
  EXPECT_TRUE(encoder.Finish("node-a", codec, 3, frame).ok());
  return frame;
}

TEST(BatchCodec, RoundTripsCompressedAndPlain) {
  for (BatchCodec codec : {BatchCodec::kZstd, BatchCodec::kNone}) {
    const std::string frame = Frame({10, 11, 12, 40, 41}, codec);
    std::string reason;
    auto decoded = DecodeBatch(frame, 1 << 20, &reason);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->node, "node-a");
    EXPECT_EQ(decoded->first_seq, 10u);
    EXPECT_EQ(decoded->last_seq, 41u);
    ASSERT_EQ(decoded->records.size(), 5u);
    EXPECT_EQ(decoded->records[3].seq, 40u);
    EXPECT_EQ(decoded->records[3].priority, 1);
    EXPECT_EQ(decoded->records[4].priority, 0);
    Event e;
    ASSERT_EQ(DecodeEvent(decoded->records[3].event, e), EventDecode::kOk);
    EXPECT_EQ(e.device, Symbol::Intern("press-5"));
  }
}

// Found by tests/fuzz/upstream_wire_fuzz: a records section short enough
// for a string's inline buffer moved away from its records' views when the
// batch was returned.
TEST(BatchCodec, RecordViewsPointIntoTheReturnedBodyEvenForATinyBatch) {
  BatchEncoder encoder;
  encoder.Add(7, 2, "ab");
  std::string frame;
  ASSERT_TRUE(encoder.Finish("n", BatchCodec::kNone, 0, frame).ok());
  auto decoded = DecodeBatch(frame, 1 << 20, nullptr);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  DecodedBatch batch = std::move(*decoded);
  ASSERT_EQ(batch.records.size(), 1u);
  const std::string_view event = batch.records[0].event;
  ASSERT_EQ(event.size(), 2u);
  EXPECT_GE(event.data(), batch.body.data());
  EXPECT_LE(event.data() + event.size(), batch.body.data() + batch.body.size());
  EXPECT_EQ(event, "ab");
}

TEST(BatchCodec, CompressionShrinksRepetitiveRecords) {
  std::vector<uint64_t> seqs;
  for (uint64_t s = 1; s <= 500; ++s) seqs.push_back(s);
  const std::string plain = Frame(seqs, BatchCodec::kNone);
  const std::string zstd = Frame(seqs, BatchCodec::kZstd);
  EXPECT_LT(zstd.size() * 3, plain.size());
}

TEST(BatchCodec, EncoderStartsAFreshBatchAfterFinish) {
  BatchEncoder encoder;
  std::string frame;
  encoder.Add(1, 0, Encoded(MakeEvent(1)));
  ASSERT_TRUE(encoder.Finish("n", BatchCodec::kZstd, 1, frame).ok());
  encoder.Add(7, 0, Encoded(MakeEvent(7)));
  ASSERT_TRUE(encoder.Finish("n", BatchCodec::kZstd, 1, frame).ok());
  auto decoded = DecodeBatch(frame, 1 << 20, nullptr);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->records.size(), 1u);
  EXPECT_EQ(decoded->records[0].seq, 7u);
}

std::string ReasonFor(const std::string& frame, size_t max_body = 1 << 20) {
  std::string reason;
  auto decoded = DecodeBatch(frame, max_body, &reason);
  EXPECT_FALSE(decoded.ok());
  return reason;
}

TEST(BatchCodec, RejectsDamagedFramesWithAReason) {
  const std::string frame = Frame({1, 2, 3}, BatchCodec::kZstd);
  EXPECT_EQ(ReasonFor("XXXX" + frame.substr(4)), "bad_magic");
  std::string v2 = frame;
  v2[4] = 2;
  EXPECT_EQ(ReasonFor(v2), "unsupported_version");
  std::string codec = frame;
  codec[5] = 7;
  EXPECT_EQ(ReasonFor(codec), "unsupported_codec");
  std::string flipped = frame;
  flipped.back() = static_cast<char>(flipped.back() ^ 0x40);
  EXPECT_EQ(ReasonFor(flipped), "bad_crc");
  EXPECT_EQ(ReasonFor(frame, 10), "too_large");
  for (size_t n = 4; n < 50; ++n) {
    const std::string r = ReasonFor(frame.substr(0, n));
    EXPECT_TRUE(r == "truncated" || r == "bad_crc") << n << " " << r;
  }
}

TEST(BatchCodec, RejectsRecordsThatDisagreeWithTheHeader) {
  // A plain frame whose last_seq field lies (CRC covers only the body).
  std::string frame = Frame({1, 2, 3}, BatchCodec::kNone);
  const size_t last_seq_at = 4 + 1 + 1 + 2 + 2 + 6 + 8;
  frame[last_seq_at] = 9;
  EXPECT_EQ(ReasonFor(frame), "bad_records");
}

TEST(SeqRangeSet, MergesNeighboursAndAnswersMembership) {
  SeqRangeSet set;
  for (uint64_t s : {5, 7, 6, 1, 2, 9}) set.Add(s);
  EXPECT_EQ(set.range_count(), 3u);  // [1,2] [5,7] [9,9]
  EXPECT_TRUE(set.Contains(6));
  EXPECT_FALSE(set.Contains(3));
  EXPECT_FALSE(set.Contains(8));
  set.Add(8);
  EXPECT_EQ(set.range_count(), 2u);
  EXPECT_TRUE(set.Contains(9));
}

TEST(SeqRangeSet, ForgetsTheLowestRangesPastItsBound) {
  SeqRangeSet set(2);
  set.Add(1);
  set.Add(3);
  set.Add(5);
  EXPECT_FALSE(set.Contains(1));
  EXPECT_TRUE(set.Contains(3));
  EXPECT_TRUE(set.Contains(5));
}

// A node draining two lanes (backlog 1..1000 and live 1001..2000) sends
// batches that alternate between two far-apart stretches of seqs: the
// receiver's set keeps about two ranges, spots every resend, and ends with
// one range once the backlog met the live lane.
TEST(SeqRangeSet, TwoLanesOfOutOfOrderSeqsStayTwoRangesAndCatchResends) {
  SeqRangeSet set(4);
  for (uint64_t i = 0; i < 200; ++i) {
    for (uint64_t lane_start : {uint64_t{1}, uint64_t{1001}}) {
      for (uint64_t s = lane_start + i * 5; s < lane_start + i * 5 + 5; ++s) {
        EXPECT_FALSE(set.Contains(s)) << s;
        set.Add(s);
      }
    }
    EXPECT_LE(set.range_count(), 2u);
    EXPECT_TRUE(set.Contains(1 + i * 5));  // a resend of a backlog batch is a duplicate
    EXPECT_TRUE(set.Contains(1001 + i * 5));
  }
  EXPECT_EQ(set.range_count(), 1u);  // 1..2000
  EXPECT_FALSE(set.Contains(2001));
}

TEST(SeqRangeSet, ToRangesCompacts) {
  const auto r = SeqRangeSet::ToRanges({1, 2, 3, 7, 9, 10});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], std::make_pair(uint64_t{1}, uint64_t{3}));
  EXPECT_EQ(r[2], std::make_pair(uint64_t{9}, uint64_t{10}));
}

TEST(AckMessage, RoundTripsAndRejectsMalformed) {
  AckMessage ack{"press-7", {{1, 5}, {9, 9}}};
  auto parsed = ParseAck(EncodeAck(ack));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->node, "press-7");
  EXPECT_EQ(parsed->ranges, ack.ranges);
  EXPECT_TRUE(ParseAck(R"({"v":2,"node":"n","ranges":[],"extra":1})").ok());
  EXPECT_FALSE(ParseAck("not json").ok());
  EXPECT_FALSE(ParseAck(R"({"node":"n","ranges":[[5,1]]})").ok());
  EXPECT_FALSE(ParseAck(R"({"node":"n","ranges":[[-1,1]]})").ok());
  EXPECT_FALSE(ParseAck(R"({"ranges":[]})").ok());
}

}  // namespace
}  // namespace edgeflow
