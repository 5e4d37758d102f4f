// SourceRejects: what every source does with a record it rejects — count it
// in `dropped{reason=...}` (one counter per reason, created on first use)
// and hand it to the dead letters with an excerpt — and the count of fields
// dropped from accepted records. Thread-safe: a source's I/O thread may
// count too.
#pragma once

#include <array>
#include <mutex>
#include <string_view>

#include "connectors/codec/decode_options.h"
#include "pipeline/component.h"

namespace edgeflow {

class SourceRejects {
 public:
  explicit SourceRejects(const ComponentContext& ctx) : ctx_(ctx) {}

  // The dropped{reason} counter of a decode reason (null without metrics).
  Counter* DroppedCounter(DecodeReason reason);
  // Counts and dead-letters a record rejected for `reason`.
  void Reject(DecodeReason reason, std::string_view excerpt);
  // Same for a source's own reason (`unknown_topic`) and its counter.
  void Reject(std::string_view reason, Counter* counter, std::string_view excerpt);
  // fields_dropped{reason="type_mismatch"} (on_type_mismatch: drop_field).
  void AddFieldsDropped(uint32_t n);

 private:
  const ComponentContext& ctx_;
  std::mutex mutex_;
  std::array<Counter*, kDecodeReasonCount> dropped_{};
  Counter* fields_dropped_ = nullptr;
};

}  // namespace edgeflow
