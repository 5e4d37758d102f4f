// The receiver's acknowledgement of committed records: a small JSON object
// `{"v":1,"node":"press-7","ranges":[[1001,1500]]}` (inclusive seq ranges),
// sent on MQTT `<prefix>/<node>/ack` or as the body of an HTTP 200.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace edgeflow {

struct AckMessage {
  std::string node;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;  // inclusive
};

std::string EncodeAck(const AckMessage& ack);
// Fails (InvalidData) on malformed JSON, a missing node or bad ranges;
// unknown keys are ignored (forward compatibility).
Result<AckMessage> ParseAck(std::string_view text);

}  // namespace edgeflow
