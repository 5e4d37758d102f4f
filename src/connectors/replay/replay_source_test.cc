#include "connectors/replay/replay_source.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

constexpr TimeMicros kT0 = 1'700'000'000LL * kMicrosPerSecond;  // the harness clock's start

class ReplaySourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "replay_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    for (const std::string& f : files_) ::unlink(f.c_str());
    ::rmdir(dir_.c_str());
  }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    files_.push_back(path);
    return path;
  }

  std::unique_ptr<Source> Build(const std::string& yaml) {
    auto source = h_.BuildSource(ReplaySourceDef(), yaml);
    EXPECT_TRUE(source) << h_.errors();
    return source;
  }

  std::unique_ptr<Source> Start(const std::string& yaml) {
    auto source = Build(yaml);
    if (!source) return nullptr;
    Status s = source->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return source;
  }

  // Polls until kEnd (at most `max_polls` times), collecting the events.
  std::vector<Event> Drain(Source& source, size_t max_events = 1000, int max_polls = 100000) {
    std::vector<Event> events;
    Batch batch;
    for (int i = 0; i < max_polls; ++i) {
      batch.Clear();
      PollResult r = source.Poll(batch, max_events);
      EXPECT_LE(batch.size(), max_events);
      for (const Event& e : batch) events.push_back(e);
      if (r == PollResult::kEnd) {
        EXPECT_TRUE(batch.empty());
        return events;
      }
      EXPECT_EQ(r == PollResult::kData, !batch.empty());
    }
    ADD_FAILURE() << "source did not end";
    return events;
  }

  uint64_t Dropped(const std::string& reason) {
    return h_.metrics().CounterValue("dropped", "source=\"replay\",reason=\"" + reason + "\"");
  }

  static std::string Line(int i, TimeMicros t) {
    return "{\"device\":\"d" + std::to_string(i % 3) + "\",\"time\":" + std::to_string(t) +
           ",\"seq\":" + std::to_string(i) + "}\n";
  }

  TestHarness h_;
  std::string dir_;
  std::vector<std::string> files_;
};

double Seq(const Event& e) { return *e.Number(Symbol::Intern("seq")); }

TEST_F(ReplaySourceTest, ReplaysJsonLines) {
  const std::string path = Write("a.jsonl", Line(0, kT0) + "\n  \n" + Line(1, kT0 + 1) +
                                                "{\"device\":\"x\",\"time\":" +
                                                std::to_string(kT0 + 2) + ",\"seq\":2}");
  auto source = Start("type: replay\npath: " + path + "\ntime_format: unix_us\n");
  ASSERT_TRUE(source);
  std::vector<Event> events = Drain(*source);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].device.name(), "d0");
  EXPECT_EQ(events[0].time, kT0);
  EXPECT_EQ(Seq(events[1]), 1);
  EXPECT_EQ(events[2].device.name(), "x") << "last line without a newline";
  EXPECT_TRUE(h_.dead_letters().rejections.empty()) << "blank lines are skipped silently";
  Batch batch;
  EXPECT_EQ(source->Poll(batch, 10), PollResult::kEnd);
}

TEST_F(ReplaySourceTest, RespectsMaxEvents) {
  std::string content;
  for (int i = 0; i < 5; ++i) content += Line(i, kT0 + i);
  auto source = Start("type: replay\npath: " + Write("a.ndjson", content) + "\n");
  ASSERT_TRUE(source);
  Batch batch;
  std::vector<size_t> sizes;
  for (int i = 0; i < 3; ++i) {
    batch.Clear();
    EXPECT_EQ(source->Poll(batch, 2), PollResult::kData);
    sizes.push_back(batch.size());
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2, 1}));
  batch.Clear();
  EXPECT_EQ(source->Poll(batch, 2), PollResult::kEnd);
}

