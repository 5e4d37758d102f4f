#include "connectors/mqtt/mqtt_packet.h"

#include <gtest/gtest.h>

namespace edgeflow::mqtt {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s.push_back(static_cast<char>(v));
  return s;
}

TEST(MqttPacketTest, VariableByteIntegerRoundTripsAtEveryLengthBoundary) {
  for (uint32_t v : {0u, 127u, 128u, 16383u, 16384u, 2097151u, 2097152u, kMaxRemainingLength}) {
    std::string out;
    AppendVarInt(v, out);
    size_t pos = 0;
    uint32_t back = 0;
    ASSERT_TRUE(ReadVarInt(out, &pos, &back)) << v;
    EXPECT_EQ(back, v);
    EXPECT_EQ(pos, out.size());
  }
  std::string out;
  AppendVarInt(128, out);
  EXPECT_EQ(out, Bytes({0x80, 0x01}));
}

TEST(MqttPacketTest, FrameHeaderNeedsMoreUntilTheLengthIsComplete) {
  FrameHeader h;
  EXPECT_EQ(ParseFrameHeader(Bytes({0x30}), &h), FrameStatus::kNeedMore);
  EXPECT_EQ(ParseFrameHeader(Bytes({0x30, 0x80}), &h), FrameStatus::kNeedMore);
  ASSERT_EQ(ParseFrameHeader(Bytes({0x32, 0x80, 0x01}), &h), FrameStatus::kComplete);
  EXPECT_EQ(h.type, kPublish);
  EXPECT_EQ(h.flags, 0x02);
  EXPECT_EQ(h.remaining, 128u);
  EXPECT_EQ(h.header_size, 3u);
  // A fifth length byte, or packet type 0, is malformed.
  EXPECT_EQ(ParseFrameHeader(Bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}), &h), FrameStatus::kMalformed);
  EXPECT_EQ(ParseFrameHeader(Bytes({0x00, 0x00}), &h), FrameStatus::kMalformed);
}

TEST(MqttPacketTest, ConnectV311MatchesTheSpecificationLayout) {
  ConnectOptions o;
  o.version = Version::k311;
  o.client_id = "c1";
  o.keepalive_seconds = 60;
  o.clean_start = true;
  std::string out;
  AppendConnect(o, out);
  EXPECT_EQ(out, Bytes({0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 2, 'c', '1'}));
}

TEST(MqttPacketTest, ConnectV5CarriesSessionExpiryAndCredentials) {
  ConnectOptions o;
  o.client_id = "c";
  o.clean_start = false;
  o.keepalive_seconds = 30;
  o.session_expiry_seconds = 3600;
  o.receive_maximum = 100;
  o.username = "u";
  o.password = "pw";
  std::string out;
  AppendConnect(o, out);
  const std::string expected =
      Bytes({0x10, 29, 0, 4, 'M', 'Q', 'T', 'T', 5, 0xC0, 0, 30,
             /* properties */ 8, 0x11, 0, 0, 0x0E, 0x10, 0x21, 0, 100,
             /* client id */ 0, 1, 'c', /* user */ 0, 1, 'u', /* password */ 0, 2, 'p', 'w'});
  EXPECT_EQ(out, expected);
}

TEST(MqttPacketTest, PasswordWithoutUserNameSendsAnEmptyUserNameInV311) {
  ConnectOptions o;
  o.version = Version::k311;
  o.client_id = "c";
  o.password = "pw";
  std::string out;
  AppendConnect(o, out);
  EXPECT_EQ(static_cast<uint8_t>(out[9]) & 0xC0, 0xC0);  // both flags
}

