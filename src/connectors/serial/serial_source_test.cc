#include "connectors/serial/serial_source.h"

#include <gtest/gtest.h>
#include <pty.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

// A pseudo-terminal pair; the source opens the slave side through a symlink
// (like /dev/serial/by-id/...), the test writes to the master side.
class Pty {
 public:
  Pty() {
    char name[256] = {};
    if (openpty(&master_, &slave_, name, nullptr, nullptr) != 0) return;
    slave_path_ = name;
    ::close(slave_);  // only the source holds the slave open
    slave_ = -1;
  }
  ~Pty() { Close(); }
  bool ok() const { return master_ >= 0; }
  const std::string& slave_path() const { return slave_path_; }
  void Write(const std::string& bytes) {
    ASSERT_EQ(::write(master_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // The device goes away: the slave side sees a hang-up.
  void Close() {
    if (master_ >= 0) ::close(master_);
    master_ = -1;
  }

 private:
  int master_ = -1;
  int slave_ = -1;
  std::string slave_path_;
};

class SerialSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "serial_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    link_ = dir_ + "/ttyTEST";
  }
  void TearDown() override {
    ::unlink(link_.c_str());
    ::rmdir(dir_.c_str());
  }

  void PointLinkAt(const std::string& target) {
    ::unlink(link_.c_str());
    ASSERT_EQ(::symlink(target.c_str(), link_.c_str()), 0);
  }

  std::unique_ptr<Source> Start(const std::string& extra) {
    auto source = h_.BuildSource(SerialSourceDef(), "device: " + link_ + "\n" + extra);
    EXPECT_TRUE(source) << h_.errors();
    if (!source) return nullptr;
    EXPECT_TRUE(source->Start().ok());
    return source;
  }

  // Polls until `want` events arrived or a generous wall-clock limit passed
  // (pty data reaches the slave side asynchronously).
  std::vector<Event> PollFor(Source& source, size_t want) {
    std::vector<Event> events;
    Batch batch;
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (events.size() < want && std::chrono::steady_clock::now() < limit) {
      batch.Clear();
      if (source.Poll(batch, 100) == PollResult::kIdle) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      for (const Event& e : batch) events.push_back(e);
    }
    return events;
  }

  // Polls a few times, to let pending input (or a hang-up) be seen.
  size_t PollSome(Source& source, int times = 50) {
    size_t n = 0;
    Batch batch;
    for (int i = 0; i < times; ++i) {
      batch.Clear();
      source.Poll(batch, 100);
      n += batch.size();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return n;
  }

  uint64_t Dropped(const std::string& reason) {
    return h_.metrics().CounterValue("dropped", "source=\"serial\",reason=\"" + reason + "\"");
  }
  uint64_t Reopens() { return h_.metrics().CounterValue("reopens", "source=\"serial\""); }

  static double Number(const Event& e, const char* field) {
    return e.Number(Symbol::Intern(field)).value_or(-1e9);
  }

  TestHarness h_;
  std::string dir_;
  std::string link_;
};

TEST_F(SerialSourceTest, KvLinesSplitAcrossReadsWithCrlf) {
  Pty pty;
  ASSERT_TRUE(pty.ok());
  PointLinkAt(pty.slave_path());
  auto source = Start("format: kv\nline_ending: crlf\ndefault_device: station-1\n");
  ASSERT_TRUE(source);
  pty.Write("temp=21.5 hu");
  EXPECT_EQ(PollSome(*source, 5), 0u);  // half a line: nothing yet
  pty.Write("m=40\r\ntemp=22");
  pty.Write("\r\n");
  std::vector<Event> events = PollFor(*source, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].device.name(), "station-1");
  EXPECT_EQ(Number(events[0], "temp"), 21.5);
  EXPECT_EQ(Number(events[0], "hum"), 40);
  EXPECT_EQ(Number(events[1], "temp"), 22);
  // Serial devices send no time: the receive time (the harness clock).
  EXPECT_EQ(events[0].time, h_.clock().Now());
}

TEST_F(SerialSourceTest, DeviceIdDefaultsToTheDeviceFileName) {
  Pty pty;
  ASSERT_TRUE(pty.ok());
  PointLinkAt(pty.slave_path());
  auto source = Start("format: json\n");
  ASSERT_TRUE(source);
  pty.Write("{\"temp\": 3.5}\n{\"device\": \"other\", \"temp\": 4}\n");
  std::vector<Event> events = PollFor(*source, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].device.name(), "ttyTEST");
  EXPECT_EQ(Number(events[0], "temp"), 3.5);
  EXPECT_EQ(events[1].device.name(), "other");  // the line's own device wins
}

