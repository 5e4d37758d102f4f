// The `coap` source against real CoAP datagrams over UDP on 127.0.0.1: each
// test starts the source's libcoap server on a free port and talks to it
// with hand-encoded CoAP messages (RFC 7252 framing), so retransmissions and
// block-wise transfers are exactly controlled.
#include "connectors/coap/coap_source.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

constexpr uint8_t kCon = 0, kNon = 1, kAck = 2;
constexpr uint8_t kGet = 1, kPost = 2, kPut = 3;
constexpr uint16_t kUriPath = 11, kContentFormat = 12, kMaxAge = 14, kBlock1 = 27, kSize1 = 60;

struct Option {
  uint16_t number;
  std::string value;
};

std::string Uint(uint32_t v) {
  std::string out;
  while (v > 0) {
    out.insert(out.begin(), static_cast<char>(v & 0xff));
    v >>= 8;
  }
  return out;
}

void AppendOptionHeaderPart(uint32_t value, uint8_t* nibble, std::string* ext) {
  if (value < 13) {
    *nibble = static_cast<uint8_t>(value);
  } else if (value < 269) {
    *nibble = 13;
    ext->push_back(static_cast<char>(value - 13));
  } else {
    *nibble = 14;
    ext->push_back(static_cast<char>((value - 269) >> 8));
    ext->push_back(static_cast<char>((value - 269) & 0xff));
  }
}

// One CoAP message. `options` must be sorted by number.
std::string Message(uint8_t type, uint8_t code, uint16_t mid, const std::string& path,
                    std::vector<Option> options, const std::string& payload) {
  std::vector<Option> all;
  size_t start = 0;
  while (start <= path.size() && !path.empty()) {
    const size_t slash = path.find('/', start);
    all.push_back({kUriPath, path.substr(start, slash - start)});
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  for (Option& o : options) all.push_back(std::move(o));
  std::stable_sort(all.begin(), all.end(),
                   [](const Option& a, const Option& b) { return a.number < b.number; });
  const std::string token = "\x7a\x7b";
  std::string m;
  m.push_back(static_cast<char>(0x40 | (type << 4) | token.size()));
  m.push_back(static_cast<char>(code));
  m.push_back(static_cast<char>(mid >> 8));
  m.push_back(static_cast<char>(mid & 0xff));
  m += token;
  uint16_t previous = 0;
  for (const Option& o : all) {
    uint8_t delta = 0, length = 0;
    std::string ext_delta, ext_length;
    AppendOptionHeaderPart(o.number - previous, &delta, &ext_delta);
    AppendOptionHeaderPart(static_cast<uint32_t>(o.value.size()), &length, &ext_length);
    m.push_back(static_cast<char>((delta << 4) | length));
    m += ext_delta + ext_length + o.value;
    previous = o.number;
  }
  if (!payload.empty()) m += "\xff" + payload;
  return m;
}

struct Response {
  uint8_t type = 255;
  int code = 0;  // class * 100 + detail
  uint16_t mid = 0;
  std::map<uint16_t, std::string> options;
  std::string payload;
};

Response Parse(const std::string& d) {
  Response r;
  if (d.size() < 4) return r;
  r.type = (static_cast<uint8_t>(d[0]) >> 4) & 3;
  const size_t tkl = static_cast<uint8_t>(d[0]) & 15;
  const uint8_t code = static_cast<uint8_t>(d[1]);
  r.code = (code >> 5) * 100 + (code & 31);
  r.mid = static_cast<uint16_t>((static_cast<uint8_t>(d[2]) << 8) | static_cast<uint8_t>(d[3]));
  size_t i = 4 + tkl;
  uint16_t number = 0;
  while (i < d.size()) {
    const uint8_t b = static_cast<uint8_t>(d[i++]);
    if (b == 0xff) {
      r.payload = d.substr(i);
      break;
    }
    auto ext = [&](uint32_t nibble) -> uint32_t {
      if (nibble == 13) return 13 + static_cast<uint8_t>(d[i++]);
      if (nibble == 14) {
        const uint32_t v = (static_cast<uint8_t>(d[i]) << 8) | static_cast<uint8_t>(d[i + 1]);
        i += 2;
        return 269 + v;
      }
      return nibble;
    };
    number = static_cast<uint16_t>(number + ext(b >> 4));
    const uint32_t length = ext(b & 15);
    r.options[number] = d.substr(i, length);
    i += length;
  }
  return r;
}

uint32_t DecodeUint(const std::string& s) {
  uint32_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

uint16_t FreeUdpPort() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class CoapSourceTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (source_) source_->Stop();
    if (fd_ >= 0) ::close(fd_);
  }

  void Start(const std::string& extra_yaml = "") {
    port_ = FreeUdpPort();
    source_ = h_.BuildSource(CoapSourceDef(),
                             "listen: 127.0.0.1:" + std::to_string(port_) + "\n" + extra_yaml);
    ASSERT_TRUE(source_) << h_.errors();
    const Status s = source_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    timeval timeout{5, 0};  // a lost answer fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }

  Response Exchange(const std::string& datagram) {
    EXPECT_EQ(::send(fd_, datagram.data(), datagram.size(), 0),
              static_cast<ssize_t>(datagram.size()));
    char buf[2048];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    EXPECT_GT(n, 0) << "no answer";
    return Parse(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0));
  }

  Response Post(uint16_t mid, const std::string& path, const std::string& payload,
                std::vector<Option> options = {}, uint8_t type = kCon, uint8_t code = kPost) {
    return Exchange(Message(type, code, mid, path, std::move(options), payload));
  }

  std::vector<Event> Poll() {
    std::vector<Event> events;
    Batch batch;
    while (source_->Poll(batch, 100) == PollResult::kData) {
      for (const Event& e : batch) events.push_back(e);
      batch.Clear();
    }
    return events;
  }

  uint64_t Counter(const std::string& name, const std::string& more = "") {
    return h_.metrics().CounterValue(name, "source=\"coap\"" + more);
  }
  uint64_t Dropped(const std::string& reason) {
    return Counter("dropped", ",reason=\"" + reason + "\"");
  }
  uint64_t Requests(const std::string& code) { return Counter("coap_requests", ",code=\"" + code + "\""); }

  TestHarness h_;
  std::unique_ptr<Source> source_;
  uint16_t port_ = 0;
  int fd_ = -1;
};

