#include "connectors/coap/coap_config.h"

#include <gtest/gtest.h>

#include "connectors/coap/coap_source.h"
#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

class CoapConfigTest : public ::testing::Test {
 protected:
  std::optional<CoapConfig> Parse(const std::string& yaml) {
    diagnostics_ = Diagnostics();
    ConfigNode node(YAML::Load(yaml), "sources[0]", std::make_shared<const std::string>("t.yaml"),
                    &diagnostics_);
    return ParseCoapConfig(node);
  }
  std::string errors() const { return diagnostics_.ToString(); }

  Diagnostics diagnostics_;
};

TEST_F(CoapConfigTest, Defaults) {
  std::optional<CoapConfig> c = Parse("type: coap");
  ASSERT_TRUE(c) << errors();
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 5683);
  ASSERT_EQ(c->resources.size(), 1u);
  EXPECT_EQ(c->resources[0].text, "telemetry");
  EXPECT_EQ(c->device.kind, DeviceRule::Kind::kPayload);
  EXPECT_EQ(c->max_body, 64u << 10);
  EXPECT_EQ(c->payload.format, PayloadFormat::kJson);
  EXPECT_EQ(c->payload.json.max_bytes, 64u << 10);
  EXPECT_EQ(c->payload.json.missing_time, MissingTimePolicy::kReceiveTime);
  EXPECT_FALSE(c->dtls());
}

TEST_F(CoapConfigTest, AllOptions) {
  std::optional<CoapConfig> c = Parse(
      "listen: '[::1]:6000'\n"
      "resources: [telemetry/+, bulk/+]\n"
      "device: path[1]\n"
      "format: senml\n"
      "max_body: 1KB\n"
      "queue_bytes: 1MB\n"
      "retry_after: 2500ms\n"
      "max_block_transfers: 3\n"
      "psk_identity: gw\n"
      "psk_key: secret\n");
  ASSERT_TRUE(c) << errors();
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 6000);
  ASSERT_EQ(c->resources.size(), 2u);
  EXPECT_EQ(c->resources[1].text, "bulk/+");
  EXPECT_EQ(c->device.kind, DeviceRule::Kind::kPathSegment);
  EXPECT_EQ(c->device.segment, 1u);
  EXPECT_EQ(c->payload.format, PayloadFormat::kSenml);
  EXPECT_TRUE(c->payload.device_from_transport);
  EXPECT_EQ(c->max_body, 1024u);
  EXPECT_EQ(c->queue_bytes, 1u << 20);
  EXPECT_EQ(c->retry_after_seconds, 3u);  // rounded up to whole seconds
  EXPECT_EQ(c->max_block_transfers, 3u);
  EXPECT_TRUE(c->dtls());
  EXPECT_EQ(c->psk_identity, "gw");
}

TEST_F(CoapConfigTest, DeviceSegmentNeedsOnlySomeResourceToHaveIt) {
  std::optional<CoapConfig> c = Parse("resources: [telemetry, sensors/+]\ndevice: path[1]\n");
  ASSERT_TRUE(c) << errors();
  EXPECT_EQ(c->device.segment, 1u);
}

TEST_F(CoapConfigTest, PathIsAnAliasOfResources) {
  std::optional<CoapConfig> c = Parse("path: readings\n");
  ASSERT_TRUE(c) << errors();
  ASSERT_EQ(c->resources.size(), 1u);
  EXPECT_EQ(c->resources[0].text, "readings");
}

TEST_F(CoapConfigTest, DtlsDefaultPortIs5684) {
  std::optional<CoapConfig> c = Parse("psk_identity: a\npsk_key: b\n");
  ASSERT_TRUE(c) << errors();
  EXPECT_EQ(c->port, 5684);
}

struct BadCase {
  const char* yaml;
  const char* message;  // part of the expected error
};

TEST_F(CoapConfigTest, Errors) {
  const BadCase cases[] = {
      {"listen: 127.0.0.1\n", "host:port"},
      {"listen: 127.0.0.1:0\n", "host:port"},
      {"listen: '127.0.0.1:70000'\n", "host:port"},
      {"listen: '::1:5683'\n", "host:port"},
      {"resources: [a, path, 'x//y']\n", "empty segment"},
      {"resources: []\n", "at least one"},
      {"resources: a\npath: b\n", "either resources or path"},
      {"resources: [telemetry/+, a]\ndevice: path[2]\n", "no resource has a segment 2"},
      {"device: 'path[x]'\n", "path[N]"},
      {"format: csv\n", "json"},
      {"max_body: 0B\n", "between"},
      {"max_block_transfers: 0\n", "between"},
      {"psk_key: k\n", "needs psk_identity"},
      {"psk_identity: id\n", "needs psk_key"},
      {"retry_after: -1s\n", "between"},
  };
  for (const BadCase& c : cases) {
    EXPECT_FALSE(Parse(c.yaml)) << c.yaml;
    EXPECT_NE(errors().find(c.message), std::string::npos) << c.yaml << "\n" << errors();
  }
}

TEST_F(CoapConfigTest, ListenAddress) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(ParseListenAddress("0.0.0.0:5683", &host, &port));
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 5683);
  ASSERT_TRUE(ParseListenAddress("localhost:1", &host, &port));
  EXPECT_EQ(host, "localhost");
  EXPECT_FALSE(ParseListenAddress(":5683", &host, &port));
  EXPECT_FALSE(ParseListenAddress("h:", &host, &port));
  EXPECT_FALSE(ParseListenAddress("h:12x", &host, &port));
}

TEST_F(CoapConfigTest, OptionsOfOtherFormatsAreNotDeclared) {
  TestHarness h;
  EXPECT_FALSE(h.BuildSource(CoapSourceDef(), "columns: [a, b]\n"));
  EXPECT_NE(h.errors().find("columns"), std::string::npos) << h.errors();
  bool has_format = false;
  for (const ParamDef& p : CoapSourceDef().params) {
    EXPECT_NE(p.name, "value_field");
    EXPECT_NE(p.name, "raw_encoding");
    EXPECT_NE(p.name, "delimiter");
    if (p.name == "format") has_format = p.type == "json | senml";
  }
  EXPECT_TRUE(has_format);
}

}  // namespace
}  // namespace edgeflow
