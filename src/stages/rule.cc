#include "stages/rule.h"

#include <spdlog/spdlog.h>

#include <limits>
#include <map>
#include <optional>

#include "common/time_format.h"
#include "connectors/codec/json_encoder.h"
#include "model/event_template.h"
#include "stages/stage_util.h"

namespace edgeflow {
namespace {

struct RuleConfig {
  std::string name;
  Expression when;
  TimeMicros hold_for = 0;   // `for:`
  TimeMicros spacing = 0;    // `hold:`
  std::string severity = "warning";
  EventTemplate message{};
  bool per_device = true;
  bool passthrough = false;
  bool emit_clear = false;
  std::vector<Symbol> evidence{};  // fields the condition reads
  bool emit_alert = true;        // `alert` is among the actions
  struct ActionSpec {
    std::string type;
    std::unique_ptr<Action> action;
    TimeMicros min_interval = 0;  // per device, processing time
  };
  std::vector<ActionSpec> actions{};
};

struct KeyState {
  bool active = false;  // condition currently true
  TimeMicros since = 0;
  bool alerted = false;  // an alert fired during the current active run
  std::optional<TimeMicros> last_alert;
};

class RuleStage final : public Stage {
 public:
  RuleStage(RuleConfig config, const ComponentContext& ctx)
      : c_(std::move(config)),
        ctx_(ctx),
        rule_(Symbol::Intern("rule")),
        severity_(Symbol::Intern("severity")),
        message_(Symbol::Intern("message")),
        condition_(Symbol::Intern("condition")),
        held_(Symbol::Intern("held_s")),
        state_field_(Symbol::Intern("state")),
        action_(Symbol::Intern("action")),
        status_(Symbol::Intern("status")),
        target_(Symbol::Intern("target")),
        detail_(Symbol::Intern("detail")) {
    last_fired_.resize(c_.actions.size());
  }

  ~RuleStage() override { StopActions(0); }

  void Process(Batch& batch, Emitter& out) override {
    alerts_.Clear();
    for (const Event& e : batch) Evaluate(e);
    CollectActionResults();
    if (c_.passthrough) {
      for (const Event& a : alerts_) batch.Append(a);
      out.Emit(batch);
    } else if (!alerts_.empty()) {
      out.Emit(alerts_);
    }
  }

  void OnTick(TimeMicros, Emitter& out) override {
    // Connect at the first tick (a running pipeline), not at build time:
    // `edgeflow check` builds stages too.
    StartActions();
    alerts_.Clear();
    CollectActionResults();
    if (!alerts_.empty()) out.Emit(alerts_);
  }

  void Flush(Emitter& out) override {
    alerts_.Clear();
    StopActions(5 * kMicrosPerSecond);
    CollectActionResults();
    if (!alerts_.empty()) out.Emit(alerts_);
  }

 private:
  // Fires the rule's actions for the alert just appended to alerts_.
  void StartActions() {
    if (actions_started_) return;
    actions_started_ = true;
    for (auto& spec : c_.actions) {
      if (Status st = spec.action->Start(); !st.ok()) {
        spdlog::error("rule '{}': cannot start the {} action: {}", c_.name, spec.type, st.ToString());
      }
    }
  }

  void FireActions(const Event& alert) {
    StartActions();
    const TimeMicros now = ctx_.clock->Monotonic();
    for (size_t i = 0; i < c_.actions.size(); ++i) {
      auto& spec = c_.actions[i];
      auto& last = last_fired_[i];
      const uint32_t id = alert.device.id();
      if (id >= last.size()) last.resize(id + 256, kNever);
      if (spec.min_interval > 0 && last[id] != kNever && now - last[id] < spec.min_interval) {
        ActionResult skipped{alert.device, alert.time, false, "", "rate limited (min_interval)"};
        AppendActionEvent(spec.type, skipped, "rate_limited");
        continue;
      }
      last[id] = now;
      spec.action->Fire(alert);
    }
  }

  void CollectActionResults() {
    for (auto& spec : c_.actions) {
      results_.clear();
      spec.action->TakeResults(results_);
      for (const ActionResult& r : results_) AppendActionEvent(spec.type, r, r.ok ? "ok" : "failed");
    }
  }

