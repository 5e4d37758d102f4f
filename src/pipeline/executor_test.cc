#include "pipeline/executor.h"

#include <gtest/gtest.h>

#include "connectors/builtin.h"
#include "stages/builtin.h"

namespace edgeflow {
namespace {

// A source fed by the test through Executor::Inject.
ComponentDef TestSourceDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSource;
  def.type = "test";
  def.make_source = [](BuildContext&) -> std::unique_ptr<Source> {
    struct TestSource final : Source {
      PollResult Poll(Batch&, size_t) override { return PollResult::kIdle; }
    };
    return std::make_unique<TestSource>();
  };
  return def;
}

// A sink that keeps copies of what it receives.
ComponentDef KeepSinkDef(Batch* kept) {
  ComponentDef def;
  def.kind = ComponentKind::kSink;
  def.type = "keep";
  def.make_sink = [kept](BuildContext&) -> std::unique_ptr<Sink> {
    struct Keep final : Sink {
      Batch* kept;
      void Write(const Batch& b) override { kept->AppendAll(b); }
    };
    auto s = std::make_unique<Keep>();
    s->kept = kept;
    return s;
  };
  return def;
}

class ExecutorTest : public ::testing::Test {
 protected:
  std::unique_ptr<Pipeline> Build(const std::string& yaml) {
    RegisterBuiltinConnectors(registry_);
    RegisterBuiltinStages(registry_);
    registry_.Add(TestSourceDef());
    registry_.Add(KeepSinkDef(&kept_));
    auto loaded = LoadYamlText(yaml, "test.yaml", ProcessEnv, &diagnostics_);
    if (!loaded) return nullptr;
    return BuildPipeline(*loaded, {&registry_, &clock_, &metrics_, &dead_letters_}, &diagnostics_);
  }
  void Push(Executor& ex, size_t source, TimeMicros t, double v) {
    Batch b;
    Event& e = b.Append();
    e.time = t;
    e.device = Symbol::Intern("d");
    e.SetDouble(Symbol::Intern("v"), v);
    ex.Inject(source, b);
  }

  Registry registry_;
  ManualClock clock_{0};
  MetricsRegistry metrics_;
  DeadLetterQueue dead_letters_{&clock_, &metrics_};
  Diagnostics diagnostics_;
  Batch kept_;
};

constexpr const char* kTwoSources = R"(
sources:
  - {id: a, type: test, idle_timeout: 10s}
  - {id: b, type: test, idle_timeout: 10s}
stages:
  - window: { size: 10s, aggregate: { v: [sum] } }
sinks:
  - type: keep
)";

TEST_F(ExecutorTest, WatermarkIsTheMinimumOverActiveSources) {
  auto p = Build(kTwoSources);
  ASSERT_TRUE(p) << diagnostics_.ToString();
  Executor ex(p.get(), &clock_, &dead_letters_);
  ASSERT_TRUE(ex.Start().ok());
  Push(ex, 0, 1 * kMicrosPerSecond, 1);
  Push(ex, 1, 2 * kMicrosPerSecond, 2);
  Push(ex, 0, 25 * kMicrosPerSecond, 3);  // a is ahead; b still at 2s
  EXPECT_EQ(ex.StageWatermark(0), 2 * kMicrosPerSecond);
  EXPECT_TRUE(kept_.empty());
  Push(ex, 1, 12 * kMicrosPerSecond, 4);  // b reaches 12s: [0,10) fires
  EXPECT_EQ(ex.StageWatermark(0), 12 * kMicrosPerSecond);
  ASSERT_EQ(kept_.size(), 1u);
  EXPECT_EQ(*kept_[0].Number(Symbol::Intern("v_sum")), 3);
  ex.Finish();
}

TEST_F(ExecutorTest, AnIdleSourceStopsHoldingBackTheOthers) {
  auto p = Build(kTwoSources);
  ASSERT_TRUE(p) << diagnostics_.ToString();
  Executor ex(p.get(), &clock_, &dead_letters_);
  ASSERT_TRUE(ex.Start().ok());
  Push(ex, 1, 1 * kMicrosPerSecond, 1);
  Push(ex, 0, 1 * kMicrosPerSecond, 1);
  for (int i = 0; i < 110; ++i) {  // b stays silent for 11 s
    clock_.Advance(100 * kMicrosPerMilli);
    if (i % 10 == 0) Push(ex, 0, (2 + i / 10) * kMicrosPerSecond, 1);
    ex.Tick();
  }
  EXPECT_GE(ex.StageWatermark(0), 11 * kMicrosPerSecond);
  EXPECT_EQ(kept_.size(), 1u);  // [0,10) fired without b
  ex.Finish();
}

