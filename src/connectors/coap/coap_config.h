// The options of a `coap` source, parsed once from its config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "connectors/coap/coap_paths.h"
#include "connectors/codec/payload_decoder.h"
#include "pipeline/registry.h"

namespace edgeflow {

struct CoapConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 5683;
  std::vector<ResourcePattern> resources;
  DeviceRule device;
  size_t max_body = size_t{64} << 10;
  // Bytes of accepted payloads waiting for the executor (the MessageInbox
  // bound); beyond it requests are answered 5.03.
  size_t queue_bytes = size_t{4} << 20;
  // Max-Age of a 5.03 answer: when the client may retry.
  uint32_t retry_after_seconds = 1;
  // Block1 transfers assembled at once (each up to max_body).
  size_t max_block_transfers = 16;
  // DTLS with a pre-shared key when psk_key is set (coaps://).
  std::string psk_identity;
  std::string psk_key;
  PayloadOptions payload;

  bool dtls() const { return !psk_key.empty(); }
};

// The formats a `coap` source decodes; the first is the default `format`.
const std::vector<PayloadFormat>& CoapPayloadFormats();

// Every parameter of the `coap` source (its own and the payload ones).
std::vector<ParamDef> CoapParamDefs();

// Reads the config; nullopt when it has errors (recorded in its diagnostics).
std::optional<CoapConfig> ParseCoapConfig(const ConfigNode& config);

// "127.0.0.1:5683", "[::1]:5683", "localhost:5683"; false when malformed.
bool ParseListenAddress(std::string_view text, std::string* host, uint16_t* port);

}  // namespace edgeflow
