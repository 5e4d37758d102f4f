// The rule stage's `then:` actions, with a recording action type: which
// alerts fire actions, min_interval per device, outcome events, and config
// errors. (The real action types are tested against real peers in
// tests/integration.)
#include <gtest/gtest.h>

#include "pipeline/test_harness.h"
#include "stages/rule.h"

namespace edgeflow {
namespace {

// Records the alerts it is fired for; reports each as ok on the next
// TakeResults (failed when the alert's value is negative).
struct Recorder {
  std::vector<std::string> fired;  // devices
  bool started = false;
  bool stopped = false;
};

class RecordingAction final : public Action {
 public:
  explicit RecordingAction(Recorder* r) : r_(r) {}
  Status Start() override {
    r_->started = true;
    return Status::Ok();
  }
  void Fire(const Event& alert) override {
    r_->fired.emplace_back(alert.device.name());
    const std::optional<double> v = alert.Number(Symbol::Intern("v"));
    pending_.push_back({alert.device, alert.time, v && *v >= 0, "target-1", "recorded"});
  }
  void TakeResults(std::vector<ActionResult>& out) override {
    for (ActionResult& r : pending_) out.push_back(std::move(r));
    pending_.clear();
  }
  void Stop(TimeMicros) override { r_->stopped = true; }

 private:
  Recorder* r_;
  std::vector<ActionResult> pending_;
};

class RuleActionsTest : public ::testing::Test {
 protected:
  RuleActionsTest() {
    ActionDef def;
    def.type = "record";
    def.summary = "test";
    def.params = {{"label", "string", "", "", false}};
    def.make = [this](const ConfigNode&, const ComponentContext&) -> std::unique_ptr<Action> {
      return std::make_unique<RecordingAction>(&recorder_);
    };
    registry_.AddAction(def);
    h_.set_registry(&registry_);
  }

  void Feed(Stage& stage, const char* device, double v, TimeMicros t) {
    Batch b;
    Event& e = b.Append();
    e.device = Symbol::Intern(device);
    e.time = t;
    e.SetDouble(Symbol::Intern("v"), v);
    stage.Process(b, out_);
  }

  std::vector<std::string> Statuses() {
    std::vector<std::string> s;
    for (const Event& e : out_.main()) {
      if (const Value* v = e.Find(Symbol::Intern("status"))) s.emplace_back(e.Text(*v));
    }
    return s;
  }

  size_t Alerts() {
    size_t n = 0;
    for (const Event& e : out_.main()) n += e.Find(Symbol::Intern("state")) != nullptr;
    return n;
  }

  Recorder recorder_;
  Registry registry_;
  TestHarness h_;
  CollectingEmitter out_;
};

TEST_F(RuleActionsTest, FiresOnAlertsAndRecordsOutcomes) {
  auto stage = h_.BuildStage(RuleStageDef(), "{ when: \"v > 10 or v < -10\", then: [alert, { record: {} }] }");
  ASSERT_NE(stage, nullptr) << h_.errors();
  Feed(*stage, "a", 20, 1);   // fires
  Feed(*stage, "a", 1, 2);    // clears the run
  Feed(*stage, "b", -20, 3);  // fires; the recorder reports it failed
  EXPECT_EQ(recorder_.fired, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(recorder_.started);
  EXPECT_EQ(Alerts(), 2u);
  EXPECT_EQ(Statuses(), (std::vector<std::string>{"ok", "failed"}));
  EXPECT_EQ(h_.metrics().CounterValue("rule_actions", "stage=\"rule\",action=\"record\",status=\"ok\""), 1u);
  stage->Flush(out_);
  EXPECT_TRUE(recorder_.stopped);
}

TEST_F(RuleActionsTest, MinIntervalHoldsBackRepeatsPerDevice) {
  auto stage = h_.BuildStage(RuleStageDef(), "{ when: \"v > 10\", then: [{ record: { min_interval: 1m } }] }");
  ASSERT_NE(stage, nullptr) << h_.errors();
  Feed(*stage, "a", 20, 1);
  Feed(*stage, "a", 1, 2);
  Feed(*stage, "a", 20, 3);  // a new run, but within a minute of processing time
  Feed(*stage, "b", 20, 4);  // another device is not held back
  h_.clock().Advance(61 * kMicrosPerSecond);
  Feed(*stage, "a", 1, 5);
  Feed(*stage, "a", 20, 6);  // after the interval: fires again
  EXPECT_EQ(recorder_.fired, (std::vector<std::string>{"a", "b", "a"}));
  EXPECT_EQ(Statuses(), (std::vector<std::string>{"ok", "rate_limited", "ok", "ok"}));
  // `then:` without `alert` emits outcomes only.
  EXPECT_EQ(Alerts(), 0u);
}

TEST_F(RuleActionsTest, OutcomesThatArriveLaterAreEmittedOnTick) {
  auto stage = h_.BuildStage(RuleStageDef(), "{ when: \"v > 10\", then: [{ record: {} }] }");
  ASSERT_NE(stage, nullptr);
  stage->OnTick(0, out_);  // starts the actions (a running pipeline)
  EXPECT_TRUE(recorder_.started);
  EXPECT_TRUE(out_.main().empty());
}

TEST_F(RuleActionsTest, ConfigErrorsNameTheProblem) {
  EXPECT_EQ(h_.BuildStage(RuleStageDef(), "{ when: \"v > 1\", then: [alarm] }"), nullptr);
  EXPECT_NE(h_.errors().find("unknown action 'alarm'"), std::string::npos) << h_.errors();
  EXPECT_NE(h_.errors().find("alert, record"), std::string::npos) << h_.errors();
  TestHarness other;
  other.set_registry(&registry_);
  EXPECT_EQ(other.BuildStage(RuleStageDef(), "{ when: \"v > 1\", then: [{ mqtt: {} }] }"), nullptr);
  EXPECT_NE(other.errors().find("unknown action type 'mqtt'"), std::string::npos) << other.errors();
  TestHarness keys;
  keys.set_registry(&registry_);
  EXPECT_EQ(keys.BuildStage(RuleStageDef(), "{ when: \"v > 1\", then: [{ record: { lable: x } }] }"), nullptr);
  EXPECT_NE(keys.errors().find("lable"), std::string::npos) << keys.errors();
  EXPECT_FALSE(recorder_.started);  // building never starts actions (edgeflow check)
}

}  // namespace
}  // namespace edgeflow