TEST_F(ExecutorTest, EndedSourcesReleaseTheWatermarkAndFinishFlushes) {
  auto p = Build(kTwoSources);
  ASSERT_TRUE(p) << diagnostics_.ToString();
  Executor ex(p.get(), &clock_, &dead_letters_);
  ASSERT_TRUE(ex.Start().ok());
  Push(ex, 0, 1 * kMicrosPerSecond, 1);
  Push(ex, 1, 15 * kMicrosPerSecond, 2);
  ex.EndSource(0);  // only b is left: watermark 15s
  EXPECT_EQ(kept_.size(), 1u);
  ex.EndSource(1);
  EXPECT_TRUE(ex.stats().all_sources_ended);
  ex.Finish();
  EXPECT_EQ(kept_.size(), 2u);
}

TEST_F(ExecutorTest, FanOutGivesEachConsumerItsOwnCopy) {
  auto p = Build(R"(
sources: [{id: in, type: test}]
stages:
  - {id: doubled, from: input, map: {v: "v * 2"}}
  - {id: negated, from: input, map: {v: "-v"}}
sinks:
  - {type: keep, from: [doubled, negated]}
)");
  ASSERT_TRUE(p) << diagnostics_.ToString();
  Executor ex(p.get(), &clock_, &dead_letters_);
  ASSERT_TRUE(ex.Start().ok());
  Push(ex, 0, 0, 5);
  ASSERT_EQ(kept_.size(), 2u);
  EXPECT_EQ(*kept_[0].Number(Symbol::Intern("v")), 10);
  EXPECT_EQ(*kept_[1].Number(Symbol::Intern("v")), -5);
  ex.Finish();
}

TEST_F(ExecutorTest, RejectionsReachTheDeadLetterStream) {
  auto p = Build(R"(
sources: [{id: in, type: test}]
sinks:
  - {type: keep, from: dead_letter}
)");
  ASSERT_TRUE(p) << diagnostics_.ToString();
  Executor ex(p.get(), &clock_, &dead_letters_);
  ASSERT_TRUE(ex.Start().ok());
  Counter* counter = metrics_.GetCounter("dropped", "source=\"in\",reason=\"malformed_json\"");
  dead_letters_.Reject("in", counter, "malformed_json", nullptr, "{oops");
  Push(ex, 0, 0, 1);  // a step drains the queue
  ASSERT_EQ(kept_.size(), 1u);
  EXPECT_EQ(kept_[0].Text(*kept_[0].Find(Symbol::Intern("reason"))), "malformed_json");
  EXPECT_EQ(kept_[0].Text(*kept_[0].Find(Symbol::Intern("raw"))), "{oops");
  EXPECT_EQ(counter->value(), 1u);
  ex.Finish();
}

TEST_F(ExecutorTest, ReportsEveryErrorWithItsPosition) {
  auto p = Build(R"(sources:
  - {type: nope}
stages:
  - window: {size: -5s}
sinks: []
)");
  EXPECT_FALSE(p);
  const std::string report = diagnostics_.ToString();
  EXPECT_NE(report.find("test.yaml:2:12: sources[0].type: unknown source type 'nope'"), std::string::npos) << report;
  EXPECT_NE(report.find("stages[0].window.size: must be > 0"), std::string::npos) << report;
  EXPECT_NE(report.find("sinks: a pipeline needs at least one sink"), std::string::npos) << report;
  EXPECT_EQ(diagnostics_.items().size(), 3u) << report;
}

// The commit barrier: a source that wants commits hears, after each step that
// delivered its events, whether every sink committed them.
struct CommitLog {
  int commits = 0;                 // Commit() calls on the committing sink
  bool fail = false;               // the committing sink fails its commits
  std::vector<std::string> seen;   // OnCommitted results ("ok" or the message)
  int to_produce = 0;              // events the committing source still emits
};

ComponentDef CommittingSourceDef(CommitLog* log, const std::string& type, bool wants) {
  ComponentDef def;
  def.kind = ComponentKind::kSource;
  def.type = type;
  def.make_source = [log, wants](BuildContext&) -> std::unique_ptr<Source> {
    struct S final : Source {
      CommitLog* log;
      bool wants;
      PollResult Poll(Batch& out, size_t) override {
        if (log->to_produce == 0) return PollResult::kIdle;
        --log->to_produce;
        Event& e = out.Append();
        e.device = Symbol::Intern("d");
        return PollResult::kData;
      }
      bool WantsCommit() const override { return wants; }
      void OnCommitted(const Status& st) override { log->seen.push_back(st.ok() ? "ok" : st.message()); }
    };
    auto s = std::make_unique<S>();
    s->log = log;
    s->wants = wants;
    return s;
  };
  return def;
}

