#include "storage/store_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

class StoreSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("store_sink_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "store.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<StoreSink> Build(const std::string& extra = "") {
    auto sink = h_.BuildSink(StoreSinkDef(), "{type: store, path: " + path_ + extra + "}");
    EXPECT_TRUE(sink) << h_.errors();
    return std::unique_ptr<StoreSink>(static_cast<StoreSink*>(sink.release()));
  }

  Batch Events(int n, const std::string& device = "d") {
    Batch b;
    for (int i = 0; i < n; ++i) {
      Event& e = b.Append();
      e.time = next_time_;
      next_time_ += kMicrosPerSecond;
      e.device = Symbol::Intern(device);
      e.SetDouble(Symbol::Intern("v"), i);
    }
    return b;
  }

  uint64_t Counter(const std::string& name, const std::string& labels) {
    return h_.metrics().CounterValue(name, labels);
  }

  std::filesystem::path dir_;
  std::string path_;
  TestHarness h_;
  TimeMicros next_time_ = 1'700'000'000LL * kMicrosPerSecond;
};

TEST_F(StoreSinkTest, WritesBatchesAndCountsRows) {
  auto sink = Build();
  ASSERT_TRUE(sink->Open().ok());
  sink->Write(Events(10));
  sink->Write(Events(5));
  EXPECT_TRUE(sink->Commit().ok());
  EXPECT_EQ(Counter("store_rows", "sink=\"store\""), 15u);
  sink->Close();
}

TEST_F(StoreSinkTest, AFullDiskKeepsTheBatchAndWritesItWhenThereIsRoomAgain) {
  auto sink = Build(", rollups: []");
  ASSERT_TRUE(sink->Open().ok());
  sink->Write(Events(10));
  // The disk is full: the file may not grow by one more page.
  auto pages = sink->store()->db().QueryInt("PRAGMA page_count");
  ASSERT_TRUE(pages.ok());
  ASSERT_TRUE(sink->store()->db().Exec("PRAGMA max_page_count=" + std::to_string(*pages)).ok());
  sink->Write(Events(3000, "other"));
  sink->Write(Events(20));  // queued behind, to keep the order
  EXPECT_EQ(sink->waiting_events(), 3020u);
  EXPECT_EQ(Counter("errors", "sink=\"store\",reason=\"disk_full\""), 1u);
  const Status commit = sink->Commit();
  EXPECT_EQ(commit.code(), StatusCode::kResourceExhausted) << commit.ToString();
  EXPECT_NE(commit.message().find("full"), std::string::npos);
  // Room again (an operator deleted files): the next flush after the retry
  // interval writes everything; nothing was lost.
  ASSERT_TRUE(sink->store()->db().Exec("PRAGMA max_page_count=1000000").ok());
  h_.clock().Advance(2 * kMicrosPerSecond);
  sink->Flush();
  EXPECT_EQ(sink->waiting_events(), 0u);
  EXPECT_TRUE(sink->Commit().ok());
  EXPECT_EQ(Counter("store_rows", "sink=\"store\""), 3030u);
  EXPECT_EQ(h_.metrics().CounterTotal("dropped"), 0u);
}

TEST_F(StoreSinkTest, TheRetryBufferIsBoundedAndCountsWhatItDrops) {
  auto sink = Build(", retry_buffer: 25");
  ASSERT_TRUE(sink->Open().ok());
  sink->Write(Events(1));
  auto pages = sink->store()->db().QueryInt("PRAGMA page_count");
  ASSERT_TRUE(pages.ok());
  ASSERT_TRUE(sink->store()->db().Exec("PRAGMA max_page_count=" + std::to_string(*pages)).ok());
  for (int i = 0; i < 4; ++i) sink->Write(Events(2000, "d" + std::to_string(i)));
  EXPECT_EQ(Counter("dropped", "sink=\"store\",reason=\"retry_overflow\""), 8000u);
  EXPECT_EQ(sink->waiting_events(), 0u);
}

TEST_F(StoreSinkTest, WithMaxSizeTheOldestDataMakesRoomAndWritesNeverStop) {
  auto sink = Build(", max_size: 1MB, rollups: []");
  ASSERT_TRUE(sink->Open().ok());
  for (int i = 0; i < 60; ++i) {
    sink->Write(Events(1000));
    sink->Flush();
  }
  EXPECT_EQ(sink->waiting_events(), 0u);
  EXPECT_EQ(Counter("store_rows", "sink=\"store\""), 60'000u);
  EXPECT_GT(Counter("store_evicted_rows", "sink=\"store\",reason=\"size\""), 0u);
  EXPECT_EQ(h_.metrics().CounterTotal("dropped"), 0u);
  auto used = sink->store()->UsedBytes();
  ASSERT_TRUE(used.ok());
  EXPECT_LE(*used, 1024u * 1024u);
}

TEST_F(StoreSinkTest, RetentionRunsOnFlushAndIsCounted) {
  auto sink = Build(", retention: 10s, retention_interval: 1s");
  ASSERT_TRUE(sink->Open().ok());
  next_time_ = h_.clock().Now() - 60 * kMicrosPerSecond;
  sink->Write(Events(30));
  h_.clock().Advance(2 * kMicrosPerSecond);
  sink->Flush();
  // Newest is now-31s: rows before now-41s (the first 19) go.
  EXPECT_EQ(Counter("store_evicted_rows", "sink=\"store\",reason=\"age\""), 19u);
}

TEST_F(StoreSinkTest, DuplicatesAndBadSequencesAreCountedPerReason) {
  auto sink = Build();
  ASSERT_TRUE(sink->Open().ok());
  Batch b = Events(3);
  for (size_t i = 0; i < b.size(); ++i) {
    b[i].SetTag(Symbol::Intern("origin_node"), "n1");
    b[i].SetTag(Symbol::Intern("origin_seq"), i == 2 ? "x" : std::to_string(i));
  }
  sink->Write(b);
  sink->Write(b);
  EXPECT_EQ(Counter("dropped", "sink=\"store\",reason=\"duplicate\""), 2u);
  EXPECT_EQ(Counter("dropped", "sink=\"store\",reason=\"bad_origin_seq\""), 2u);
  EXPECT_EQ(Counter("store_rows", "sink=\"store\""), 2u);
}

TEST_F(StoreSinkTest, OpenFailsClearlyOnACorruptFile) {
  { std::FILE* f = std::fopen(path_.c_str(), "w"); std::fputs("this is not a database, just text padding padding padding padding padding padding padding padding padding padding", f); std::fclose(f); }
  auto sink = Build();
  const Status st = sink->Open();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("not a database"), std::string::npos) << st.ToString();
}

TEST_F(StoreSinkTest, ConfigErrorsPointAtTheKey) {
  auto sink = h_.BuildSink(StoreSinkDef(), "{type: store, path: x.db, rollups: [{step: 1500ms, keep: 1d}, {step: 1m}], "
                                            "max_size: 10KB, tags: all}");
  EXPECT_FALSE(sink);
  const std::string errors = h_.errors();
  EXPECT_NE(errors.find("rollups[0].step: must be a whole number of seconds"), std::string::npos) << errors;
  EXPECT_NE(errors.find("keep"), std::string::npos) << errors;
  EXPECT_NE(errors.find("max_size: must be at least 1MB"), std::string::npos) << errors;
  EXPECT_NE(errors.find("tags"), std::string::npos) << errors;
}

}  // namespace
}  // namespace edgeflow
