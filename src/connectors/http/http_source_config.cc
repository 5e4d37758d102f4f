#include "connectors/http/http_source_config.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/text.h"

namespace edgeflow {
namespace {

constexpr size_t kMaxBodyLimit = size_t{1} << 30;

std::string TrimWhiteSpace(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(begin, end - begin + 1));
}

}  // namespace

const std::vector<PayloadFormat>& HttpSourceFormats() {
  static const std::vector<PayloadFormat> formats = {PayloadFormat::kJson, PayloadFormat::kNdjson,
                                                     PayloadFormat::kSenml, PayloadFormat::kCsv,
                                                     PayloadFormat::kKv};
  return formats;
}

std::vector<ParamDef> HttpSourceParamDefs() {
  std::vector<ParamDef> defs = {
      {"listen", "host:port", "127.0.0.1:8080",
       "Address and TCP port to listen on; `0.0.0.0:8080` for every interface, `[::1]:8080` for "
       "IPv6.",
       false},
      {"path", "string or list of string", "/ingest",
       "URL path(s) that accept POST (and PUT) requests; paths below them (`/ingest/press-1`) are "
       "accepted too, for `device: path[N]`. GET /healthz answers 200.",
       false},
      {"device", "string", "",
       "Device of every record of a request: `path[N]` (the N-th URL path segment from 0: "
       "`path[1]` for /ingest/<device>), `query.NAME` (a query parameter), or a fixed name. Wins "
       "over the payload's device field. Unset: the payload's `device_field` / `default_device`.",
       false},
      {"max_body", "size", "1MB",
       "Larger request bodies are refused with 413 (also bounds each server thread's buffer).",
       false},
      {"queue", "size", "8MB",
       "Bytes of accepted bodies waiting for the pipeline; when full, requests are refused with "
       "503 and Retry-After.",
       false},
      {"retry_after", "duration", "1s", "The Retry-After of a 503 answer (whole seconds, at least 1).",
       false},
      {"threads", "int", "4", "Server threads (concurrent requests), 1 to 64.", false},
      {"token", "string", "",
       "Bearer token clients must send (`Authorization: Bearer <token>`); 401 otherwise. Prefer "
       "`token_file` or `token_env`.",
       false},
      {"token_file", "string", "", "File holding the bearer token (read at start).", false},
      {"token_env", "string", "", "Environment variable holding the bearer token (read at start).",
       false},
  };
  for (ParamDef& p : PayloadParamDefs(HttpSourceFormats())) {
    // Only the `number` and `raw` formats use these, and this source has
    // neither: leaving them out makes them unknown keys, not silent no-ops.
    if (p.name == "value_field" || p.name == "raw_encoding") continue;
    defs.push_back(std::move(p));
  }
  return defs;
}

bool ParseListenAddress(std::string_view text, std::string* host, int* port, std::string* error) {
  std::string_view h;
  std::string_view p;
  if (text.starts_with("[")) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      *error = "expected [IPv6]:port, such as [::1]:8080";
      return false;
    }
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      *error = "expected host:port, such as 127.0.0.1:8080";
      return false;
    }
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  if (h.empty()) {
    *error = "the host is missing (use 0.0.0.0 for every interface)";
    return false;
  }
  int value = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || value < 1 || value > 65535) {
    *error = "the port must be a number from 1 to 65535, got '" + std::string(p) + "'";
    return false;
  }
  *host = std::string(h);
  *port = value;
  return true;
}

