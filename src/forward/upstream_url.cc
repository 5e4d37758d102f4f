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
  UpstreamUrl url;
  std::string rest;
  if (text.rfind("mqtt://", 0) == 0) {
    url.scheme = UpstreamUrl::Scheme::kMqtt;
    url.port = 1883;
    rest = text.substr(7);
  } else if (text.rfind("http://", 0) == 0) {
    url.scheme = UpstreamUrl::Scheme::kHttp;
    url.port = 80;
    rest = text.substr(7);
  } else {
    node.Error("expected mqtt://host:port or http://host:port/path (TLS: not yet supported)");
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

void AppendMqttOnlyParamDefs(std::vector<ParamDef>& params) {
  for (ParamDef& p : mqtt::ConnectionParamDefs()) {
    if (p.name == "url") continue;
    p.description = "MQTT only. " + p.description;
    params.push_back(std::move(p));
  }
}

}  // namespace edgeflow