TEST_F(ReplaySourceTest, RejectedLinesAreCountedAndDeadLettered) {
  const std::string content = Line(0, kT0) + "{not json\n" + "[1,2]\n" +
                              "{\"device\":\"a\"}\n" + "{\"time\":1700000000}\n" +
                              "{\"device\":\"a\",\"time\":\"never\"}\n" + Line(1, kT0 + 1);
  auto source = Start("type: replay\npath: " + Write("bad.jsonl", content) + "\n");
  ASSERT_TRUE(source);
  EXPECT_EQ(Drain(*source).size(), 2u);
  const auto& r = h_.dead_letters().rejections;
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].reason, "malformed_json");
  EXPECT_EQ(r[0].raw, "{not json");
  EXPECT_EQ(r[0].component, "replay");
  EXPECT_FALSE(r[0].had_event);
  EXPECT_EQ(r[1].reason, "not_an_object");
  EXPECT_EQ(r[2].reason, "missing_time");
  EXPECT_EQ(r[3].reason, "missing_device");
  EXPECT_EQ(r[4].reason, "bad_time");
  EXPECT_EQ(Dropped("malformed_json"), 1u);
  EXPECT_EQ(Dropped("bad_time"), 1u);
  EXPECT_EQ(h_.CounterTotal("dropped"), 5u);
}

TEST_F(ReplaySourceTest, LinesSplitAcrossTinyReadBuffers) {
  std::string content;
  std::vector<std::string> expected_devices;
  for (int i = 0; i < 40; ++i) {
    // Varying lengths so lines start at every offset of the buffer.
    const std::string device = "dev-" + std::string(static_cast<size_t>(i % 7), 'x');
    content += "{\"device\":\"" + device + "\",\"time\":" + std::to_string(kT0 + i) +
               ",\"seq\":" + std::to_string(i) + (i % 5 == 0 ? "}\r\n" : "}\n");
    expected_devices.push_back(device);
  }
  const std::string path = Write("split.jsonl", content);
  for (int read_buffer : {1, 2, 3, 7, 16, 61, 64, 100, 4096}) {
    SCOPED_TRACE("read_buffer " + std::to_string(read_buffer));
    auto source = Start("type: replay\npath: " + path + "\nread_buffer: " +
                        std::to_string(read_buffer) + "B\nmax_line_bytes: 80B\ntime_format: unix_us\n");
    ASSERT_TRUE(source);
    std::vector<Event> events = Drain(*source, 3);
    ASSERT_EQ(events.size(), 40u);
    for (int i = 0; i < 40; ++i) {
      EXPECT_EQ(events[i].device.name(), expected_devices[i]);
      EXPECT_EQ(Seq(events[i]), i);
      EXPECT_EQ(events[i].time, kT0 + i);
    }
    EXPECT_TRUE(h_.dead_letters().rejections.empty());
  }
}

TEST_F(ReplaySourceTest, OverlongLinesAreSkippedAndRejected) {
  const std::string long_line = "{\"device\":\"a\",\"time\":1700000000,\"pad\":\"" +
                                std::string(500, 'p') + "\"}\n";
  const std::string content = Line(0, kT0) + long_line + Line(1, kT0) + long_line + Line(2, kT0) +
                              long_line.substr(0, long_line.size() - 1);  // last, no newline
  const std::string path = Write("long.jsonl", content);
  for (int read_buffer : {5, 64, 1000}) {
    SCOPED_TRACE("read_buffer " + std::to_string(read_buffer));
    h_.dead_letters().rejections.clear();
    auto source = Start("type: replay\npath: " + path + "\nmax_line_bytes: 100B\nread_buffer: " +
                        std::to_string(read_buffer) + "B\n");
    ASSERT_TRUE(source);
    std::vector<Event> events = Drain(*source);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(Seq(events[2]), 2);
    const auto& r = h_.dead_letters().rejections;
    ASSERT_EQ(r.size(), 3u);
    for (const auto& rejection : r) {
      EXPECT_EQ(rejection.reason, "too_large");
      EXPECT_EQ(rejection.raw.substr(0, 12), "{\"device\":\"a");
      EXPECT_LE(rejection.raw.size(), 200u);
    }
  }
}

