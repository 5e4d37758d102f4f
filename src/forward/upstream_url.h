// The `url` of the upstream sink and source: mqtt://host:port or
// mqtts://host:port (batches over a broker), http://host:port/path or
// https://host:port/path (POSTed batches; the source listens on host:port
// and serves path), and the `tls` option of the http(s) transport.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config_node.h"
#include "connectors/net/connection.h"
#include "pipeline/registry.h"

namespace edgeflow {

struct UpstreamUrl {
  enum class Scheme { kMqtt, kHttp } scheme = Scheme::kMqtt;
  bool tls = false;  // mqtts:// or https://
  std::string host;
  int port = 0;
  std::string path = "/";  // http only
};

// Parses config[`url`]; errors go to the config's diagnostics.
std::optional<UpstreamUrl> ParseUpstreamUrl(const ConfigNode& url);

// Reads config[`tls`] for an http(s):// url (for mqtt(s):// the MQTT
// connection options read it). `receiver`: the upstream source, which
// serves https and needs its own certificate and key; the sink is a client.
// Errors go to the config's diagnostics.
TlsOptions ParseHttpTlsOptions(const ConfigNode& config, const UpstreamUrl& url, bool receiver);

// Appends the MQTT connection options (all but `url` and `tls`), marked
// "MQTT only", that the upstream sink and source accept for an mqtt(s)://
// url, and the `tls` option (both transports) of the sink or the receiver.
void AppendMqttOnlyParamDefs(std::vector<ParamDef>& params, bool receiver);

}  // namespace edgeflow
