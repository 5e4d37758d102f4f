#include "connectors/mqtt/mqtt_packet.h"

namespace edgeflow::mqtt {
namespace {

void AppendU16(uint16_t v, std::string& out) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}

void AppendU32(uint32_t v, std::string& out) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

void AppendString(std::string_view s, std::string& out) {
  AppendU16(static_cast<uint16_t>(s.size()), out);
  out.append(s);
}

// A cursor over a packet body; every read checks the bounds.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  size_t remaining() const { return bytes_.size() - pos_; }
  std::string_view rest() const { return bytes_.substr(pos_); }

  bool U8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = static_cast<uint8_t>(bytes_[pos_++]);
    return true;
  }
  bool U16(uint16_t* v) {
    if (remaining() < 2) return false;
    *v = static_cast<uint16_t>((static_cast<uint8_t>(bytes_[pos_]) << 8) |
                               static_cast<uint8_t>(bytes_[pos_ + 1]));
    pos_ += 2;
    return true;
  }
  bool U32(uint32_t* v) {
    if (remaining() < 4) return false;
    uint32_t x = 0;
    for (int i = 0; i < 4; ++i) x = (x << 8) | static_cast<uint8_t>(bytes_[pos_ + i]);
    pos_ += 4;
    *v = x;
    return true;
  }
  bool VarInt(uint32_t* v) { return ReadVarInt(bytes_, &pos_, v); }
  bool Bytes(size_t n, std::string_view* v) {
    if (remaining() < n) return false;
    *v = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool String(std::string_view* v) {
    uint16_t n = 0;
    return U16(&n) && Bytes(n, v);
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

// One MQTT 5 property, with its value in the field its type uses.
struct Property {
  uint32_t id = 0;
  uint32_t number = 0;
  std::string_view text;
};

// Reads a property list (length-prefixed) and calls `visit` for each one.
// False when the list is malformed or has an unknown property id.
template <typename F>
bool ReadProperties(Reader& r, F&& visit) {
  uint32_t length = 0;
  std::string_view list;
  if (!r.VarInt(&length) || !r.Bytes(length, &list)) return false;
  Reader p(list);
  while (p.remaining() > 0) {
    Property prop;
    if (!p.VarInt(&prop.id)) return false;
    bool ok = true;
    switch (prop.id) {
      case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2A: {
        uint8_t b = 0;
        ok = p.U8(&b);
        prop.number = b;
        break;
      }
      case 0x13: case 0x21: case 0x22: case 0x23: {
        uint16_t v = 0;
        ok = p.U16(&v);
        prop.number = v;
        break;
      }
      case 0x02: case 0x11: case 0x18: case 0x27: ok = p.U32(&prop.number); break;
      case 0x0B: ok = p.VarInt(&prop.number); break;
      case 0x03: case 0x08: case 0x09: case 0x12: case 0x15: case 0x16: case 0x1A: case 0x1C:
      case 0x1F: ok = p.String(&prop.text); break;
      case 0x26: {  // user property: a string pair
        std::string_view value;
        ok = p.String(&prop.text) && p.String(&value);
        break;
      }
      default: return false;
    }
    if (!ok) return false;
    visit(prop);
  }
  return true;
}

}  // namespace

void AppendVarInt(uint32_t value, std::string& out) {
  do {
    uint8_t byte = value & 0x7F;
    value >>= 7;
    if (value > 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (value > 0);
}

bool ReadVarInt(std::string_view bytes, size_t* pos, uint32_t* value) {
  uint32_t result = 0;
  for (int i = 0; i < 4; ++i) {
    if (*pos >= bytes.size()) return false;
    const auto byte = static_cast<uint8_t>(bytes[(*pos)++]);
    result |= static_cast<uint32_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;  // a fifth continuation byte: malformed
}

FrameStatus ParseFrameHeader(std::string_view bytes, FrameHeader* out) {
  if (bytes.size() < 2) return FrameStatus::kNeedMore;
  const auto first = static_cast<uint8_t>(bytes[0]);
  out->type = first >> 4;
  out->flags = first & 0x0F;
  if (out->type == 0) return FrameStatus::kMalformed;
  uint32_t remaining = 0;
  for (int i = 0; i < 4; ++i) {
    if (static_cast<size_t>(1 + i) >= bytes.size()) return FrameStatus::kNeedMore;
    const auto byte = static_cast<uint8_t>(bytes[1 + i]);
    remaining |= static_cast<uint32_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) {
      out->remaining = remaining;
      out->header_size = static_cast<uint32_t>(2 + i);
      return FrameStatus::kComplete;
    }
  }
  return FrameStatus::kMalformed;
}

void AppendFixedHeader(uint8_t type, uint8_t flags, uint32_t remaining, std::string& out) {
  out.push_back(static_cast<char>((type << 4) | (flags & 0x0F)));
  AppendVarInt(remaining, out);
}

void AppendConnect(const ConnectOptions& o, std::string& out) {
  const bool v5 = o.version == Version::k5;
  // MQTT 3.1.1 allows a password only with a user name.
  const bool has_user = o.username.has_value() || (!v5 && o.password.has_value());
  std::string body;
  AppendString("MQTT", body);
  body.push_back(static_cast<char>(o.version));
  uint8_t flags = 0;
  if (has_user) flags |= 0x80;
  if (o.password) flags |= 0x40;
  if (o.clean_start) flags |= 0x02;
  body.push_back(static_cast<char>(flags));
  AppendU16(o.keepalive_seconds, body);
  if (v5) {
    std::string props;
    if (o.session_expiry_seconds > 0) {
      props.push_back(0x11);
      AppendU32(o.session_expiry_seconds, props);
    }
    if (o.receive_maximum > 0) {
      props.push_back(0x21);
      AppendU16(o.receive_maximum, props);
    }
    AppendVarInt(static_cast<uint32_t>(props.size()), body);
    body += props;
  }
  AppendString(o.client_id, body);
  if (has_user) AppendString(o.username ? *o.username : std::string(), body);
  if (o.password) AppendString(*o.password, body);
  AppendFixedHeader(kConnect, 0, static_cast<uint32_t>(body.size()), out);
  out += body;
}

void AppendSubscribe(Version version, uint16_t packet_id, const std::vector<Subscription>& subs,
                     std::string& out) {
  std::string body;
  AppendU16(packet_id, body);
  if (version == Version::k5) body.push_back(0);  // no properties
  for (const Subscription& s : subs) {
    AppendString(s.filter, body);
    body.push_back(static_cast<char>(s.qos & 0x03));
  }
  AppendFixedHeader(kSubscribe, 0x02, static_cast<uint32_t>(body.size()), out);
  out += body;
}

void AppendPublish(Version version, const PublishHeader& h, std::string_view payload,
                   std::string& out) {
  const bool expiry = version == Version::k5 && h.message_expiry_seconds > 0;
  const size_t remaining = 2 + h.topic.size() + (h.qos > 0 ? 2 : 0) +
                           (version == Version::k5 ? 1 : 0) + (expiry ? 5 : 0) + payload.size();
  uint8_t flags = static_cast<uint8_t>((h.qos & 0x03) << 1);
  if (h.dup) flags |= 0x08;
  if (h.retain) flags |= 0x01;
  AppendFixedHeader(kPublish, flags, static_cast<uint32_t>(remaining), out);
  AppendString(h.topic, out);
  if (h.qos > 0) AppendU16(h.packet_id, out);
  if (expiry) {
    out.push_back(5);     // property length
    out.push_back(0x02);  // message expiry interval
    AppendU32(h.message_expiry_seconds, out);
  } else if (version == Version::k5) {
    out.push_back(0);  // no properties
  }
  out.append(payload);
}

void AppendAck(uint8_t type, uint16_t packet_id, std::string& out) {
  // PUBREL's fixed-header flags are 0010 (reserved); the others' 0000.
  AppendFixedHeader(type, type == kPubrel ? 0x02 : 0x00, 2, out);
  AppendU16(packet_id, out);
}

void AppendPingreq(std::string& out) { AppendFixedHeader(kPingreq, 0, 0, out); }

void AppendDisconnect(Version, std::string& out) {
  // Remaining length 0: "normal disconnection" in MQTT 5, the only form in 3.1.1.
  AppendFixedHeader(kDisconnect, 0, 0, out);
}

bool ParseConnack(Version version, std::string_view body, Connack* out) {
  Reader r(body);
  uint8_t flags = 0;
  if (!r.U8(&flags) || !r.U8(&out->reason)) return false;
  out->session_present = (flags & 0x01) != 0;
  if (version != Version::k5 || r.remaining() == 0) return true;
  return ReadProperties(r, [&](const Property& p) {
    switch (p.id) {
      case 0x21: out->receive_maximum = static_cast<uint16_t>(p.number); break;
      case 0x24: out->maximum_qos = static_cast<uint8_t>(p.number); break;
      case 0x27: out->maximum_packet_size = p.number; break;
      case 0x13: out->server_keepalive = static_cast<uint16_t>(p.number); break;
      case 0x12: out->assigned_client_id = std::string(p.text); break;
      case 0x1F: out->reason_string = std::string(p.text); break;
      default: break;
    }
  });
}

std::string_view ConnackReasonText(Version version, uint8_t reason) {
  if (version != Version::k5) {
    switch (reason) {
      case 0: return "accepted";
      case 1: return "unacceptable protocol version";
      case 2: return "client identifier rejected";
      case 3: return "server unavailable";
      case 4: return "bad user name or password";
      case 5: return "not authorized";
      default: return "unknown return code";
    }
  }
  switch (reason) {
    case 0x00: return "success";
    case 0x80: return "unspecified error";
    case 0x81: return "malformed packet";
    case 0x82: return "protocol error";
    case 0x84: return "unsupported protocol version";
    case 0x85: return "client identifier not valid";
    case 0x86: return "bad user name or password";
    case 0x87: return "not authorized";
    case 0x88: return "server unavailable";
    case 0x89: return "server busy";
    case 0x8A: return "banned";
    case 0x8C: return "bad authentication method";
    case 0x95: return "packet too large";
    case 0x97: return "quota exceeded";
    case 0x9F: return "connection rate exceeded";
    default: return "refused";
  }
}

bool ParsePublish(Version version, uint8_t flags, std::string_view body, PublishPacket* out) {
  out->qos = (flags >> 1) & 0x03;
  out->retain = (flags & 0x01) != 0;
  out->dup = (flags & 0x08) != 0;
  if (out->qos == 3) return false;
  Reader r(body);
  if (!r.String(&out->topic)) return false;
  out->packet_id = 0;
  if (out->qos > 0 && (!r.U16(&out->packet_id) || out->packet_id == 0)) return false;
  if (version == Version::k5) {
    bool alias = false;
    if (!ReadProperties(r, [&](const Property& p) { alias |= p.id == 0x23; })) return false;
    // This client never allows topic aliases (it sends no Topic Alias
    // Maximum), so a server must not use them.
    if (alias) return false;
  }
  if (out->topic.empty()) return false;
  out->payload = r.rest();
  return true;
}

bool ParseAck(std::string_view body, Ack* out) {
  Reader r(body);
  if (!r.U16(&out->packet_id)) return false;
  out->reason = 0;
  if (r.remaining() > 0) r.U8(&out->reason);
  return true;
}

bool ParseSuback(Version version, std::string_view body, Suback* out) {
  Reader r(body);
  if (!r.U16(&out->packet_id)) return false;
  if (version == Version::k5 && !ReadProperties(r, [](const Property&) {})) return false;
  out->reasons.clear();
  uint8_t code = 0;
  while (r.U8(&code)) out->reasons.push_back(code);
  return !out->reasons.empty();
}

uint8_t ParseDisconnectReason(std::string_view body) {
  return body.empty() ? 0 : static_cast<uint8_t>(body[0]);
}

}  // namespace edgeflow::mqtt