TEST_F(SerialSourceTest, CsvWithColumnsAndNoTimeColumn) {
  Pty pty;
  ASSERT_TRUE(pty.ok());
  PointLinkAt(pty.slave_path());
  auto source = Start("format: csv\ncolumns: [temp, hum]\n");
  ASSERT_TRUE(source);
  pty.Write("21.5,40\n1,2,3\n22,41\n");
  std::vector<Event> events = PollFor(*source, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(Number(events[1], "hum"), 41);
  EXPECT_EQ(Dropped("malformed_csv"), 1u);
}

TEST_F(SerialSourceTest, OverlongLineIsRejectedAndTheNextLineIsRead) {
  Pty pty;
  ASSERT_TRUE(pty.ok());
  PointLinkAt(pty.slave_path());
  auto source = Start("format: kv\nmax_line: 16B\n");
  ASSERT_TRUE(source);
  pty.Write("a=1\n" + std::string(40, 'x') + "\nb=2\n");
  std::vector<Event> events = PollFor(*source, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(Number(events[0], "a"), 1);
  EXPECT_EQ(Number(events[1], "b"), 2);
  EXPECT_EQ(Dropped("too_large"), 1u);
  ASSERT_EQ(h_.dead_letters().rejections.size(), 1u);
  EXPECT_EQ(h_.dead_letters().rejections[0].reason, "too_large");
}

TEST_F(SerialSourceTest, InvalidUtf8AndMalformedLinesAreCountedAndSkipped) {
  Pty pty;
  ASSERT_TRUE(pty.ok());
  PointLinkAt(pty.slave_path());
  auto source = Start("format: kv\n");
  ASSERT_TRUE(source);
  pty.Write("a=\xff\xfe\nnot kv\nb=2\n");
  std::vector<Event> events = PollFor(*source, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Number(events[0], "b"), 2);
  EXPECT_EQ(Dropped("invalid_utf8"), 1u);
  EXPECT_EQ(Dropped("malformed_kv"), 1u);
}

TEST_F(SerialSourceTest, ReopensAfterTheDeviceIsRemovedAndRecreated) {
  auto pty = std::make_unique<Pty>();
  ASSERT_TRUE(pty->ok());
  PointLinkAt(pty->slave_path());
  auto source = Start("format: kv\nreopen_interval: 1s\n");
  ASSERT_TRUE(source);
  pty->Write("n=1\n");
  ASSERT_EQ(PollFor(*source, 1).size(), 1u);

  pty->Write("partial=");  // never completed: the device goes away
  PollSome(*source, 5);
  pty.reset();  // hang-up
  ::unlink(link_.c_str());
  // The hang-up is seen on a following poll (bounded wait; not a timing assertion).
  const auto errors = [this] { return h_.metrics().CounterValue("errors", "source=\"serial\""); };
  for (int i = 0; i < 10000 && errors() == 0; ++i) EXPECT_EQ(PollSome(*source, 1), 0u);
  EXPECT_EQ(PollSome(*source), 0u);
  EXPECT_EQ(errors(), 1u);  // the loss, counted once

  // The device is back (a new pty under the same name); the source waits
  // out reopen_interval on its clock before trying again.
  auto again = std::make_unique<Pty>();
  ASSERT_TRUE(again->ok());
  PointLinkAt(again->slave_path());
  EXPECT_EQ(PollSome(*source, 5), 0u);
  EXPECT_EQ(Reopens(), 0u);
  h_.clock().Advance(2 * kMicrosPerSecond);
  PollSome(*source, 1);
  EXPECT_EQ(Reopens(), 1u);
  again->Write("n=2\n");
  std::vector<Event> events = PollFor(*source, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Number(events[0], "n"), 2);
  EXPECT_EQ(events[0].Find(Symbol::Intern("partial")), nullptr);  // the lost partial line is gone
  EXPECT_EQ(Dropped("malformed_kv"), 0u);
}

TEST_F(SerialSourceTest, AbsentAtStartIsNotAnErrorAndIsOpenedWhenItAppears) {
  auto source = Start("format: kv\nreopen_interval: 100ms\n");
  ASSERT_TRUE(source);
  EXPECT_EQ(PollSome(*source, 3), 0u);
  Pty pty;
  ASSERT_TRUE(pty.ok());
  PointLinkAt(pty.slave_path());
  h_.clock().Advance(kMicrosPerSecond);
  PollSome(*source, 1);
  pty.Write("up=1\n");
  std::vector<Event> events = PollFor(*source, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Number(events[0], "up"), 1);
  EXPECT_EQ(Reopens(), 0u);  // a first open, not a reopen
}

TEST_F(SerialSourceTest, RejectsBadSettings) {
  EXPECT_FALSE(h_.BuildSource(SerialSourceDef(), "device: /dev/ttyS0\nbaud: 12345\n"));
  EXPECT_NE(h_.errors().find("unsupported baud rate"), std::string::npos);
  TestHarness h2;
  EXPECT_FALSE(h2.BuildSource(SerialSourceDef(), "device: /dev/ttyS0\nformat: csv\n"));
  EXPECT_NE(h2.errors().find("needs `columns`"), std::string::npos);
  TestHarness h3;
  EXPECT_FALSE(h3.BuildSource(SerialSourceDef(), "device: /dev/ttyS0\nparity: mark\n"));
  TestHarness h4;
  EXPECT_FALSE(h4.BuildSource(SerialSourceDef(), "device: /dev/ttyS0\nformat: raw\n"));
  TestHarness h5;
  EXPECT_TRUE(h5.BuildSource(SerialSourceDef(),
                             "device: /dev/ttyS0\nbaud: 921600\ndata_bits: 7\nparity: even\n"
                             "stop_bits: 2\nflow_control: rtscts\n"))
      << h5.errors();
}

}  // namespace
}  // namespace edgeflow
