#include "forward/upstream_url.h"

#include <charconv>

#include "connectors/mqtt/mqtt_options.h"

namespace edgeflow {

std::optional<UpstreamUrl> ParseUpstreamUrl(const ConfigNode& node) {
  const std::string text = node.String("");
  if (!node.defined() || text.empty()) {
    node.Error("a url is required", "url: mqtt://127.0.0.1:1883 or url: http://127.0.0.1:8080/upstream");
    return std::nullopt;
  }
  struct Known {
    const char* prefix;
    UpstreamUrl::Scheme scheme;
    bool tls;
    int port;
  };
  static constexpr Known kKnown[] = {
      {"mqtt://", UpstreamUrl::Scheme::kMqtt, false, 1883},
      {"mqtts://", UpstreamUrl::Scheme::kMqtt, true, 8883},
      {"http://", UpstreamUrl::Scheme::kHttp, false, 80},
      {"https://", UpstreamUrl::Scheme::kHttp, true, 443},
  };
  UpstreamUrl url;
  std::string rest;
  bool known = false;
  for (const Known& k : kKnown) {
    const std::string_view prefix = k.prefix;
    if (text.rfind(prefix, 0) != 0) continue;
    url.scheme = k.scheme;
    url.tls = k.tls;
    url.port = k.port;
    rest = text.substr(prefix.size());
    known = true;
  }
  if (!known) {
    node.Error("expected mqtt://host:port, mqtts://host:port (TLS), http://host:port/path or "
               "https://host:port/path (TLS)");
    return std::nullopt;
  }
  const size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    if (url.scheme == UpstreamUrl::Scheme::kMqtt && slash + 1 != rest.size()) {
      node.Error("an mqtt url has no path (topics come from topic_prefix)");
      return std::nullopt;
    }
    url.path = rest.substr(slash);
    rest = rest.substr(0, slash);
  }
  const size_t colon = rest.rfind(':');
  url.host = rest.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), url.port);
    if (ec != std::errc() || ptr != port.data() + port.size() || url.port <= 0 || url.port > 65535) {
      node.Error("bad port '" + port + "'");
      return std::nullopt;
    }
  }
  if (url.host.empty()) {
    node.Error("missing host");
    return std::nullopt;
  }
  return url;
}

TlsOptions ParseHttpTlsOptions(const ConfigNode& config, const UpstreamUrl& url, bool receiver) {
  const ConfigNode node = config["tls"];
  TlsOptions tls = mqtt::ParseTlsOptions(node, url.tls, "https://host:port/path");
  if (!tls.enabled) return tls;
  // cpp-httplib checks the certificate against the url's host and sends it
  // as SNI; it has no switch for either.
  if (!tls.verify_hostname) node["verify_hostname"].Error("not supported over https (MQTT only)");
  if (!tls.server_name.empty()) node["server_name"].Error("not supported over https (MQTT only)");
  if (receiver && tls.cert_file.empty()) {
    node.Error("an https receiver needs its certificate and key",
               "tls: { cert_file: server.crt, key_file: server.key }");
  }
  if (tls.key_file.empty()) tls.key_file = tls.cert_file;  // a PEM may hold both
  return tls;
}

void AppendMqttOnlyParamDefs(std::vector<ParamDef>& params, bool receiver) {
  for (ParamDef& p : mqtt::ConnectionParamDefs()) {
    if (p.name == "url" || p.name == "tls") continue;
    p.description = "MQTT only. " + p.description;
    params.push_back(std::move(p));
  }
  if (receiver) {
    params.push_back(
        {"tls", "map", "",
         "TLS settings (implied by `mqtts://` and `https://`). mqtts: the receiver is a client of the "
         "broker: `ca_file` (PEM; default: the system store), `cert_file` and `key_file` (client "
         "certificate), `verify_hostname` (default true), `server_name`. https: the receiver serves TLS: "
         "`cert_file` and `key_file` (its certificate, required) and `ca_file` (when given, every node must "
         "present a client certificate signed by it).",
         false});
  } else {
    params.push_back(
        {"tls", "map", "",
         "TLS settings (implied by `mqtts://` and `https://`): `ca_file` (PEM of the CAs that may sign the "
         "broker's or receiver's certificate; default: the system store), `cert_file` and `key_file` "
         "(client certificate for mutual TLS). MQTT only: `verify_hostname` (default true), "
         "`server_name`. Over https the certificate must name the url's host.",
         false});
  }
}

}  // namespace edgeflow