TEST_F(ReplaySourceTest, MaxLineBytesExcludesTheLineBreak) {
  const std::string path = Write("edge.jsonl", "{\"time\":1}\r\n{\"time\":12}\r\n{\"time\":2}\n");
  for (int read_buffer : {1, 3, 50}) {
    SCOPED_TRACE("read_buffer " + std::to_string(read_buffer));
    h_.dead_letters().rejections.clear();
    auto source = Start("type: replay\npath: " + path + "\nmax_line_bytes: 10B\nread_buffer: " +
                        std::to_string(read_buffer) + "B\ndefault_device: d\n");
    ASSERT_TRUE(source);
    EXPECT_EQ(Drain(*source).size(), 2u);
    ASSERT_EQ(h_.dead_letters().rejections.size(), 1u);
    EXPECT_EQ(h_.dead_letters().rejections[0].reason, "too_large");
  }
}

TEST_F(ReplaySourceTest, MissingFileIsNotFound) {
  const std::string path = dir_ + "/nope.jsonl";
  auto source = Build("type: replay\npath: " + path + "\n");
  ASSERT_TRUE(source);
  Status s = source->Start();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
}

TEST_F(ReplaySourceTest, ConfigErrors) {
  EXPECT_FALSE(h_.BuildSource(ReplaySourceDef(), "type: replay\npath: data.txt\n"));
  EXPECT_NE(h_.errors().find("cannot tell the format"), std::string::npos) << h_.errors();

  TestHarness h2;
  EXPECT_FALSE(h2.BuildSource(ReplaySourceDef(), "type: replay\npath: a.jsonl\ncolumns: [a]\n"));
  EXPECT_NE(h2.errors().find("only applies to format: csv"), std::string::npos) << h2.errors();

  TestHarness h3;
  EXPECT_FALSE(h3.BuildSource(ReplaySourceDef(), "type: replay\npath: a.jsonl\nspeed: fast\n"));
  EXPECT_NE(h3.errors().find("speed"), std::string::npos) << h3.errors();

  TestHarness h4;
  EXPECT_FALSE(h4.BuildSource(ReplaySourceDef(), "type: replay\n"));
  EXPECT_NE(h4.errors().find("path"), std::string::npos) << h4.errors();

  TestHarness h5;
  EXPECT_FALSE(h5.BuildSource(ReplaySourceDef(),
                              "type: replay\npath: a.jsonl\ntypes: { x: float }\n"));
  EXPECT_NE(h5.errors().find("types.x"), std::string::npos) << h5.errors();

  TestHarness h6;
  EXPECT_TRUE(h6.BuildSource(ReplaySourceDef(),
                             "type: replay\npath: a.log\nformat: jsonl\nspeed: 2.5x\n"))
      << h6.errors();
}

TEST_F(ReplaySourceTest, ReplaysCsv) {
  const std::string content =
      "\xEF\xBB\xBFtime,device,temperature_f,note\r\n"
      "2023-11-14T22:13:20Z,press-1,71.5,\"warm, steady\"\r\n"
      "\r\n"
      "2023-11-14T22:13:21Z,press-2,,\r\n"
      "2023-11-14T22:13:22Z,press-3,1\r\n";
  auto source = Start("type: replay\npath: " + Write("a.csv", content) + "\n");
  ASSERT_TRUE(source);
  std::vector<Event> events = Drain(*source);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].time, kT0);
  EXPECT_EQ(events[0].Text(*events[0].Find(Symbol::Intern("note"))), "warm, steady");
  EXPECT_EQ(events[1].fields().size(), 0u);
  ASSERT_EQ(h_.dead_letters().rejections.size(), 1u);
  EXPECT_EQ(h_.dead_letters().rejections[0].reason, "malformed_csv");
}

TEST_F(ReplaySourceTest, CsvWithColumnsAndNoHeader) {
  auto source = Start("type: replay\npath: " + Write("b.txt", "1700000000;a;1\n1700000001;b;2\n") +
                      "\nformat: csv\ncolumns: [ts, id, v]\ntime_field: ts\ndevice_field: id\n"
                      "delimiter: \";\"\n");
  ASSERT_TRUE(source);
  std::vector<Event> events = Drain(*source);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].device.name(), "b");
  EXPECT_EQ(events[1].time, kT0 + kMicrosPerSecond);
}

