// SenmlDecoder: SenML packs (RFC 8428, JSON representation) to events.
//
// A pack is an array of records; base values (bn, bt, bu, bv, bs) apply to
// the record that holds them and every later one. Each record is one reading
// named bn + n at time bt + t (times below 2^28 are relative to `now`, as the
// RFC says). Records are grouped into events: consecutive records with the
// same device and time become one event whose fields are the records' names
// (`n`), so a pack of temperature and humidity readings of one sensor at one
// instant is one event with two fields.
//
// The device is the base name without its trailing separator (':', '/', '.',
// '-' or '_'), e.g. "urn:dev:ow:10e2073a01080063" for bn
// "urn:dev:ow:10e2073a01080063:"; without a base name it is the default
// device (the transport's, or default_device). Values: v (number, plus bv),
// vs (string), vb (bool), vd (data, kept as its base64 text), s (sum, plus
// bs). A pack with a record that breaks the RFC (no name, no value or
// several, wrong types, unknown mandatory `_` field) is rejected whole as
// "malformed_senml"; invalid JSON is "malformed_json".
#pragma once

#include <memory>
#include <string_view>

#include "connectors/codec/decode_options.h"
#include "model/batch.h"

namespace edgeflow {

class SenmlDecoder {
 public:
  // Bytes that must be readable after a payload for DecodeInPlace.
  static constexpr size_t kPadding = 64;

  explicit SenmlDecoder(DecodeOptions options);
  ~SenmlDecoder();
  SenmlDecoder(SenmlDecoder&&) noexcept;
  SenmlDecoder& operator=(SenmlDecoder&&) noexcept;

  // Device for records without a base name (replaces default_device).
  void SetDefaultDevice(Symbol device);

  // Decodes one pack, copying it into a padded buffer first.
  DecodeResult Decode(std::string_view payload, TimeMicros now, Batch& out,
                      const RejectFn& on_reject = NoReject());
  // Same, parsing in place when readable >= payload.size() + kPadding.
  DecodeResult DecodeInPlace(std::string_view payload, size_t readable, TimeMicros now, Batch& out,
                             const RejectFn& on_reject = NoReject());

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeflow
