#include "connectors/coap/coap_config.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace edgeflow {
namespace {

constexpr uint64_t kMaxBodyLimit = uint64_t{64} << 20;

// Payload parameters that only apply to formats a coap source never uses.
bool IsForeignPayloadParam(const std::string& name) {
  static const std::set<std::string> kForeign = {"value_field", "raw_encoding", "columns",
                                                 "delimiter"};
  return kForeign.contains(name);
}

}  // namespace

const std::vector<PayloadFormat>& CoapPayloadFormats() {
  static const std::vector<PayloadFormat> formats = {PayloadFormat::kJson, PayloadFormat::kSenml};
  return formats;
}

bool ParseListenAddress(std::string_view text, std::string* host, uint16_t* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view h = text.substr(0, colon);
  const std::string_view p = text.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string_view::npos) {
    return false;  // an IPv6 address needs brackets
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (h.empty() || p.empty() || ec != std::errc() || ptr != p.data() + p.size() || value == 0 ||
      value > 65535) {
    return false;
  }
  *host = std::string(h);
  *port = static_cast<uint16_t>(value);
  return true;
}

std::vector<ParamDef> CoapParamDefs() {
  std::vector<ParamDef> defs = {
      {"listen", "host:port", "127.0.0.1:5683 (5684 with DTLS)",
       "UDP address the CoAP server binds (`[::1]:5683` for IPv6). Bind 0.0.0.0 to accept "
       "devices on the network.",
       false},
      {"resources", "list of string", "telemetry",
       "Resource paths that accept readings (POST or PUT). A `+` segment matches any one "
       "segment: `telemetry/+` accepts `telemetry/press-7`. Other paths are answered 4.04.",
       false},
      {"path", "string or list of string", "",
       "Same as `resources` (use one of them).", false},
      {"device", "path[N] | string", "",
       "Where the device comes from: `path[N]` is segment N (0-based) of the request path "
       "(`path[1]` with `telemetry/+`; resources without segment N leave the device to the "
       "payload), any other text is a fixed device for every reading. Either wins over the "
       "payload's device field. Absent: the payload's `device_field` or `default_device`.",
       false},
      {"max_body", "size", "64KB",
       "Largest accepted body, also after a Block1 (block-wise) transfer; larger ones are "
       "answered 4.13 and counted as `too_large`.",
       false},
      {"queue_bytes", "size", "4MB",
       "Bytes of received payloads waiting for the pipeline. When full, requests are answered "
       "5.03 with Max-Age `retry_after` and counted as `busy`.",
       false},
      {"retry_after", "duration", "1s", "Max-Age of a 5.03 answer (whole seconds).", false},
      {"max_block_transfers", "int", "16",
       "Block1 transfers assembled at the same time (each up to `max_body`); a new one beyond "
       "this is answered 5.03.",
       false},
      {"psk_identity", "string", "",
       "DTLS: the identity clients must present with `psk_key`.", false},
      {"psk_key", "string", "",
       "DTLS: the pre-shared key (text). When set the server speaks CoAP over DTLS (coaps://) "
       "only. Certificate (PKI) and raw public key DTLS are not supported.",
       false},
  };
  for (ParamDef& p : PayloadParamDefs(CoapPayloadFormats())) {
    if (IsForeignPayloadParam(p.name)) continue;
    if (p.name == "format") {
      p.description =
          "Payload format of requests without a Content-Format option: `json` (an object or an "
          "array of objects) or `senml` (RFC 8428 SenML JSON). Content-Format 50 "
          "(application/json) and 110 (application/senml+json) select the format per request; "
          "any other Content-Format is answered 4.15.";
    }
    defs.push_back(std::move(p));
  }
  return defs;
}

