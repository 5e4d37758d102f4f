#include "forward/ack_message.h"

#include <nlohmann/json.hpp>

namespace edgeflow {

std::string EncodeAck(const AckMessage& ack) {
  nlohmann::json j;
  j["v"] = 1;
  j["node"] = ack.node;
  j["ranges"] = nlohmann::json::array();
  for (const auto& [first, last] : ack.ranges) j["ranges"].push_back({first, last});
  return j.dump();
}

Result<AckMessage> ParseAck(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidData("ack is not a JSON object");
  AckMessage ack;
  const auto node = j.find("node");
  if (node == j.end() || !node->is_string()) return InvalidData("ack has no \"node\" string");
  ack.node = node->get<std::string>();
  const auto ranges = j.find("ranges");
  if (ranges == j.end() || !ranges->is_array()) return InvalidData("ack has no \"ranges\" array");
  for (const nlohmann::json& r : *ranges) {
    if (!r.is_array() || r.size() != 2 || !r[0].is_number_unsigned() || !r[1].is_number_unsigned()) {
      return InvalidData("ack range is not [first, last] of unsigned integers");
    }
    const auto first = r[0].get<uint64_t>(), last = r[1].get<uint64_t>();
    if (first > last) return InvalidData("ack range has first > last");
    ack.ranges.emplace_back(first, last);
  }
  return ack;
}

}  // namespace edgeflow
