// The `http` source's options: parsed once from the pipeline file into a
// plain struct (errors go to the diagnostics with their key path), with the
// declared parameters that generate docs/reference.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "connectors/codec/payload_decoder.h"
#include "connectors/http/ingest_protocol.h"
#include "pipeline/registry.h"

namespace edgeflow {

// The formats an `http` source accepts (the first is the default `format`).
const std::vector<PayloadFormat>& HttpSourceFormats();

struct HttpSourceConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::vector<std::string> paths = {"/ingest"};
  DeviceSpec device;
  size_t max_body = size_t{1} << 20;
  size_t queue_bytes = size_t{8} << 20;
  int threads = 4;
  TimeMicros retry_after = kMicrosPerSecond;
  // At most one of these is set; the token is read by ResolveToken at start.
  std::string token;
  std::string token_file;
  std::string token_env;
  PayloadOptions payload;

  bool auth_required() const {
    return !token.empty() || !token_file.empty() || !token_env.empty();
  }
};

std::vector<ParamDef> HttpSourceParamDefs();

// Splits "host:port" ("[::1]:8080" for IPv6); false with `error` set.
bool ParseListenAddress(std::string_view text, std::string* host, int* port, std::string* error);

std::optional<HttpSourceConfig> ParseHttpSourceConfig(const ConfigNode& config);

// The bearer token (from `token`, the file `token_file` or the variable
// `token_env`; surrounding white space trimmed); empty when no auth is
// configured. An error when the file or variable is missing or empty.
Result<std::string> ResolveToken(const HttpSourceConfig& config);

}  // namespace edgeflow
