#include "storage/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "storage/store_reader.h"

namespace edgeflow {
namespace {

constexpr TimeMicros kT0 = 1'700'000'000LL * kMicrosPerSecond;  // 2023-11-14T22:13:20Z
constexpr TimeMicros kMinute = 60 * kMicrosPerSecond;
constexpr TimeMicros kHour = 60 * kMinute;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    options_.path = (dir_ / "store.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> OpenStore() {
    auto store = Store::Open(options_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  static Event& Add(Batch& b, TimeMicros t, const std::string& device) {
    Event& e = b.Append();
    e.time = t;
    e.device = Symbol::Intern(device);
    return e;
  }

  // Reads series (device, field) with `query` into (time, value) pairs.
  std::vector<std::pair<TimeMicros, double>> Read(StoreQuery query, const std::string& device,
                                                  const std::string& field) {
    query.device = device;
    query.field = field;
    auto reader = StoreReader::Open(options_.path);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    std::vector<std::pair<TimeMicros, double>> rows;
    if (!reader.ok()) return rows;
    auto series = reader->FindSeries(query);
    EXPECT_TRUE(series.ok());
    for (const SeriesInfo& s : *series) {
      Status st = reader->Read(query, s, [&](const SeriesInfo&, TimeMicros t, const StoreValue& v) {
        rows.emplace_back(t, v.type == StoreValue::Type::kInt ? static_cast<double>(v.i) : v.d);
        return true;
      });
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    return rows;
  }

  int64_t Count(const std::string& sql) {
    auto db = SqliteDb::Open(options_.path, false, true);
    EXPECT_TRUE(db.ok());
    auto n = db->QueryInt(sql);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }

  std::filesystem::path dir_;
  StoreOptions options_;
};

TEST_F(StoreTest, StoresEveryValueTypeAndReadsItBack) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  Batch b;
  Event& e = Add(b, kT0, "press-1");
  e.SetDouble(Symbol::Intern("temp"), 21.5);
  e.SetInt(Symbol::Intern("count"), 1LL << 60);  // beyond a double's exact range
  e.SetBool(Symbol::Intern("on"), true);
  e.SetString(Symbol::Intern("state"), "running, ok");
  auto r = store->Append(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 4u);
  EXPECT_EQ(r->new_series, 4u);
  store.reset();

  auto reader = StoreReader::Open(options_.path);
  ASSERT_TRUE(reader.ok());
  StoreQuery q;
  q.device = "press-1";
  auto series = reader->FindSeries(q);
  ASSERT_TRUE(series.ok());
  ASSERT_EQ(series->size(), 4u);
  std::map<std::string, std::string> got;
  for (const SeriesInfo& s : *series) {
    ASSERT_TRUE(reader->Read(q, s, [&](const SeriesInfo& info, TimeMicros t, const StoreValue& v) {
      EXPECT_EQ(t, kT0);
      switch (v.type) {
        case StoreValue::Type::kDouble: got[info.field] = "d:" + std::to_string(v.d); break;
        case StoreValue::Type::kInt: got[info.field] = "i:" + std::to_string(v.i); break;
        case StoreValue::Type::kText: got[info.field] = "s:" + std::string(v.text); break;
      }
      return true;
    }).ok());
  }
  EXPECT_EQ(got["temp"], "d:21.500000");
  EXPECT_EQ(got["count"], "i:" + std::to_string(1LL << 60));
  EXPECT_EQ(got["on"], "i:1");
  EXPECT_EQ(got["state"], "s:running, ok");
  // Text is kept raw only: three numeric series have a 1-minute roll-up row.
  EXPECT_EQ(Count("SELECT count(*) FROM rollup_60s"), 3);
}

TEST_F(StoreTest, TagsArePartOfTheSeriesExceptOriginSeq) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  Batch b;
  for (const char* site : {"north", "south"}) {
    Event& e = Add(b, kT0, "d");
    e.SetTag(Symbol::Intern("site"), site);
    e.SetTag(Symbol::Intern("line"), "7");
    e.SetDouble(Symbol::Intern("v"), 1);
  }
  ASSERT_TRUE(store->Append(b).ok());
  store.reset();
  auto reader = StoreReader::Open(options_.path);
  ASSERT_TRUE(reader.ok());
  auto series = reader->FindSeries(StoreQuery{});
  ASSERT_TRUE(series.ok());
  ASSERT_EQ(series->size(), 2u);
  EXPECT_EQ((*series)[0].tags, R"({"line":"7","site":"north"})");
  EXPECT_EQ((*series)[1].tags, R"({"line":"7","site":"south"})");
}

TEST_F(StoreTest, RollupsEqualTheAggregatesOfRawRowsForShuffledBatches) {
  options_.tiers = {{kMinute, 30 * 24 * kHour}, {kHour, 365 * 24 * kHour}};
  auto store = OpenStore();
  ASSERT_TRUE(store);
  // Three hours of 1 Hz data for two devices, written out of order in
  // batches of 500 (late events update closed buckets).
  std::vector<std::pair<TimeMicros, double>> points;
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 3);
  for (int i = 0; i < 3 * 3600; ++i) points.emplace_back(kT0 + i * kMicrosPerSecond, 20 + noise(rng));
  std::shuffle(points.begin(), points.end(), rng);
  for (size_t i = 0; i < points.size(); i += 500) {
    Batch b;
    for (size_t j = i; j < std::min(points.size(), i + 500); ++j) {
      for (const char* device : {"a", "b"}) {
        Add(b, points[j].first, device).SetDouble(Symbol::Intern("v"), points[j].second);
      }
    }
    ASSERT_TRUE(store->Append(b).ok());
  }
  store.reset();

