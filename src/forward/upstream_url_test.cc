#include "forward/upstream_url.h"

#include <gtest/gtest.h>

#include "config/yaml_loader.h"

namespace edgeflow {
namespace {

// Parses `yaml` as a component's config and hands its root to `check`.
template <typename F>
Diagnostics WithConfig(const std::string& yaml, F check) {
  Diagnostics d;
  auto loaded = LoadYamlText(yaml, "p.yaml", [](const std::string&) { return std::nullopt; }, &d);
  EXPECT_TRUE(loaded.has_value());
  if (loaded) check(loaded->Root(&d));
  return d;
}

std::string Errors(const Diagnostics& d) {
  std::string text;
  for (const auto& item : d.items()) text += item.ToString() + "\n";
  return text;
}

TEST(UpstreamUrlTest, SchemesAndDefaultPorts) {
  struct Case {
    const char* url;
    UpstreamUrl::Scheme scheme;
    bool tls;
    int port;
    const char* path;
  };
  const Case cases[] = {
      {"mqtt://broker", UpstreamUrl::Scheme::kMqtt, false, 1883, "/"},
      {"mqtts://broker", UpstreamUrl::Scheme::kMqtt, true, 8883, "/"},
      {"http://gw:8080/up", UpstreamUrl::Scheme::kHttp, false, 8080, "/up"},
      {"https://gw/up", UpstreamUrl::Scheme::kHttp, true, 443, "/up"},
  };
  for (const Case& c : cases) {
    std::optional<UpstreamUrl> url;
    const Diagnostics d = WithConfig(std::string("url: ") + c.url + "\n",
                                     [&](const ConfigNode& root) { url = ParseUpstreamUrl(root["url"]); });
    ASSERT_TRUE(url.has_value()) << c.url << ": " << Errors(d);
    EXPECT_EQ(url->scheme, c.scheme) << c.url;
    EXPECT_EQ(url->tls, c.tls) << c.url;
    EXPECT_EQ(url->port, c.port) << c.url;
    EXPECT_EQ(url->path, c.path) << c.url;
  }
}

TEST(UpstreamUrlTest, UnknownSchemeNamesTheTlsOnes) {
  const Diagnostics d =
      WithConfig("url: ftp://gw/x\n", [](const ConfigNode& root) { EXPECT_FALSE(ParseUpstreamUrl(root["url"])); });
  const std::string errors = Errors(d);
  EXPECT_NE(errors.find("mqtts://host:port (TLS)"), std::string::npos) << errors;
  EXPECT_NE(errors.find("https://host:port/path (TLS)"), std::string::npos) << errors;
}

TEST(UpstreamUrlTest, HttpsSenderTlsSettings) {
  TlsOptions tls;
  const Diagnostics d = WithConfig("url: https://gw/up\ntls: { ca_file: ca.pem, cert_file: node.pem }\n",
                                   [&](const ConfigNode& root) {
                                     tls = ParseHttpTlsOptions(root, *ParseUpstreamUrl(root["url"]), false);
                                   });
  EXPECT_FALSE(d.has_errors()) << Errors(d);
  EXPECT_TRUE(tls.enabled);
  EXPECT_EQ(tls.ca_file, "ca.pem");
  EXPECT_EQ(tls.key_file, "node.pem");  // the key may sit in the certificate's PEM
}

TEST(UpstreamUrlTest, TlsSettingsNeedATlsUrl) {
  const Diagnostics d = WithConfig("url: http://gw/up\ntls: { ca_file: ca.pem }\n", [](const ConfigNode& root) {
    EXPECT_FALSE(ParseHttpTlsOptions(root, *ParseUpstreamUrl(root["url"]), false).ca_file.empty());
  });
  EXPECT_NE(Errors(d).find("TLS settings need an https:// url"), std::string::npos) << Errors(d);
}

TEST(UpstreamUrlTest, HttpsReceiverNeedsItsCertificate) {
  const Diagnostics d = WithConfig("url: https://0.0.0.0:8471/up\ntls: { ca_file: ca.pem }\n",
                                   [](const ConfigNode& root) {
                                     ParseHttpTlsOptions(root, *ParseUpstreamUrl(root["url"]), true);
                                   });
  EXPECT_NE(Errors(d).find("an https receiver needs its certificate and key"), std::string::npos) << Errors(d);
}

TEST(UpstreamUrlTest, HttpsRefusesMqttOnlyTlsSwitches) {
  const Diagnostics d = WithConfig("url: https://gw/up\ntls: { verify_hostname: false, server_name: x }\n",
                                   [](const ConfigNode& root) {
                                     ParseHttpTlsOptions(root, *ParseUpstreamUrl(root["url"]), false);
                                   });
  EXPECT_EQ(d.items().size(), 2u) << Errors(d);
  EXPECT_NE(Errors(d).find("not supported over https"), std::string::npos) << Errors(d);
}

}  // namespace
}  // namespace edgeflow