std::optional<HttpSourceConfig> ParseHttpSourceConfig(const ConfigNode& config) {
  const size_t errors_before = config.ErrorCount();
  HttpSourceConfig c;

  const ConfigNode listen = config["listen"];
  if (listen.defined()) {
    std::string error;
    if (!ParseListenAddress(listen.String(""), &c.host, &c.port, &error)) listen.Error(error);
  }

  const ConfigNode path = config["path"];
  if (path.defined()) {
    c.paths = path.StringList();
    if (c.paths.empty()) path.Error("must not be empty");
    for (const std::string& p : c.paths) {
      if (p.empty() || p.front() != '/') {
        path.Error("'" + p + "' must start with '/'");
      } else if (p == "/healthz") {
        path.Error("/healthz is the health endpoint");
      } else if (p.find_first_of("?# ") != std::string::npos) {
        path.Error("'" + p + "' must be a plain path, without '?', '#' or spaces");
      }
    }
  }

  const ConfigNode device = config["device"];
  if (device.defined()) {
    std::string error;
    std::optional<DeviceSpec> spec = ParseDeviceSpec(device.String(""), &error);
    if (spec) {
      c.device = *spec;
    } else {
      device.Error(error, "path[1] for /ingest/<device>, query.device for ?device=<device>");
    }
  }

  const ConfigNode max_body = config["max_body"];
  c.max_body = max_body.Size(c.max_body);
  if (c.max_body < 1 || c.max_body > kMaxBodyLimit) max_body.Error("must be between 1B and 1GB");
  const ConfigNode queue = config["queue"];
  c.queue_bytes = queue.Size(c.queue_bytes);
  if (c.queue_bytes < c.max_body) {
    queue.Error("must be at least max_body (" + std::to_string(c.max_body) + " bytes)");
  } else if (c.queue_bytes > (size_t{4} << 30)) {
    queue.Error("must be at most 4GB");
  }
  const ConfigNode retry_after = config["retry_after"];
  c.retry_after = retry_after.Duration(c.retry_after);
  if (c.retry_after < kMicrosPerSecond || c.retry_after > 3600 * kMicrosPerSecond) {
    retry_after.Error("must be between 1s and 1h");
  }
  const ConfigNode threads = config["threads"];
  c.threads = static_cast<int>(threads.Int(c.threads));
  if (c.threads < 1 || c.threads > 64) threads.Error("must be between 1 and 64");

  c.token = config["token"].String("");
  c.token_file = config["token_file"].String("");
  c.token_env = config["token_env"].String("");
  int token_sources = 0;
  for (const char* key : {"token", "token_file", "token_env"}) {
    if (config.Has(key)) {
      ++token_sources;
      if (config[key].String("").empty()) config[key].Error("must not be empty");
    }
  }
  if (token_sources > 1) {
    config["token"].Error("give only one of token, token_file and token_env");
  }

  const bool device_from_url = c.device.kind != DeviceSpec::Kind::kPayload;
  c.payload = ParsePayloadOptions(config, HttpSourceFormats(), MissingTimePolicy::kReceiveTime,
                                  device_from_url);
  // A request's Content-Type may pick CSV whatever `format` says, so the CSV
  // options always apply (ParsePayloadOptions reads them only for csv).
  if (c.payload.format != PayloadFormat::kCsv) ParseCsvDecoderOptions(config, &c.payload.csv);
  // A body is one record at most max_body long.
  c.payload.json.max_bytes = c.max_body;
  c.payload.csv.max_bytes = c.max_body;

  if (config.ErrorCount() != errors_before) return std::nullopt;
  return c;
}

Result<std::string> ResolveToken(const HttpSourceConfig& config) {
  if (!config.token.empty()) return TrimWhiteSpace(config.token);
  if (!config.token_file.empty()) {
    std::ifstream in(config.token_file);
    if (!in) return NotFound("token_file " + config.token_file + ": cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    std::string token = TrimWhiteSpace(text.str());
    if (token.empty()) return InvalidConfig("token_file " + config.token_file + " is empty");
    return token;
  }
  if (!config.token_env.empty()) {
    const char* value = std::getenv(config.token_env.c_str());
    std::string token = value == nullptr ? "" : TrimWhiteSpace(value);
    if (token.empty()) {
      return InvalidConfig("token_env: environment variable " + config.token_env +
                           " is not set or empty");
    }
    return token;
  }
  return std::string();
}

}  // namespace edgeflow