  for (StoreAggregate agg : {StoreAggregate::kMean, StoreAggregate::kMin, StoreAggregate::kMax, StoreAggregate::kSum,
                             StoreAggregate::kCount, StoreAggregate::kLast}) {
    for (TimeMicros step : {kMinute, 15 * kMinute, kHour}) {
      StoreQuery tier;
      tier.agg = agg;
      tier.step = step;
      // The same buckets from raw rows: a range not aligned to any tier.
      StoreQuery raw = tier;
      raw.from = kT0 - 1;
      auto reader = StoreReader::Open(options_.path);
      ASSERT_TRUE(reader.ok());
      EXPECT_EQ(*reader->ChooseSource(tier), step == kMinute || step == 15 * kMinute ? "rollup_60s" : "rollup_3600s");
      EXPECT_EQ(*reader->ChooseSource(raw), "raw");
      const auto from_tier = Read(tier, "b", "v");
      const auto from_raw = Read(raw, "b", "v");
      ASSERT_EQ(from_tier.size(), from_raw.size()) << StoreAggregateName(agg) << " " << step;
      ASSERT_FALSE(from_tier.empty());
      for (size_t i = 0; i < from_tier.size(); ++i) {
        EXPECT_EQ(from_tier[i].first, from_raw[i].first);
        EXPECT_NEAR(from_tier[i].second, from_raw[i].second, 1e-9 * std::abs(from_raw[i].second) + 1e-9)
            << StoreAggregateName(agg) << " step " << step << " bucket " << i;
      }
    }
  }
}

TEST_F(StoreTest, ADuplicateTimeKeepsTheFirstValueAndDoesNotCountInRollups) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  Batch b;
  Add(b, kT0, "d").SetDouble(Symbol::Intern("v"), 1);
  Add(b, kT0, "d").SetDouble(Symbol::Intern("v"), 100);
  auto r = store->Append(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows, 1u);
  EXPECT_EQ(r->duplicate_time, 1u);
  store.reset();
  StoreQuery sum;
  sum.agg = StoreAggregate::kSum;
  sum.step = kMinute;
  const auto rows = Read(sum, "d", "v");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].second, 1);
}

TEST_F(StoreTest, RetentionByAgeDeletesOldRawRowsAndKeepsRollups) {
  options_.retention = 24 * kHour;
  auto store = OpenStore();
  ASSERT_TRUE(store);
  Batch b;
  for (int h = 0; h < 72; ++h) Add(b, kT0 + h * kHour, "d").SetDouble(Symbol::Intern("v"), h);
  ASSERT_TRUE(store->Append(b).ok());
  // The wall clock is far ahead: "now" is the newest event (kT0 + 71h).
  auto evicted = store->ApplyRetention(kT0 + 1000 * kHour);
  ASSERT_TRUE(evicted.ok()) << evicted.status().ToString();
  EXPECT_EQ(evicted->age, 47u);  // hours 0..46 are older than 71h - 24h
  store.reset();
  const auto raw = Read(StoreQuery{}, "d", "v");
  ASSERT_EQ(raw.size(), 25u);
  EXPECT_EQ(raw.front().first, kT0 + 47 * kHour);
  EXPECT_EQ(Count("SELECT count(*) FROM rollup_60s"), 72);  // kept 30 days
}

TEST_F(StoreTest, RetentionUsesTheWallClockWhenEventsAreInTheFuture) {
  options_.retention = kHour;
  auto store = OpenStore();
  ASSERT_TRUE(store);
  Batch b;
  Add(b, kT0, "d").SetDouble(Symbol::Intern("v"), 1);
  Add(b, kT0 + 10 * 365 * 24 * kHour, "d").SetDouble(Symbol::Intern("v"), 2);  // a bogus clock
  ASSERT_TRUE(store->Append(b).ok());
  auto evicted = store->ApplyRetention(kT0 + kMinute);
  ASSERT_TRUE(evicted.ok());
  EXPECT_EQ(evicted->age, 0u);
}

