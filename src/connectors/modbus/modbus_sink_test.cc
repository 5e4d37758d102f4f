#include "connectors/modbus/modbus_sink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

// A port on 127.0.0.1 that is bound but not listening: connections to it
// are refused, and nobody else can take it while the test runs.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

uint64_t Value(TestHarness& h, const std::string& name, const std::string& labels) {
  return h.metrics().CounterValue(name, "sink=\"modbus\"" + labels);
}

TEST(ModbusSinkTest, EveryWriteIsAccountedForWhenTheDeviceIsDown) {
  RefusingPort port;
  ASSERT_NE(port.port(), 0);
  TestHarness h;
  auto sink = h.BuildSink(ModbusSinkDef(), "url: tcp://127.0.0.1:" + std::to_string(port.port()) +
                                               "\n"
                                               "queue_size: 2\nretries: 0\nbackoff: 10s\n"
                                               "drain_timeout: 1s\ntimeout: 200ms\n"
                                               "writes: [{field: sp, address: 1}]\n");
  ASSERT_TRUE(sink) << h.errors();
  ASSERT_TRUE(sink->Open().ok());
  Batch batch;
  for (int i = 0; i < 6; ++i) {
    Event& e = batch.Append();
    e.device = Symbol::Intern("d");
    e.SetDouble(Symbol::Intern("sp"), i);
  }
  Event& text = batch.Append();  // not a number: refused before queueing
  text.SetString(Symbol::Intern("sp"), "high");
  Event& big = batch.Append();  // out of uint16 range
  big.SetDouble(Symbol::Intern("sp"), 70000);
  Event& other = batch.Append();  // no field to write
  other.SetDouble(Symbol::Intern("x"), 1);
  sink->Write(batch);
  sink->Close();  // must not wait out the 10s backoff

  EXPECT_EQ(Value(h, "dropped", ",reason=\"bad_value\""), 2u);
  const uint64_t queue_full = Value(h, "dropped", ",reason=\"queue_full\"");
  const uint64_t failed = Value(h, "dropped", ",reason=\"write_failed\"");
  // The queue holds 2 and the writer holds at most 2 more (one failed, one
  // waiting), so some were dropped as the oldest; none was lost silently.
  EXPECT_GE(queue_full, 2u);
  EXPECT_EQ(queue_full + failed, 6u);
  EXPECT_EQ(Value(h, "modbus_writes", ",result=\"ok\""), 0u);
  EXPECT_GE(Value(h, "errors", ",reason=\"connection_refused\""), 1u);
}

}  // namespace
}  // namespace edgeflow