TEST(MqttPacketTest, PublishRoundTripsInBothVersions) {
  for (Version v : {Version::k311, Version::k5}) {
    std::string out;
    PublishHeader h{"a/b", 2, true, true, 77, 0};
    AppendPublish(v, h, "payload", out);
    FrameHeader fh;
    ASSERT_EQ(ParseFrameHeader(out, &fh), FrameStatus::kComplete);
    ASSERT_EQ(fh.total(), out.size());
    PublishPacket p;
    ASSERT_TRUE(ParsePublish(v, fh.flags, std::string_view(out).substr(fh.header_size), &p));
    EXPECT_EQ(p.topic, "a/b");
    EXPECT_EQ(p.payload, "payload");
    EXPECT_EQ(p.qos, 2);
    EXPECT_TRUE(p.retain);
    EXPECT_TRUE(p.dup);
    EXPECT_EQ(p.packet_id, 77);
  }
}

TEST(MqttPacketTest, PublishV5SkipsPropertiesButRefusesTopicAliases) {
  // topic "t", packet id 1, properties: content type "j" (0x03) = 4 bytes
  const std::string body = Bytes({0, 1, 't', 0, 1, 4, 0x03, 0, 1, 'j', 'x'});
  PublishPacket p;
  ASSERT_TRUE(ParsePublish(Version::k5, 0x02, body, &p));
  EXPECT_EQ(p.payload, "x");
  const std::string alias = Bytes({0, 1, 't', 0, 1, 3, 0x23, 0, 5, 'x'});
  EXPECT_FALSE(ParsePublish(Version::k5, 0x02, alias, &p));
}

TEST(MqttPacketTest, MalformedPublishesAreRefused) {
  PublishPacket p;
  EXPECT_FALSE(ParsePublish(Version::k311, 0x06, Bytes({0, 1, 't', 0, 1}), &p));  // QoS 3
  EXPECT_FALSE(ParsePublish(Version::k311, 0x00, Bytes({0, 5, 't'}), &p));        // short topic
  EXPECT_FALSE(ParsePublish(Version::k311, 0x02, Bytes({0, 1, 't', 0, 0}), &p));  // packet id 0
  EXPECT_FALSE(ParsePublish(Version::k311, 0x00, Bytes({0, 0, 'x'}), &p));        // empty topic
  EXPECT_FALSE(ParsePublish(Version::k5, 0x00, Bytes({0, 1, 't', 9, 0x03}), &p)); // bad properties
}

TEST(MqttPacketTest, ConnackV5ReadsTheLimitsTheServerSets) {
  // session present, success, properties: receive max 20, max qos 1, keepalive 15
  const std::string body = Bytes({0x01, 0x00, 8, 0x21, 0, 20, 0x24, 1, 0x13, 0, 15});
  Connack c;
  ASSERT_TRUE(ParseConnack(Version::k5, body, &c));
  EXPECT_TRUE(c.session_present);
  EXPECT_EQ(c.reason, 0);
  EXPECT_EQ(c.receive_maximum, 20);
  EXPECT_EQ(c.maximum_qos, 1);
  EXPECT_EQ(c.server_keepalive, 15);
  EXPECT_EQ(ConnackReasonText(Version::k5, 0x87), "not authorized");
  EXPECT_EQ(ConnackReasonText(Version::k311, 5), "not authorized");
}

TEST(MqttPacketTest, AcksAndSubacks) {
  std::string out;
  AppendAck(kPubrel, 0x1234, out);
  EXPECT_EQ(out, Bytes({0x62, 2, 0x12, 0x34}));
  Ack a;
  ASSERT_TRUE(ParseAck(Bytes({0x12, 0x34, 0x10}), &a));
  EXPECT_EQ(a.packet_id, 0x1234);
  EXPECT_EQ(a.reason, 0x10);
  Suback s;
  ASSERT_TRUE(ParseSuback(Version::k5, Bytes({0, 9, 0, 1, 0x80}), &s));
  EXPECT_EQ(s.packet_id, 9);
  EXPECT_EQ(s.reasons, (std::vector<uint8_t>{1, 0x80}));
  out.clear();
  AppendSubscribe(Version::k311, 3, {{"a/+", 1}}, out);
  EXPECT_EQ(out, Bytes({0x82, 8, 0, 3, 0, 3, 'a', '/', '+', 1}));
}

}  // namespace
}  // namespace edgeflow::mqtt