TEST_F(StoreTest, RetentionBySizeDeletesTheOldestDataFirst) {
  options_.max_size = 1024 * 1024;
  options_.tiers = {};
  auto store = OpenStore();
  ASSERT_TRUE(store);
  TimeMicros t = kT0;
  for (int round = 0; round < 20; ++round) {
    Batch b;
    for (int i = 0; i < 2000; ++i, t += kMicrosPerSecond) {
      Event& e = Add(b, t, "d");
      e.SetDouble(Symbol::Intern("x"), i);
      e.SetDouble(Symbol::Intern("y"), i * 0.5);
    }
    auto r = store->Append(b);
    if (!r.ok()) {
      ASSERT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
      ASSERT_TRUE(store->EvictForSize(0.0, 0.8).ok());
      ASSERT_TRUE(store->Append(b).ok());
    }
    ASSERT_TRUE(store->EvictForSize(0.9, 0.8).ok());
  }
  auto used = store->UsedBytes();
  ASSERT_TRUE(used.ok());
  EXPECT_LE(*used, options_.max_size);
  const TimeMicros newest = store->newest_time();
  store.reset();
  const auto rows = Read(StoreQuery{}, "d", "x");
  ASSERT_FALSE(rows.empty());
  EXPECT_LT(rows.size(), 40'000u);           // something was evicted
  EXPECT_EQ(rows.back().first, newest);      // the newest data is kept
  EXPECT_GT(rows.front().first, kT0);        // the oldest went first
  // What is left is contiguous: eviction cut the oldest time slice.
  EXPECT_EQ(rows.back().first - rows.front().first, static_cast<TimeMicros>(rows.size() - 1) * kMicrosPerSecond);
}

Batch OriginEvents(const std::string& node, uint64_t first_seq, int n) {
  Batch b;
  for (int i = 0; i < n; ++i) {
    Event& e = b.Append();
    e.time = kT0 + (static_cast<TimeMicros>(first_seq) + i) * kMicrosPerSecond;
    e.device = Symbol::Intern("dev");
    e.SetTag(Symbol::Intern("origin_node"), node);
    e.SetTag(Symbol::Intern("origin_seq"), std::to_string(first_seq + static_cast<uint64_t>(i)));
    e.SetDouble(Symbol::Intern("v"), static_cast<double>(first_seq) + i);
  }
  return b;
}

TEST_F(StoreTest, OriginPairsAreStoredAtMostOnceAcrossAReopen) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store);
    auto r = store->Append(OriginEvents("node-a", 1, 10));  // seq 1..10
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->rows, 10u);
    // A re-sent overlap inside one batch is deduplicated too.
    Batch twice = OriginEvents("node-a", 11, 2);
    twice.AppendAll(OriginEvents("node-a", 11, 2));
    r = store->Append(twice);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->rows, 2u);
    EXPECT_EQ(r->duplicate_events, 2u);
  }
  auto store = OpenStore();
  ASSERT_TRUE(store);
  // The node re-sends 5..15 after the reopen: only 13..15 are new; the same
  // sequence numbers from another node are not duplicates.
  auto r = store->Append(OriginEvents("node-a", 5, 11));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows, 3u);
  EXPECT_EQ(r->duplicate_events, 8u);
  r = store->Append(OriginEvents("node-b", 5, 2));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows, 2u);
  store.reset();
  EXPECT_EQ(Count("SELECT count(*) FROM raw"), 17);
  EXPECT_EQ(Count("SELECT count(*) FROM received"), 17);
  // origin_seq is not part of the series: one series per node.
  EXPECT_EQ(Count("SELECT count(*) FROM series"), 2);
  // The roll-up saw each event once: sum of v for node-a is 1+..+15.
  EXPECT_EQ(Count("SELECT sum(r.sum) FROM rollup_60s r JOIN series s ON s.id = r.series"
                  " WHERE s.tags = '{\"origin_node\":\"node-a\"}'"),
            120);
}

TEST_F(StoreTest, OriginPairsArePrunedWithRawRetention) {
  options_.retention = kHour;
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Append(OriginEvents("n", 0, 1)).ok());
  ASSERT_TRUE(store->Append(OriginEvents("n", 7200, 1)).ok());  // two hours later
  ASSERT_TRUE(store->ApplyRetention(kT0 + 100 * kHour).ok());
  store.reset();
  EXPECT_EQ(Count("SELECT count(*) FROM received"), 1);
}

