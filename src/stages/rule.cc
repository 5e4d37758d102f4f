#include "stages/rule.h"

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
  EventTemplate message;
  bool per_device = true;
  bool passthrough = false;
  bool emit_clear = false;
  std::vector<Symbol> evidence;  // fields the condition reads
};

struct KeyState {
  bool active = false;  // condition currently true
  TimeMicros since = 0;
  bool alerted = false;  // an alert fired during the current active run
  std::optional<TimeMicros> last_alert;
};

class RuleStage final : public Stage {
 public:
  RuleStage(RuleConfig config, const ComponentContext&)
      : c_(std::move(config)),
        rule_(Symbol::Intern("rule")),
        severity_(Symbol::Intern("severity")),
        message_(Symbol::Intern("message")),
        condition_(Symbol::Intern("condition")),
        held_(Symbol::Intern("held_s")),
        state_field_(Symbol::Intern("state")) {}

  void Process(Batch& batch, Emitter& out) override {
    alerts_.Clear();
    for (const Event& e : batch) Evaluate(e);
    if (c_.passthrough) {
      for (const Event& a : alerts_) batch.Append(a);
      out.Emit(batch);
    } else if (!alerts_.empty()) {
      out.Emit(alerts_);
    }
  }

 private:
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
  }

  RuleConfig c_;
  Symbol rule_, severity_, message_, condition_, held_, state_field_;
  std::vector<KeyState> by_device_;
  KeyState global_;
  Batch alerts_;
  std::string text_;
};

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
      {"then", "list", "[alert]", "Actions; `alert` emits the alert event (more arrive with the connectors).", false},
  };
  def.shorthand_param = "when";
  def.example = "rule: { when: \"vibration_rms_max > 1.0\", for: 30s, hold: 5m, message: \"vibration high on ${device}\" }";
  def.make_stage = [](BuildContext& ctx) -> std::unique_ptr<Stage> {
    const ConfigNode& cfg = ctx.config;
    auto when = CompileExpressionParam(ctx, "when");
    if (!when) return nullptr;
    RuleConfig c{cfg["name"].String(ctx.services.id), std::move(*when), 0, 0, "warning", {}, true, false, false, {}};
    c.hold_for = cfg["for"].Duration(0);
    c.spacing = cfg["hold"].Duration(0);
    if (c.hold_for < 0) cfg["for"].Error("must be >= 0");
    if (c.spacing < 0) cfg["hold"].Error("must be >= 0");
    c.severity = cfg["severity"].Enum("warning", {"info", "warning", "critical"});
    c.message = EventTemplate::Parse(cfg["message"].String(c.when.text()));
    c.per_device = cfg["key"].Enum("device", {"device", "none"}) == "device";
    c.passthrough = cfg["passthrough"].Bool(false);
    c.emit_clear = cfg["on_clear"].Bool(false);
    for (const std::string& action : cfg["then"].StringList()) {
      if (action != "alert") {
        cfg["then"].Error("unknown action '" + action + "'", "available now: alert");
      }
    }
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