TEST_F(ReplaySourceTest, BadCsvHeaderFailsStart) {
  auto source = Build("type: replay\npath: " + Write("h.csv", "when,device,v\n1,a,2\n") + "\n");
  ASSERT_TRUE(source);
  Status s = source->Start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
  EXPECT_NE(s.message().find("h.csv:1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("no time column"), std::string::npos) << s.message();
}

TEST_F(ReplaySourceTest, RealtimePacingFollowsTheClock) {
  const std::string content = Line(0, kT0) + Line(1, kT0 + kMicrosPerSecond) +
                              Line(2, kT0 + kMicrosPerSecond) +
                              Line(3, kT0 + 3 * kMicrosPerSecond) +
                              Line(4, kT0 + 2 * kMicrosPerSecond);  // out of order: due at once
  auto source = Start("type: replay\npath: " + Write("rt.jsonl", content) +
                      "\nspeed: realtime\ntime_format: unix_us\n");
  ASSERT_TRUE(source);
  ManualClock& clock = h_.clock();
  Batch batch;
  auto poll = [&]() {
    batch.Clear();
    return source->Poll(batch, 100);
  };
  EXPECT_EQ(poll(), PollResult::kData);
  ASSERT_EQ(batch.size(), 1u);  // the first event is due at once
  EXPECT_EQ(poll(), PollResult::kIdle);
  clock.Advance(999 * kMicrosPerMilli);
  EXPECT_EQ(poll(), PollResult::kIdle);
  clock.Advance(1 * kMicrosPerMilli);
  EXPECT_EQ(poll(), PollResult::kData);
  EXPECT_EQ(batch.size(), 2u);
  clock.Advance(1500 * kMicrosPerMilli);
  EXPECT_EQ(poll(), PollResult::kIdle);
  clock.Advance(500 * kMicrosPerMilli);
  EXPECT_EQ(poll(), PollResult::kData);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(Seq(batch[0]), 3);
  EXPECT_EQ(Seq(batch[1]), 4);
  EXPECT_EQ(poll(), PollResult::kEnd);
}

TEST_F(ReplaySourceTest, SpeedFactorScalesTheGaps) {
  const std::string content = Line(0, kT0) + Line(1, kT0 + kMicrosPerSecond) +
                              Line(2, kT0 + 2 * kMicrosPerSecond);
  auto source = Start("type: replay\npath: " + Write("fast.jsonl", content) +
                      "\nspeed: 10\ntime_format: unix_us\n");
  ASSERT_TRUE(source);
  Batch batch;
  EXPECT_EQ(source->Poll(batch, 100), PollResult::kData);
  EXPECT_EQ(batch.size(), 1u);
  h_.clock().Advance(99 * kMicrosPerMilli);
  EXPECT_EQ(source->Poll(batch, 100), PollResult::kIdle);
  h_.clock().Advance(1 * kMicrosPerMilli);
  EXPECT_EQ(source->Poll(batch, 100), PollResult::kData);
  EXPECT_EQ(batch.size(), 2u);
  h_.clock().Advance(100 * kMicrosPerMilli);
  EXPECT_EQ(source->Poll(batch, 100), PollResult::kData);
  EXPECT_EQ(batch.size(), 3u);
  EXPECT_EQ(source->Poll(batch, 100), PollResult::kEnd);
}

TEST_F(ReplaySourceTest, LoopShiftsTimesToKeepIncreasing) {
  const std::string content = Line(0, kT0) + Line(1, kT0 + kMicrosPerSecond) +
                              Line(2, kT0 + 2 * kMicrosPerSecond);
  auto source = Start("type: replay\npath: " + Write("loop.jsonl", content) +
                      "\nloop: true\ntime_format: unix_us\n");
  ASSERT_TRUE(source);
  Batch batch;
  std::vector<TimeMicros> times;
  for (int i = 0; i < 4; ++i) {
    batch.Clear();
    ASSERT_EQ(source->Poll(batch, 2), PollResult::kData);
    for (const Event& e : batch) times.push_back(e.time - kT0);
  }
  const TimeMicros s = kMicrosPerSecond;
  EXPECT_EQ(times, (std::vector<TimeMicros>{0, s, 2 * s, 3 * s, 4 * s, 5 * s, 6 * s, 7 * s}));
}

TEST_F(ReplaySourceTest, ByteOrderMarkIsSkippedOnEveryPass) {
  const std::string content = "\xEF\xBB\xBF" + Line(0, kT0) + Line(1, kT0 + kMicrosPerSecond);
  const std::string path = Write("bom.jsonl", content);
  for (const char* speed : {"max", "1000"}) {
    SCOPED_TRACE(speed);
    auto source = Start("type: replay\npath: " + path + "\nloop: true\ntime_format: unix_us\nspeed: " +
                        speed + "\n");
    ASSERT_TRUE(source);
    Batch batch;
    for (int i = 0; i < 100 && batch.size() < 6; ++i) {
      h_.clock().Advance(kMicrosPerSecond);
      source->Poll(batch, 6 - batch.size());
    }
    ASSERT_EQ(batch.size(), 6u);
    for (size_t i = 0; i < 6; ++i) {
      EXPECT_EQ(batch[i].time, kT0 + static_cast<TimeMicros>(i) * kMicrosPerSecond);
    }
    EXPECT_TRUE(h_.dead_letters().rejections.empty());
  }
}

TEST_F(ReplaySourceTest, LoopSkipsTheCsvHeaderEachPass) {
  auto source = Start("type: replay\npath: " +
                      Write("loop.csv", "time,device,v\n1700000000,a,1\n1700000002,a,2\n") +
                      "\nloop: true\n");
  ASSERT_TRUE(source);
  Batch batch;
  ASSERT_EQ(source->Poll(batch, 5), PollResult::kData);
  ASSERT_EQ(batch.size(), 5u);
  EXPECT_EQ(batch[2].time, kT0 + 4 * kMicrosPerSecond);
  EXPECT_EQ(batch[4].time, kT0 + 8 * kMicrosPerSecond);
  EXPECT_TRUE(h_.dead_letters().rejections.empty());
}

TEST_F(ReplaySourceTest, LoopOverAFileWithoutValidEventsEnds) {
  auto source = Start("type: replay\npath: " + Write("bad.jsonl", "{}\n") + "\nloop: true\n");
  ASSERT_TRUE(source);
  Drain(*source);
  EXPECT_EQ(Dropped("missing_time"), 1u);
}

TEST_F(ReplaySourceTest, LongArrayLinesAreSplitAcrossPolls) {
  std::string line = "[";
  for (int i = 0; i < 5; ++i) {
    line += (i ? "," : "") + Line(i, kT0 + i).substr(0, Line(i, kT0 + i).size() - 1);
  }
  line += "]\n";
  auto source = Start("type: replay\npath: " + Write("arr.jsonl", line + Line(5, kT0 + 5)) +
                      "\narrays: true\ntime_format: unix_us\n");
  ASSERT_TRUE(source);
  std::vector<Event> events = Drain(*source, 2);
  ASSERT_EQ(events.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(Seq(events[i]), i);
}

TEST_F(ReplaySourceTest, DroppedFieldsAreCounted) {
  auto source = Start("type: replay\npath: " +
                      Write("t.jsonl", "{\"device\":\"a\",\"time\":1700000000,\"v\":\"x\",\"w\":1}\n") +
                      "\ntypes: { v: number }\non_type_mismatch: drop_field\n");
  ASSERT_TRUE(source);
  std::vector<Event> events = Drain(*source);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].fields().size(), 1u);
  EXPECT_EQ(h_.metrics().CounterValue("fields_dropped",
                                      "source=\"replay\",reason=\"type_mismatch\""),
            1u);
}

TEST_F(ReplaySourceTest, TimeWindowAroundTheWallClock) {
  const std::string content = Line(0, kT0 - 2 * kMicrosPerHour) +   // too old
                              Line(1, kT0 + 48 * kMicrosPerHour) +  // far ahead: allowed
                              Line(2, kT0);
  auto source = Start("type: replay\npath: " + Write("w.jsonl", content) +
                      "\nmax_past: 1h\nmax_future: 0\ntime_format: unix_us\n");
  ASSERT_TRUE(source);
  std::vector<Event> events = Drain(*source);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(Seq(events[0]), 1);
  EXPECT_EQ(Dropped("time_out_of_range"), 1u);
}

TEST_F(ReplaySourceTest, ExampleBuilds) {
  const ComponentDef def = ReplaySourceDef();
  TestHarness h;
  EXPECT_TRUE(h.BuildSource(def, def.example)) << h.errors();
}

}  // namespace
}  // namespace edgeflow