TEST_F(StoreTest, ABadOriginSeqSkipsTheEvent) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  Batch b = OriginEvents("n", 1, 2);
  b[1].SetTag(Symbol::Intern("origin_seq"), "12x");
  auto r = store->Append(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows, 1u);
  EXPECT_EQ(r->bad_origin_seq, 1u);
  uint64_t seq = 0;
  EXPECT_TRUE(ParseOriginSeq("18446744073709551615", &seq));
  EXPECT_EQ(seq, 18446744073709551615ull);
  EXPECT_FALSE(ParseOriginSeq("18446744073709551616", &seq));
  EXPECT_FALSE(ParseOriginSeq("-1", &seq));
  EXPECT_FALSE(ParseOriginSeq("", &seq));
}

TEST_F(StoreTest, MaxSeriesBoundsNewSeries) {
  options_.max_series = 2;
  auto store = OpenStore();
  ASSERT_TRUE(store);
  Batch b;
  Event& e = Add(b, kT0, "d");
  for (const char* f : {"a", "b", "c"}) e.SetDouble(Symbol::Intern(f), 1);
  auto r = store->Append(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows, 2u);
  EXPECT_EQ(r->series_limit, 1u);
}

TEST_F(StoreTest, AFailedBatchLeavesNothingBehind) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Append(OriginEvents("n", 1, 1)).ok());
  // No room for one more page: the whole batch (new series, rows, roll-ups,
  // origin pairs) fails together.
  auto pages = store->db().QueryInt("PRAGMA page_count");
  ASSERT_TRUE(pages.ok());
  ASSERT_TRUE(store->db().Exec("PRAGMA max_page_count=" + std::to_string(*pages)).ok());
  Batch big;
  for (int i = 0; i < 5000; ++i) {
    Add(big, kT0 + i, "dev-" + std::to_string(i % 50)).SetDouble(Symbol::Intern("v"), i);
  }
  big.AppendAll(OriginEvents("n", 2, 1));
  auto r = store->Append(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("full"), std::string::npos) << r.status().message();
  EXPECT_EQ(store->series_count(), 1u);  // the 50 new series were forgotten
  // After room is made, the same batch goes in whole, its origin pair too.
  ASSERT_TRUE(store->db().Exec("PRAGMA max_page_count=1000000").ok());
  r = store->Append(big);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 5001u);
  EXPECT_EQ(r->duplicate_events, 0u);
}

// --- opening bad files -------------------------------------------------------

TEST_F(StoreTest, AFileThatIsNotSqliteIsRefusedAtOpen) {
  std::ofstream(options_.path) << std::string(8192, 'x');
  auto store = Store::Open(options_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption);
  EXPECT_NE(store.status().message().find("not a database"), std::string::npos) << store.status().message();
  auto reader = StoreReader::Open(options_.path);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("not a database"), std::string::npos);
}

TEST_F(StoreTest, AForeignSqliteFileIsRefused) {
  {
    auto db = SqliteDb::Open(options_.path, true, false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE customers(name TEXT)").ok());
  }
  auto store = Store::Open(options_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("not an edgeflow store"), std::string::npos) << store.status().message();
}

TEST_F(StoreTest, AFileOfANewerSchemaIsRefusedAndLeftUnchanged) {
  ASSERT_TRUE(OpenStore());
  {
    auto db = SqliteDb::Open(options_.path, false, false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("PRAGMA user_version=99").ok());
  }
  auto store = Store::Open(options_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("newer edgeflow (schema version 99, this build supports up to 1)"),
            std::string::npos)
      << store.status().message();
  auto reader = StoreReader::Open(options_.path);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("schema version 99"), std::string::npos);
  EXPECT_EQ(Count("PRAGMA user_version"), 99);
}

TEST_F(StoreTest, AnUnwritableDirectoryIsAClearErrorAtOpen) {
  // /proc refuses new files even to root; a 0555 directory only to others.
  options_.path = "/proc/edgeflow-store-test.db";
  auto store = Store::Open(options_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("unable to open database file"), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("writable"), std::string::npos);
  if (::geteuid() != 0) {
    std::filesystem::create_directories(dir_ / "ro");
    std::filesystem::permissions(dir_ / "ro", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    options_.path = (dir_ / "ro" / "store.db").string();
    EXPECT_FALSE(Store::Open(options_).ok());
    std::filesystem::permissions(dir_ / "ro", std::filesystem::perms::owner_all);
  }
}

TEST_F(StoreTest, TiersFollowTheConfiguration) {
  ASSERT_TRUE(OpenStore());
  options_.tiers = {{kHour, 24 * kHour}};
  ASSERT_TRUE(OpenStore());
  auto reader = StoreReader::Open(options_.path);
  ASSERT_TRUE(reader.ok());
  ASSERT_EQ(reader->tiers().size(), 1u);
  EXPECT_EQ(reader->tiers()[0].step, kHour);
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_master WHERE name = 'rollup_60s'"), 0);
}

}  // namespace
}  // namespace edgeflow
