#include "connectors/mqtt/mqtt_options.h"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace edgeflow::mqtt {

std::vector<ParamDef> ConnectionParamDefs() {
  return {
      {"url", "string", "mqtt://127.0.0.1:1883",
       "Broker address: `mqtt://host:port` (plain TCP, default port 1883) or `mqtts://host:port` "
       "(TLS, default port 8883).",
       false},
      {"version", "5 | 3.1.1", "5", "MQTT protocol version.", false},
      {"client_id", "string", "edgeflow-<host>-<id>",
       "Client identifier. The default is stable across restarts, so a persistent session "
       "(`clean_start: false`) is found again.",
       false},
      {"clean_start", "bool", "true",
       "`false` keeps the session on the broker across disconnections and restarts: QoS 1/2 "
       "messages published meanwhile are delivered when the node is back.",
       false},
      {"session_expiry", "duration", "1d",
       "MQTT 5: how long the broker keeps the session after a disconnection (with `clean_start: "
       "false`). MQTT 3.1.1 sessions do not expire.",
       false},
      {"keepalive", "duration", "30s",
       "Ping interval. A connection that does not answer a ping within it is considered dead "
       "(a black-holed link is detected in about 1.75 x keepalive) and is reconnected.",
       false},
      {"username", "string", "", "User name.", false},
      {"password", "string", "",
       "Password; prefer `password_env` (the name of an environment variable) or `password_file` "
       "(a file holding it) to keep it out of the pipeline file.",
       false},
      {"password_env", "string", "", "Environment variable that holds the password.", false},
      {"password_file", "string", "", "File that holds the password (a trailing newline is ignored).",
       false},
      {"tls", "map", "",
       "TLS settings (implied by `mqtts://`): `ca_file` (PEM; default: the system store), "
       "`cert_file` and `key_file` (client certificate for mutual TLS), `verify_hostname` "
       "(default true), `server_name` (name to verify and send as SNI; default: the url's host).",
       false},
      {"quick_ack", "bool", "false",
       "Acknowledge every read at once (TCP_QUICKACK). Turn on for low-rate, latency-critical "
       "subscriptions to a broker that sends with Nagle's algorithm (mosquitto without "
       "`set_tcp_nodelay true`), where each message can otherwise wait up to 40 ms. Costs CPU: "
       "messages then arrive smoothly, so the client runs a read cycle every read_batch_delay.",
       false},
      {"connect_timeout", "duration", "10s", "Time allowed for TCP connect, TLS handshake and CONNACK.",
       false},
      {"backoff_min", "duration", "100ms", "First reconnection delay.", false},
      {"backoff_max", "duration", "30s",
       "Longest reconnection delay; delays double from backoff_min up to this, each drawn at random "
       "between backoff_min and the current cap (full jitter) so a fleet does not reconnect in step.",
       false},
  };
}

std::optional<std::string> ReadSecret(const ConfigNode& config, const std::string& key) {
  const ConfigNode inline_value = config[key];
  const ConfigNode env = config[key + "_env"];
  const ConfigNode file = config[key + "_file"];
  const int given = inline_value.defined() + env.defined() + file.defined();
  if (given > 1) {
    config.Error("give only one of " + key + ", " + key + "_env and " + key + "_file");
    return std::nullopt;
  }
  if (inline_value.defined()) return inline_value.String("");
  if (env.defined()) {
    const std::string name = env.String("");
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      env.Error("environment variable " + name + " is not set");
      return std::nullopt;
    }
    return std::string(value);
  }
  if (file.defined()) {
    const std::string path = file.String("");
    std::ifstream in(path);
    if (!in) {
      file.Error("cannot read " + path);
      return std::nullopt;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  }
  return std::nullopt;
}

TlsOptions ParseTlsOptions(const ConfigNode& tls_node, bool tls_url, const std::string& tls_url_example) {
  TlsOptions tls;
  tls.enabled = tls_url;
  if (!tls_node.defined()) return tls;
  tls_node.CheckKeys({"ca_file", "cert_file", "key_file", "verify_hostname", "server_name"});
  tls.enabled = true;
  tls.ca_file = tls_node["ca_file"].String("");
  tls.cert_file = tls_node["cert_file"].String("");
  tls.key_file = tls_node["key_file"].String("");
  tls.verify_hostname = tls_node["verify_hostname"].Bool(true);
  tls.server_name = tls_node["server_name"].String("");
  if (!tls.key_file.empty() && tls.cert_file.empty()) {
    tls_node["key_file"].Error("a key_file needs a cert_file");
  }
  if (!tls_url) {
    const std::string scheme = tls_url_example.substr(0, tls_url_example.find("://") + 3);
    tls_node.Error("TLS settings need an " + scheme + " url", "write url: " + tls_url_example);
  }
  return tls;
}