const Option kJson{kContentFormat, Uint(50)};
const Option kSenml{kContentFormat, Uint(110)};

TEST_F(CoapSourceTest, ConfirmablePostIsAcknowledgedAndDecoded) {
  Start();
  EXPECT_TRUE(source_->NotifiesWakeup());
  const Response r = Post(0x1234, "telemetry", R"({"device":"d1","temp":21.5})", {kJson});
  EXPECT_EQ(r.type, kAck);  // piggy-backed
  EXPECT_EQ(r.mid, 0x1234);
  EXPECT_EQ(r.code, 204);
  const std::vector<Event> events = Poll();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].device.name(), "d1");
  EXPECT_EQ(events[0].Number(Symbol::Intern("temp")), 21.5);
  EXPECT_EQ(events[0].time, h_.clock().Now());  // no time in the payload: receive time
  EXPECT_EQ(Requests("2.04"), 1u);
  EXPECT_EQ(Counter("coap_bytes_in"), 27u);
}

TEST_F(CoapSourceTest, RetransmissionIsAnsweredAgainButIngestedOnce) {
  Start();
  const std::string datagram =
      Message(kCon, kPost, 77, "telemetry", {kJson}, R"({"device":"d1","n":1})");
  EXPECT_EQ(Exchange(datagram).code, 204);
  EXPECT_EQ(Exchange(datagram).code, 204);
  EXPECT_EQ(Poll().size(), 1u);
  EXPECT_EQ(Counter("coap_duplicates"), 1u);
  EXPECT_EQ(Requests("2.04"), 1u);
  // A new message id is a new message.
  EXPECT_EQ(Post(78, "telemetry", R"({"device":"d1","n":1})", {kJson}).code, 204);
  EXPECT_EQ(Poll().size(), 1u);
}

TEST_F(CoapSourceTest, NonConfirmableSenml) {
  Start();
  const Response r = Post(5, "telemetry",
                          R"([{"bn":"d2/","n":"temp","v":20.5},{"n":"hum","v":40}])", {kSenml}, kNon);
  EXPECT_EQ(r.type, kNon);
  EXPECT_EQ(r.code, 204);
  const std::vector<Event> events = Poll();
  ASSERT_FALSE(events.empty());
  for (const Event& e : events) EXPECT_EQ(e.device.name(), "d2");
}

