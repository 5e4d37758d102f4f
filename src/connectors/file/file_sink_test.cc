#include "connectors/file/file_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class FileSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("file_sink_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Batch Events(int n) {
    Batch b;
    for (int i = 0; i < n; ++i) {
      Event& e = b.Append();
      e.time = 1'700'000'000'000'000 + i * kMicrosPerSecond;
      e.device = Symbol::Intern("d");
      e.SetDouble(Symbol::Intern("v"), i + 0.5);
    }
    return b;
  }

  std::filesystem::path dir_;
  TestHarness h_;
};

TEST_F(FileSinkTest, RotatesBySizeAndKeepsMaxFiles) {
  const std::string path = (dir_ / "out.jsonl").string();
  auto sink = h_.BuildSink(FileSinkDef(), "{type: file, path: " + path + ", max_bytes: 200B, max_files: 2}");
  ASSERT_TRUE(sink) << h_.errors();
  ASSERT_TRUE(sink->Open().ok());
  for (int i = 0; i < 6; ++i) sink->Write(Events(3));
  sink->Close();
  EXPECT_TRUE(std::filesystem::exists(path + ".1"));
  EXPECT_TRUE(std::filesystem::exists(path + ".2"));
  EXPECT_FALSE(std::filesystem::exists(path + ".3"));
  EXPECT_GT(h_.metrics().CounterValue("file_rotations", "sink=\"file\""), 2u);
  // Every rotated file holds whole lines.
  const std::string rotated = ReadFile(path + ".1");
  ASSERT_FALSE(rotated.empty());
  EXPECT_EQ(rotated.back(), '\n');
}

TEST_F(FileSinkTest, CsvHasHeaderAndHonoursTimeFormat) {
  const std::string path = (dir_ / "out.csv").string();
  auto sink = h_.BuildSink(FileSinkDef(), "{type: file, path: " + path + ", time_format: unix_ms}");
  ASSERT_TRUE(sink) << h_.errors();
  ASSERT_TRUE(sink->Open().ok());
  sink->Write(Events(2));
  sink->Close();
  EXPECT_EQ(ReadFile(path), "time,device,v\n1700000000000,d,0.5\n1700000001000,d,1.5\n");
}

TEST_F(FileSinkTest, AFullDiskDropsAndCountsTheBatchAndKeepsGoing) {
  auto sink = h_.BuildSink(FileSinkDef(), "{type: file, path: /dev/full}");
  ASSERT_TRUE(sink) << h_.errors();
  ASSERT_TRUE(sink->Open().ok());
  sink->Write(Events(3));
  sink->Write(Events(2));
  EXPECT_EQ(h_.metrics().CounterValue("dropped", "sink=\"file\",reason=\"write_failed\""), 5u);
  EXPECT_EQ(h_.metrics().CounterValue("errors", "sink=\"file\""), 2u);
}

TEST_F(FileSinkTest, ADeletedFileIsRecreated) {
  const std::string path = (dir_ / "out.jsonl").string();
  auto sink = h_.BuildSink(FileSinkDef(), "{type: file, path: " + path + "}");
  ASSERT_TRUE(sink) << h_.errors();
  ASSERT_TRUE(sink->Open().ok());
  sink->Write(Events(1));
  std::filesystem::remove(path);
  sink->Write(Events(2));
  sink->Close();
  const std::string text = ReadFile(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

}  // namespace
}  // namespace edgeflow
