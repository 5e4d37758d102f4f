// The `url` of the upstream sink and source: mqtt://host:port (batches over a
// broker) or http://host:port/path (POSTed batches; the source listens on
// host:port and serves path).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config_node.h"
#include "pipeline/registry.h"

namespace edgeflow {

struct UpstreamUrl {
  enum class Scheme { kMqtt, kHttp } scheme = Scheme::kMqtt;
  std::string host;
  int port = 0;
  std::string path = "/";  // http only
};

// Parses config[`url`]; errors go to the config's diagnostics.
std::optional<UpstreamUrl> ParseUpstreamUrl(const ConfigNode& url);

// Appends the MQTT connection options (all but `url`), marked "MQTT only",
// that the upstream sink and source accept for an mqtt:// url.
void AppendMqttOnlyParamDefs(std::vector<ParamDef>& params);

}  // namespace edgeflow