std::optional<CoapConfig> ParseCoapConfig(const ConfigNode& config) {
  const size_t errors_before = config.ErrorCount();
  CoapConfig c;
  std::string error;

  const ConfigNode psk_key = config["psk_key"];
  const ConfigNode psk_identity = config["psk_identity"];
  c.psk_key = psk_key.String("");
  c.psk_identity = psk_identity.String("");
  if (psk_key.defined() && c.psk_key.empty()) psk_key.Error("must not be empty");
  if (psk_identity.defined() && !psk_key.defined()) {
    psk_identity.Error("needs psk_key");
  }
  if (psk_key.defined() && c.psk_identity.empty()) {
    psk_key.Error("needs psk_identity (the identity clients present)");
  }
  if (c.dtls()) c.port = 5684;

  const ConfigNode listen = config["listen"];
  if (listen.defined()) {
    const std::string text = listen.String("");
    if (!ParseListenAddress(text, &c.host, &c.port)) {
      listen.Error("expected host:port with a port from 1 to 65535, got '" + text + "'",
                   "127.0.0.1:5683, 0.0.0.0:5683 or [::1]:5683");
    }
  }

  const ConfigNode resources = config["resources"];
  const ConfigNode path = config["path"];
  if (resources.defined() && path.defined()) {
    path.Error("set either resources or path, not both");
  }
  const ConfigNode& paths_node = resources.defined() ? resources : path;
  std::vector<std::string> paths =
      paths_node.defined() ? paths_node.StringList() : std::vector<std::string>{"telemetry"};
  if (paths_node.defined() && paths.empty()) paths_node.Error("must list at least one path");
  for (const std::string& text : paths) {
    std::optional<ResourcePattern> pattern = ParseResourcePattern(text, &error);
    if (!pattern) {
      paths_node.Error(error, "segments separated by '/', '+' for any one segment");
      continue;
    }
    c.resources.push_back(std::move(*pattern));
  }

  const ConfigNode device = config["device"];
  if (device.defined()) {
    std::optional<DeviceRule> rule = ParseDeviceRule(device.String(""), &error);
    if (!rule) {
      device.Error(error);
    } else {
      c.device = std::move(*rule);
      // A resource without that segment leaves the device to the payload,
      // but when none has it the index is surely a mistake.
      const bool any = std::any_of(c.resources.begin(), c.resources.end(),
                                   [&](const ResourcePattern& p) {
                                     return c.device.segment < p.segments.size();
                                   });
      if (c.device.kind == DeviceRule::Kind::kPathSegment && !c.resources.empty() && !any) {
        device.Error("no resource has a segment " + std::to_string(c.device.segment),
                     "segments are counted from 0: telemetry/+ has path[0] and path[1]");
      }
    }
  }

  const ConfigNode max_body = config["max_body"];
  c.max_body = max_body.Size(c.max_body);
  if (c.max_body < 1 || c.max_body > kMaxBodyLimit) max_body.Error("must be between 1B and 64MB");
  const ConfigNode queue_bytes = config["queue_bytes"];
  c.queue_bytes = queue_bytes.Size(c.queue_bytes);
  if (c.queue_bytes < 1) queue_bytes.Error("must be at least 1B");
  const ConfigNode retry_after = config["retry_after"];
  const TimeMicros retry = retry_after.Duration(kMicrosPerSecond);
  if (retry < 0 || retry > 24 * kMicrosPerHour) retry_after.Error("must be between 0s and 24h");
  c.retry_after_seconds =
      static_cast<uint32_t>((std::clamp<TimeMicros>(retry, 0, 24 * kMicrosPerHour) +
                             kMicrosPerSecond - 1) / kMicrosPerSecond);
  const ConfigNode transfers = config["max_block_transfers"];
  const int64_t max_transfers = transfers.Int(16);
  if (max_transfers < 1 || max_transfers > 4096) transfers.Error("must be between 1 and 4096");
  c.max_block_transfers = static_cast<size_t>(std::clamp<int64_t>(max_transfers, 1, 4096));

  c.payload = ParsePayloadOptions(config, CoapPayloadFormats(), MissingTimePolicy::kReceiveTime,
                                  c.device.kind != DeviceRule::Kind::kPayload);
  c.payload.json.max_bytes = c.max_body;
  c.payload.csv.max_bytes = c.max_body;

  if (config.ErrorCount() != errors_before) return std::nullopt;
  return c;
}

}  // namespace edgeflow