  void AppendActionEvent(const std::string& type, const ActionResult& r, const char* status) {
    Event& a = alerts_.Append();
    a.time = r.time;
    a.device = r.device;
    a.SetString(rule_, c_.name);
    a.SetString(action_, type);
    a.SetString(status_, status);
    a.SetString(target_, r.target);
    a.SetString(detail_, r.detail);
    Counter*& counter = action_counters_[type + "/" + status];
    if (counter == nullptr && ctx_.counters.registry != nullptr) {
      counter = ctx_.counters.registry->GetCounter(
          "rule_actions", ctx_.counters.labels + ",action=\"" + type + "\",status=\"" + status + "\"",
          "rule actions by outcome");
    }
    if (counter != nullptr) counter->Add();
    if (!r.ok && std::string_view(status) == "failed" && log_.Admit(*ctx_.clock)) {
      spdlog::warn("rule '{}': {} action for {} failed: {}", c_.name, type, r.device.name(), r.detail);
    }
  }

  void StopActions(TimeMicros drain) {
    if (!actions_started_ || actions_stopped_) return;
    actions_stopped_ = true;
    for (auto& spec : c_.actions) spec.action->Stop(drain);
  }

  KeyState& StateFor(const Event& e) {
    if (!c_.per_device) return global_;
    const uint32_t id = e.device.id();
    if (id >= by_device_.size()) by_device_.resize(id + 256);
    return by_device_[id];
  }

  void Evaluate(const Event& e) {
    KeyState& s = StateFor(e);
    if (!c_.when.Test(e)) {
      if (s.active && s.alerted && c_.emit_clear) Emit(e, s, "cleared");
      s.active = false;
      s.alerted = false;
      return;
    }
    if (!s.active) {
      s.active = true;
      s.since = e.time;
    }
    if (e.time - s.since < c_.hold_for) return;
    if (s.last_alert && e.time - *s.last_alert < c_.spacing) return;
    if (s.alerted && c_.spacing == 0) return;  // without hold: once per active run
    s.last_alert = e.time;
    s.alerted = true;
    Emit(e, s, "firing");
  }

  void Emit(const Event& e, const KeyState& s, const char* state) {
    const size_t index = alerts_.size();
    Event& a = alerts_.Append();
    a.time = e.time;
    a.device = e.device;
    a.SetString(rule_, c_.name);
    a.SetString(state_field_, state);
    a.SetString(severity_, c_.severity);
    text_.clear();
    c_.message.Render(e, text_);
    a.SetString(message_, text_);
    a.SetString(condition_, c_.when.text());
    a.SetDouble(held_, static_cast<double>(e.time - s.since) / kMicrosPerSecond);
    for (Symbol f : c_.evidence) {
      if (const Value* v = e.Find(f)) a.SetFrom(f, *v, e);
    }
    for (const Field& t : e.tags()) a.SetTag(t.name, e.Text(t.value));
    if (std::string_view(state) == "firing" && !c_.actions.empty()) FireActions(alerts_[index]);
    if (!c_.emit_alert) {
      // Actions only: the alert itself does not leave the stage. Swap it
      // with the last (action events may follow it) and drop it.
      std::swap(alerts_[index], alerts_.back());
      alerts_.PopBack();
    }
  }

  static constexpr TimeMicros kNever = std::numeric_limits<TimeMicros>::min();

