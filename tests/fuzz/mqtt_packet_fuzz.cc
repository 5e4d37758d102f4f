// Fuzzes what the MQTT client reads from a broker: frame headers and every
// packet body it parses, in both protocol versions. A malformed packet must
// be refused (false / kMalformed), never read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connectors/mqtt/mqtt_packet.h"

using namespace edgeflow::mqtt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Version version = (data[0] & 1) ? Version::k5 : Version::k311;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  // Walk the input as a stream of frames, as the client's read loop does.
  while (!bytes.empty()) {
    FrameHeader h;
    if (ParseFrameHeader(bytes, &h) != FrameStatus::kComplete) break;
    if (bytes.size() < h.total()) break;
    const std::string_view body = bytes.substr(h.header_size, h.remaining);
    switch (h.type) {
      case kPublish: {
        PublishPacket p;
        if (ParsePublish(version, h.flags, body, &p)) {
          // A parsed packet's views lie inside the body.
          if (p.topic.data() < body.data() || p.payload.data() + p.payload.size() > body.data() + body.size()) {
            __builtin_trap();
          }
        }
        break;
      }
      case kConnack: {
        Connack c;
        ParseConnack(version, body, &c);
        break;
      }
      case kSuback: {
        Suback s;
        ParseSuback(version, body, &s);
        break;
      }
      case kDisconnect: ParseDisconnectReason(body); break;
      default: {
        Ack a;
        ParseAck(body, &a);
        break;
      }
    }
    bytes.remove_prefix(h.total());
  }
  return 0;
}