TEST_F(CoapSourceTest, ConfiguredFormatAppliesWithoutContentFormat) {
  Start("format: senml\n");
  EXPECT_EQ(Post(1, "telemetry", R"([{"bn":"d3/","n":"t","v":1}])").code, 204);
  EXPECT_EQ(Poll().size(), 1u);
  // The option overrides the configured format.
  EXPECT_EQ(Post(2, "telemetry", R"({"device":"d3","t":2})", {kJson}).code, 204);
  EXPECT_EQ(Poll().size(), 1u);
}

TEST_F(CoapSourceTest, MalformedPayloadIs400WithReasonAndDeadLettered) {
  Start();
  const Response r = Post(9, "telemetry", R"({"device":"d1","temp":)", {kJson});
  EXPECT_EQ(r.code, 400);
  EXPECT_NE(r.payload.find("malformed_json"), std::string::npos) << r.payload;
  EXPECT_TRUE(Poll().empty());
  EXPECT_EQ(Dropped("malformed_json"), 1u);
  ASSERT_EQ(h_.dead_letters().rejections.size(), 1u);
  EXPECT_EQ(h_.dead_letters().rejections[0].reason, "malformed_json");
  EXPECT_EQ(Requests("4.00"), 1u);
  // A SenML pack that is valid JSON but not SenML.
  EXPECT_EQ(Post(10, "telemetry", R"({"n":"x"})", {kSenml}).code, 400);
  Poll();
  EXPECT_EQ(Dropped("malformed_senml"), 1u);
}

TEST_F(CoapSourceTest, PartlyBadArrayIsAcceptedAndTheBadRecordDeadLettered) {
  Start();
  const Response r = Post(11, "telemetry", R"([{"device":"d1","t":1},{"t":2}])", {kJson});
  EXPECT_EQ(r.code, 204);
  EXPECT_NE(r.payload.find("1 of 2 records rejected"), std::string::npos) << r.payload;
  EXPECT_EQ(Poll().size(), 1u);
  EXPECT_EQ(Dropped("missing_device"), 1u);
}

TEST_F(CoapSourceTest, UnsupportedContentFormatIs415) {
  Start();
  const Response r = Post(12, "telemetry", "\xa1\x61\x76\x01", {{kContentFormat, Uint(112)}});
  EXPECT_EQ(r.code, 415);
  EXPECT_TRUE(Poll().empty());
  EXPECT_EQ(Dropped("unsupported_content_format"), 1u);
  ASSERT_EQ(h_.dead_letters().rejections.size(), 1u);
  EXPECT_EQ(h_.dead_letters().rejections[0].reason, "unsupported_content_format");
}

TEST_F(CoapSourceTest, UnknownPathIs404AndOtherMethodsAre405) {
  Start();
  EXPECT_EQ(Post(13, "nowhere", R"({"device":"d1","t":1})", {kJson}).code, 404);
  EXPECT_EQ(Post(14, "telemetry", "", {}, kCon, kGet).code, 405);
  EXPECT_TRUE(Poll().empty());
  EXPECT_EQ(Dropped("unknown_path"), 1u);
  EXPECT_EQ(Dropped("method_not_allowed"), 1u);
  EXPECT_EQ(Requests("4.04"), 1u);
  EXPECT_EQ(Requests("4.05"), 1u);
}

TEST_F(CoapSourceTest, PutIsAcceptedLikePost) {
  Start();
  EXPECT_EQ(Post(15, "telemetry", R"({"device":"d1","t":1})", {kJson}, kCon, kPut).code, 204);
  EXPECT_EQ(Poll().size(), 1u);
}

TEST_F(CoapSourceTest, DeviceFromPathWinsOverPayload) {
  Start("resources: [telemetry/+]\ndevice: path[1]\n");
  EXPECT_EQ(Post(16, "telemetry/press-7", R"({"device":"other","t":1})", {kJson}).code, 204);
  // No device in the payload is fine: the path has it.
  EXPECT_EQ(Post(17, "telemetry/press-8", R"({"t":2})", {kJson}).code, 204);
  const std::vector<Event> events = Poll();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].device.name(), "press-7");
  EXPECT_EQ(events[1].device.name(), "press-8");
  EXPECT_EQ(Post(18, "telemetry", R"({"t":2})", {kJson}).code, 404);
}

TEST_F(CoapSourceTest, OversizeBodyIs413WithSize1) {
  Start("max_body: 64B\n");
  const std::string big = R"({"device":"d1","pad":")" + std::string(100, 'x') + R"("})";
  Response r = Post(19, "telemetry", big, {kJson});
  EXPECT_EQ(r.code, 413);
  EXPECT_EQ(DecodeUint(r.options[kSize1]), 64u);
  EXPECT_TRUE(Poll().empty());
  EXPECT_EQ(Dropped("too_large"), 1u);
}