  RuleConfig c_;
  const ComponentContext ctx_;
  Symbol rule_, severity_, message_, condition_, held_, state_field_;
  Symbol action_, status_, target_, detail_;
  std::vector<std::vector<TimeMicros>> last_fired_;  // per action, per device id
  std::vector<ActionResult> results_;
  std::map<std::string, Counter*> action_counters_;
  RateLimitedLog log_;
  bool actions_started_ = false;
  bool actions_stopped_ = false;
  std::vector<KeyState> by_device_;
  KeyState global_;
  Batch alerts_;
  std::string text_;
};

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// `then:` — a list of `alert` and single-key maps naming an action type.
void ParseActions(BuildContext& ctx, RuleConfig* c) {
  const ConfigNode then = ctx.config["then"];
  if (!then.defined()) return;
  if (!then.is_sequence()) {
    then.Error("expected a list of actions", "then: [alert, { mqtt: { topic: \"x/${device}/cmd\" } }]");
    return;
  }
  c->emit_alert = false;
  std::vector<std::string> known = {"alert"};
  if (ctx.registry != nullptr) {
    for (const ActionDef* def : ctx.registry->ListActions()) known.push_back(def->type);
  }
  for (size_t i = 0; i < then.size(); ++i) {
    const ConfigNode item = then.At(i);
    if (item.is_scalar()) {
      const std::string name = item.String("");
      if (name == "alert") {
        c->emit_alert = true;
      } else {
        item.Error("unknown action '" + name + "'", "actions: " + JoinNames(known));
      }
      continue;
    }
    if (!item.is_map() || item.Keys().size() != 1) {
      item.Error("an action is `alert` or a map with one key, the action type",
                 "- mqtt: { topic: \"factory/${device}/cmd\" }");
      continue;
    }
    const std::string type = item.Keys().front();
    const ActionDef* def = ctx.registry != nullptr ? ctx.registry->FindAction(type) : nullptr;
    if (def == nullptr) {
      item.Error("unknown action type '" + type + "'", "actions: " + JoinNames(known));
      continue;
    }
    const ConfigNode config = item[type];
    std::vector<std::string> keys = {"min_interval"};
    for (const ParamDef& p : def->params) keys.push_back(p.name);
    config.CheckKeys(keys);
    RuleConfig::ActionSpec spec;
    spec.type = type;
    spec.min_interval = config["min_interval"].Duration(0);
    if (spec.min_interval < 0) config["min_interval"].Error("must be >= 0");
    spec.action = def->make(config, ctx.services);
    if (spec.action) c->actions.push_back(std::move(spec));
  }
}

}  // namespace

ComponentDef RuleStageDef() {
  ComponentDef def;
  def.kind = ComponentKind::kStage;
  def.type = "rule";
  def.summary = "Emits an alert event when a condition holds, optionally for a minimum time, rate-limited per device.";
  def.description =
      "Time is event time. With `for`, the condition must hold on every event of the device "
      "for that long before an alert fires. Without `hold`, one alert fires per run of the "
      "condition being true; with `hold`, at most one alert per `hold` while it stays true. "
      "An alert event has the triggering event's time and device and the fields `rule`, "
      "`state` (firing, or cleared with `on_clear`), `severity`, `message`, `condition`, "
      "`held_s` (how long the condition has held) and the values of the fields the condition "
      "reads (the evidence). By default only alerts leave the stage; `passthrough: true` "
      "also forwards the input events.";
  def.params = {
      {"when", "expression", "", "Condition that raises the alert.", true},
      {"for", "duration", "0s", "How long the condition must hold before the alert fires.", false},
      {"hold", "duration", "0s", "Minimum time between two alerts of one device.", false},
      {"name", "string", "stage id", "Rule name written into alerts.", false},
      {"severity", "enum", "warning", "info | warning | critical.", false},
      {"message", "string", "condition text", "Alert text; ${device} and ${field} are replaced.", false},
      {"key", "enum", "device", "device (state per device) | none (one state for all).", false},
      {"passthrough", "bool", "false", "Also forward input events.", false},
      {"on_clear", "bool", "false", "Emit a `cleared` event when the condition stops holding after an alert.", false},
      {"then", "list", "[alert]",
       "What the rule does when it fires: `alert` emits the alert event; an action such as "
       "`{ mqtt: { topic: \"factory/${device}/cmd\", payload: slow_down, min_interval: 1m } }` "
       "publishes a command (see docs/stages/rule.md for the action types). Each action's "
       "outcome is recorded as an event with `action`, `status` (ok, failed, rate_limited), "
       "`target` and `detail`.",
       false},
  };
  def.shorthand_param = "when";
  def.example = "rule: { when: \"vibration_rms_max > 1.0\", for: 30s, hold: 5m, message: \"vibration high on ${device}\" }";
  def.make_stage = [](BuildContext& ctx) -> std::unique_ptr<Stage> {
    const ConfigNode& cfg = ctx.config;
    auto when = CompileExpressionParam(ctx, "when");
    if (!when) return nullptr;
    RuleConfig c{.name = cfg["name"].String(ctx.services.id), .when = std::move(*when)};
    c.hold_for = cfg["for"].Duration(0);
    c.spacing = cfg["hold"].Duration(0);
    if (c.hold_for < 0) cfg["for"].Error("must be >= 0");
    if (c.spacing < 0) cfg["hold"].Error("must be >= 0");
    c.severity = cfg["severity"].Enum("warning", {"info", "warning", "critical"});
    c.message = EventTemplate::Parse(cfg["message"].String(c.when.text()));
    c.per_device = cfg["key"].Enum("device", {"device", "none"}) == "device";
    c.passthrough = cfg["passthrough"].Bool(false);
    c.emit_clear = cfg["on_clear"].Bool(false);
    ParseActions(ctx, &c);
    for (const std::string& f : c.when.fields()) c.evidence.push_back(Symbol::Intern(f));
    ctx.output_schema.known = true;
    ctx.output_schema.fields = {"rule", "state", "severity", "message", "condition", "held_s"};
    for (const std::string& f : c.when.fields()) ctx.output_schema.fields.insert(f);
    if (c.passthrough) {
      ctx.output_schema.known = ctx.input_schema.known;
      ctx.output_schema.fields.insert(ctx.input_schema.fields.begin(), ctx.input_schema.fields.end());
    }
    if (!ctx.ok()) return nullptr;
    return std::make_unique<RuleStage>(std::move(c), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