namespace {

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "node";
  return name;
}

}  // namespace

ClientOptions ParseConnectionOptions(const ConfigNode& config, const std::string& component_id) {
  ClientOptions o;
  const ConfigNode url_node = config["url"];
  std::string url = url_node.String("mqtt://127.0.0.1:1883");
  bool tls = false;
  if (url.rfind("mqtt://", 0) == 0) {
    url = url.substr(7);
  } else if (url.rfind("mqtts://", 0) == 0) {
    url = url.substr(8);
    tls = true;
  } else if (url.rfind("tcp://", 0) == 0) {
    url = url.substr(6);
  } else {
    url_node.Error("expected mqtt://host:port or mqtts://host:port");
  }
  if (!url.empty() && url.back() == '/') url.pop_back();
  o.port = tls ? 8883 : 1883;
  std::string host = url;
  if (!url.empty() && url.front() == '[') {  // [IPv6]:port
    const size_t close = url.find(']');
    host = url.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    url = close == std::string::npos ? "" : url.substr(close + 1);
    if (!url.empty() && url.front() == ':') url = url.substr(1); else url.clear();
  } else if (const size_t colon = url.rfind(':'); colon != std::string::npos) {
    host = url.substr(0, colon);
    url = url.substr(colon + 1);
  } else {
    url.clear();
  }
  if (!url.empty()) {
    int port = 0;
    auto [ptr, ec] = std::from_chars(url.data(), url.data() + url.size(), port);
    if (ec != std::errc() || ptr != url.data() + url.size() || port <= 0 || port > 65535) {
      url_node.Error("bad port '" + url + "'");
    } else {
      o.port = port;
    }
  }
  if (host.empty()) url_node.Error("missing host");
  o.host = host;

  const std::string version = config["version"].Enum("5", {"5", "3.1.1"});
  o.connect.version = version == "5" ? Version::k5 : Version::k311;
  o.connect.client_id = config["client_id"].String("edgeflow-" + HostName() + "-" + component_id);
  if (o.connect.client_id.empty()) config["client_id"].Error("must not be empty");
  o.connect.clean_start = config["clean_start"].Bool(true);
  const TimeMicros expiry = config["session_expiry"].Duration(24 * kMicrosPerHour);
  if (expiry < 0) config["session_expiry"].Error("must be >= 0");
  o.connect.session_expiry_seconds =
      o.connect.clean_start ? 0
                            : static_cast<uint32_t>(std::min<TimeMicros>(expiry / kMicrosPerSecond,
                                                                         0xFFFFFFFE));
  const TimeMicros keepalive = config["keepalive"].Duration(30 * kMicrosPerSecond);
  if (keepalive < kMicrosPerSecond || keepalive > 65535 * kMicrosPerSecond) {
    config["keepalive"].Error("must be between 1s and 65535s");
  } else {
    o.connect.keepalive_seconds = static_cast<uint16_t>(keepalive / kMicrosPerSecond);
  }
  if (config["username"].defined()) o.connect.username = config["username"].String("");
  o.connect.password = ReadSecret(config, "password");

  o.tls = ParseTlsOptions(config["tls"], tls, "mqtts://host:8883");

  o.quick_ack = config["quick_ack"].Bool(false);
  o.connect_timeout = config["connect_timeout"].Duration(o.connect_timeout);
  o.backoff_min = config["backoff_min"].Duration(o.backoff_min);
  o.backoff_max = config["backoff_max"].Duration(o.backoff_max);
  if (o.connect_timeout <= 0) config["connect_timeout"].Error("must be > 0");
  if (o.backoff_min <= 0) config["backoff_min"].Error("must be > 0");
  if (o.backoff_max < o.backoff_min) config["backoff_max"].Error("must be >= backoff_min");
  return o;
}

}  // namespace edgeflow::mqtt