ComponentDef CommittingSinkDef(CommitLog* log) {
  ComponentDef def;
  def.kind = ComponentKind::kSink;
  def.type = "committing";
  def.make_sink = [log](BuildContext&) -> std::unique_ptr<Sink> {
    struct K final : Sink {
      CommitLog* log;
      void Write(const Batch&) override {}
      Status Commit() override {
        ++log->commits;
        return log->fail ? IoError("disk full") : Status::Ok();
      }
    };
    auto k = std::make_unique<K>();
    k->log = log;
    return k;
  };
  return def;
}

class ExecutorCommitTest : public ExecutorTest {
 protected:
  std::unique_ptr<Pipeline> BuildCommitting(bool wants) {
    registry_.Add(CommittingSourceDef(&log_, "producing", wants));
    registry_.Add(CommittingSinkDef(&log_));
    return Build(R"(
sources: [{id: in, type: producing}]
sinks:
  - {type: keep}
  - {type: committing}
)");
  }
  CommitLog log_;
};

TEST_F(ExecutorCommitTest, ReportsSuccessAfterEverySinkCommitted) {
  auto p = BuildCommitting(true);
  ASSERT_TRUE(p) << diagnostics_.ToString();
  Executor ex(p.get(), &clock_, &dead_letters_);
  ASSERT_TRUE(ex.Start().ok());
  log_.to_produce = 2;
  EXPECT_TRUE(ex.Step());
  EXPECT_TRUE(ex.Step());
  EXPECT_FALSE(ex.Step());  // nothing produced: no commit, no callback
  EXPECT_EQ(log_.commits, 2);
  EXPECT_EQ(log_.seen, (std::vector<std::string>{"ok", "ok"}));
  EXPECT_EQ(kept_.size(), 2u);  // delivered before the commit
  ex.Finish();
}

TEST_F(ExecutorCommitTest, ReportsAFailedCommitAndCountsIt) {
  auto p = BuildCommitting(true);
  ASSERT_TRUE(p) << diagnostics_.ToString();
  Executor ex(p.get(), &clock_, &dead_letters_);
  ASSERT_TRUE(ex.Start().ok());
  log_.fail = true;
  log_.to_produce = 1;
  ex.Step();
  ASSERT_EQ(log_.seen.size(), 1u);
  EXPECT_NE(log_.seen[0].find("disk full"), std::string::npos) << log_.seen[0];
  EXPECT_EQ(metrics_.CounterTotal("errors"), 1u);
  ex.Finish();
}

// A step whose events a stage dropped (filter, dedupe, deadband) is still a
// step that took the source's data: the source must hear the commit, or the
// upstream source never acknowledges those batches and the node resends
// them forever.
TEST_F(ExecutorCommitTest, ReportsTheCommitWhenAStageDroppedEveryEvent) {
  registry_.Add(CommittingSourceDef(&log_, "producing", true));
  registry_.Add(CommittingSinkDef(&log_));
  auto p = Build(R"(
sources: [{id: in, type: producing}]
stages:
  - filter: 'device == "nobody"'
sinks:
  - {type: keep}
  - {type: committing}
)");
  ASSERT_TRUE(p) << diagnostics_.ToString();
  Executor ex(p.get(), &clock_, &dead_letters_);
  ASSERT_TRUE(ex.Start().ok());
  log_.to_produce = 1;
  ex.Step();
  EXPECT_TRUE(kept_.empty());
  EXPECT_EQ(log_.seen, (std::vector<std::string>{"ok"}));
  ex.Finish();
}

TEST_F(ExecutorCommitTest, OtherSourcesDoNotTriggerCommits) {
  auto p = BuildCommitting(false);
  ASSERT_TRUE(p) << diagnostics_.ToString();
  Executor ex(p.get(), &clock_, &dead_letters_);
  ASSERT_TRUE(ex.Start().ok());
  log_.to_produce = 3;
  for (int i = 0; i < 3; ++i) ex.Step();
  EXPECT_EQ(log_.commits, 0);
  EXPECT_TRUE(log_.seen.empty());
  ex.Finish();
}

}  // namespace
}  // namespace edgeflow
