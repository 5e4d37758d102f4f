// MQTT 3.1.1 and 5.0 packets: the framing and the packets a client sends and
// receives, as pure functions over bytes (no sockets), so they are unit
// tested and fuzzed alone.
//
// Framing: a fixed header byte (type << 4 | flags), the remaining length as a
// variable byte integer (1 to 4 bytes, at most 268,435,455), then the body.
// MQTT 5 adds properties (a length-prefixed list) to most packets; this
// client sends the few it needs and skips the rest when reading.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgeflow::mqtt {

enum class Version : uint8_t { k311 = 4, k5 = 5 };

enum PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

inline constexpr uint32_t kMaxRemainingLength = 268'435'455;

// ---- framing ----

enum class FrameStatus { kComplete, kNeedMore, kMalformed };

struct FrameHeader {
  uint8_t type = 0;            // PacketType
  uint8_t flags = 0;           // low nibble of the first byte
  uint32_t remaining = 0;      // body length
  uint32_t header_size = 0;    // 2..5 bytes
  size_t total() const { return header_size + remaining; }
};

// Reads a fixed header at the start of `bytes`. kNeedMore when the header
// itself is incomplete (the body may still be missing after kComplete).
FrameStatus ParseFrameHeader(std::string_view bytes, FrameHeader* out);

// Appends a fixed header for a body of `remaining` bytes.
void AppendFixedHeader(uint8_t type, uint8_t flags, uint32_t remaining, std::string& out);

// ---- what a client sends ----

struct ConnectOptions {
  Version version = Version::k5;
  std::string client_id;
  bool clean_start = true;
  uint16_t keepalive_seconds = 30;
  std::optional<std::string> username;
  std::optional<std::string> password;
  uint32_t session_expiry_seconds = 0;  // MQTT 5 only
  uint16_t receive_maximum = 0;         // MQTT 5 only; 0: not sent (65535)
};
void AppendConnect(const ConnectOptions& options, std::string& out);

struct Subscription {
  std::string filter;
  uint8_t qos = 1;
};
void AppendSubscribe(Version version, uint16_t packet_id, const std::vector<Subscription>& subs,
                     std::string& out);

struct PublishHeader {
  std::string_view topic;
  uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  uint16_t packet_id = 0;  // QoS 1 and 2 only
  uint32_t message_expiry_seconds = 0;  // MQTT 5: the broker discards it after (0: never)
};
void AppendPublish(Version version, const PublishHeader& header, std::string_view payload,
                   std::string& out);

// PUBACK, PUBREC, PUBREL or PUBCOMP for `packet_id` with reason "success".
void AppendAck(uint8_t type, uint16_t packet_id, std::string& out);
void AppendPingreq(std::string& out);
void AppendDisconnect(Version version, std::string& out);

// ---- what a client receives (body = the bytes after the fixed header) ----

struct Connack {
  bool session_present = false;
  uint8_t reason = 0;  // 0 = accepted (3.1.1 return code or 5 reason code)
  // MQTT 5 properties that change what the client may do.
  std::optional<uint16_t> receive_maximum;
  std::optional<uint8_t> maximum_qos;
  std::optional<uint32_t> maximum_packet_size;
  std::optional<uint16_t> server_keepalive;
  std::string assigned_client_id;
  std::string reason_string;
};
bool ParseConnack(Version version, std::string_view body, Connack* out);
// A readable name for a CONNACK refusal ("not authorized", ...).
std::string_view ConnackReasonText(Version version, uint8_t reason);

struct PublishPacket {
  std::string_view topic;
  std::string_view payload;
  uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  uint16_t packet_id = 0;
};
// False when the packet is malformed (bad QoS, truncated, bad properties).
bool ParsePublish(Version version, uint8_t flags, std::string_view body, PublishPacket* out);

struct Ack {
  uint16_t packet_id = 0;
  uint8_t reason = 0;  // MQTT 5; 0 when absent
};
// PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK.
bool ParseAck(std::string_view body, Ack* out);

struct Suback {
  uint16_t packet_id = 0;
  std::vector<uint8_t> reasons;  // granted QoS (0..2) or failure (>= 0x80)
};
bool ParseSuback(Version version, std::string_view body, Suback* out);

// A server DISCONNECT (MQTT 5): its reason code (0 when absent).
uint8_t ParseDisconnectReason(std::string_view body);

// ---- small pieces shared with the tests ----

// Variable byte integer: appends / reads (false when malformed or short).
void AppendVarInt(uint32_t value, std::string& out);
bool ReadVarInt(std::string_view bytes, size_t* pos, uint32_t* value);

}  // namespace edgeflow::mqtt