std::string Block(uint32_t num, bool more, uint8_t szx) {
  return Uint((num << 4) | (more ? 8u : 0u) | szx);
}

TEST_F(CoapSourceTest, Block1TransferIsAssembled) {
  Start();
  const std::string body = R"({"device":"blocky","a":1,"b":2,"c":3})";  // 38 bytes: 16+16+6
  Response r = Post(20, "telemetry", body.substr(0, 16), {kJson, {kBlock1, Block(0, true, 0)}});
  EXPECT_EQ(r.code, 231);
  r = Post(21, "telemetry", body.substr(16, 16), {kJson, {kBlock1, Block(1, true, 0)}});
  EXPECT_EQ(r.code, 231);
  EXPECT_TRUE(Poll().empty());  // nothing before the last block
  r = Post(22, "telemetry", body.substr(32), {kJson, {kBlock1, Block(2, false, 0)}});
  EXPECT_EQ(r.code, 204);
  const std::vector<Event> events = Poll();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].device.name(), "blocky");
  EXPECT_EQ(events[0].Number(Symbol::Intern("c")), 3.0);
}

TEST_F(CoapSourceTest, Block1OutOfOrderIs408) {
  Start();
  const std::string body = R"({"device":"blocky","a":1,"b":2,"c":3})";
  EXPECT_EQ(Post(23, "telemetry", body.substr(0, 16), {kJson, {kBlock1, Block(0, true, 0)}}).code,
            231);
  EXPECT_EQ(Post(24, "telemetry", body.substr(32), {kJson, {kBlock1, Block(2, false, 0)}}).code,
            408);
  EXPECT_TRUE(Poll().empty());
  EXPECT_EQ(Dropped("incomplete_body"), 1u);
}

TEST_F(CoapSourceTest, Block1OverMaxBodyIs413) {
  Start("max_body: 20B\n");
  EXPECT_EQ(Post(25, "telemetry", std::string(16, ' '), {kJson, {kBlock1, Block(0, true, 0)}}).code,
            231);
  EXPECT_EQ(Post(26, "telemetry", std::string(16, ' '), {kJson, {kBlock1, Block(1, true, 0)}}).code,
            413);
  // Size1 announcing too much is refused at the first block.
  EXPECT_EQ(Post(27, "telemetry", std::string(16, ' '),
                 {kJson, {kBlock1, Block(0, true, 0)}, {kSize1, Uint(1000)}})
                .code,
            413);
  EXPECT_TRUE(Poll().empty());
  EXPECT_EQ(Dropped("too_large"), 2u);
}

TEST_F(CoapSourceTest, FullInboxIs503WithMaxAge) {
  // 1 byte: the inbox takes one message when empty, then refuses.
  Start("queue_bytes: 1B\nretry_after: 7s\n");
  EXPECT_EQ(Post(28, "telemetry", R"({"device":"d1","t":1})", {kJson}).code, 204);
  Response busy = Post(29, "telemetry", R"({"device":"d1","t":2})", {kJson});
  EXPECT_EQ(busy.code, 503);
  EXPECT_EQ(DecodeUint(busy.options[kMaxAge]), 7u);
  EXPECT_EQ(Dropped("busy"), 1u);
  EXPECT_EQ(Poll().size(), 1u);
  // Drained: taken again.
  EXPECT_EQ(Post(30, "telemetry", R"({"device":"d1","t":3})", {kJson}).code, 204);
  EXPECT_EQ(Poll().size(), 1u);
}

TEST_F(CoapSourceTest, PortInUseFailsStart) {
  Start();
  auto second = h_.BuildSource(CoapSourceDef(), "listen: 127.0.0.1:" + std::to_string(port_) + "\n");
  ASSERT_TRUE(second);
  const Status s = second->Start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("cannot listen"), std::string::npos) << s.ToString();
}

TEST_F(CoapSourceTest, StopIsIdempotentAndPollAfterStopIsEmpty) {
  Start();
  EXPECT_EQ(Post(31, "telemetry", R"({"device":"d1","t":1})", {kJson}).code, 204);
  source_->Stop();
  source_->Stop();
  // What was taken before Stop is still handed out.
  EXPECT_EQ(Poll().size(), 1u);
}

}  // namespace
}  // namespace edgeflow
