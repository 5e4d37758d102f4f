// The connection options every MQTT component shares (url, protocol
// version, session, credentials, TLS, reconnect), declared once for the docs
// and parsed into mqtt::ClientOptions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config_node.h"
#include "connectors/mqtt/mqtt_client.h"
#include "pipeline/registry.h"

namespace edgeflow::mqtt {

std::vector<ParamDef> ConnectionParamDefs();

// Reads the keys of ConnectionParamDefs. `component_id` makes the default
// client id (edgeflow-<host name>-<id>), stable across restarts so that a
// persistent session is found again. Errors go to the config's diagnostics.
ClientOptions ParseConnectionOptions(const ConfigNode& config, const std::string& component_id);

// Reads a `tls` map (ca_file, cert_file, key_file, verify_hostname,
// server_name). `tls_url`: the url's scheme asks for TLS (then TLS is on even
// without the map); settings under a plain url are an error that suggests
// `tls_url_example` (e.g. "mqtts://host:8883"). Shared with the components
// that speak other TLS transports (the upstream sink and source over https).
TlsOptions ParseTlsOptions(const ConfigNode& tls_node, bool tls_url, const std::string& tls_url_example);

// Reads a secret given inline, as the name of an environment variable
// (`<key>_env`) or as a file (`<key>_file`, trailing newline removed).
std::optional<std::string> ReadSecret(const ConfigNode& config, const std::string& key);

}  // namespace edgeflow::mqtt
