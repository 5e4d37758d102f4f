#include "stages/map.h"

#include <charconv>
#include <algorithm>
#include <cmath>
#include <set>

#include "connectors/codec/json_encoder.h"
#include "stages/stage_util.h"

namespace edgeflow {
namespace {

enum class TargetType { kDouble, kInt, kBool, kString };

struct Assignment {
  Symbol field;
  Expression expression;
};
struct Conversion {
  Symbol field;
  TargetType type;
};
struct Renaming {
  Symbol from;
  Symbol to;
};

struct MapConfig {
  std::vector<Assignment> set;
  std::vector<Conversion> convert;
  std::vector<Renaming> rename;
  std::vector<Symbol> drop;
  std::vector<Symbol> keep;  // empty: keep all
};

class MapStage final : public Stage {
 public:
  MapStage(MapConfig config, const ComponentContext& ctx)
      : c_(std::move(config)), convert_failed_(ctx.counters.Dropped("convert_failed")) {}

  void Process(Batch& batch, Emitter& out) override {
    for (Event& e : batch) Apply(e);
    out.Emit(batch);
  }

 private:
  void Apply(Event& e) {
    for (const Assignment& a : c_.set) {
      const ExprValue v = a.expression.Evaluate(e);
      switch (v.type) {
        case ExprType::kMissing: e.Remove(a.field); break;
        case ExprType::kNumber: e.SetDouble(a.field, v.number); break;
        case ExprType::kBool: e.SetBool(a.field, v.boolean); break;
        case ExprType::kString:
          text_.assign(v.text);  // v.text may point into e's own buffer
          e.SetString(a.field, text_);
          break;
      }
    }
    for (const Conversion& c : c_.convert) Convert(e, c);
    for (const Renaming& r : c_.rename) e.Rename(r.from, r.to);
    for (Symbol d : c_.drop) e.Remove(d);
    if (!c_.keep.empty()) {
      for (size_t i = e.fields().size(); i-- > 0;) {
        const Symbol name = e.fields()[i].name;
        if (std::find(c_.keep.begin(), c_.keep.end(), name) == c_.keep.end()) e.Remove(name);
      }
    }
  }

  void Convert(Event& e, const Conversion& c) {
    Value* v = e.Find(c.field);
    if (v == nullptr) return;
    std::optional<double> number = v->AsNumber();
    if (!number && v->type == ValueType::kString) {
      const std::string_view s = e.Text(*v);
      double parsed = 0;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), parsed);
      if (ec == std::errc() && ptr == s.data() + s.size()) number = parsed;
      if (s == "true") number = 1;
      if (s == "false") number = 0;
    }
    switch (c.type) {
      case TargetType::kDouble:
      case TargetType::kInt:
      case TargetType::kBool:
        if (!number || !std::isfinite(*number)) {
          convert_failed_->Add();
          e.Remove(c.field);
          return;
        }
        if (c.type == TargetType::kDouble) *v = Value::Double(*number);
        if (c.type == TargetType::kInt) {
          // Beyond int64 there is no faithful integer: a failed conversion.
          if (!(*number >= -9.2233720368547758e18 && *number < 9.2233720368547758e18)) {
            convert_failed_->Add();
            e.Remove(c.field);
            return;
          }
          *v = Value::Int(std::llround(*number));
        }
        if (c.type == TargetType::kBool) *v = Value::Bool(*number != 0);
        return;
      case TargetType::kString:
        if (v->type == ValueType::kString) return;
        text_.clear();
        if (v->type == ValueType::kBool) {
          text_ = v->b ? "true" : "false";
        } else if (v->type == ValueType::kInt) {
          text_ = std::to_string(v->i);
        } else {
          AppendJsonNumber(v->d, text_);
        }
        e.SetString(c.field, text_);
        return;
    }
  }

  MapConfig c_;
  Counter* convert_failed_;
  std::string text_;
};

const std::vector<std::string> kSections = {"set", "convert", "rename", "drop", "keep"};

bool HasSection(const ConfigNode& cfg) {
  for (const std::string& k : cfg.Keys()) {
    if (std::find(kSections.begin(), kSections.end(), k) != kSections.end()) return true;
  }
  return false;
}

std::optional<MapConfig> ParseConfig(BuildContext& ctx) {
  const ConfigNode& cfg = ctx.config;
  if (!cfg.is_map()) {
    cfg.Error("expected a map", "e.g. map: { set: { temperature_c: \"f_to_c(temperature_f)\" } }");
    return std::nullopt;
  }
  MapConfig c;
  // Shorthand: `map: { new_field: "expression" }` means `set:`.
  const bool shorthand = !HasSection(cfg);
  if (!shorthand) cfg.CheckKeys(kSections);
  const ConfigNode set = shorthand ? cfg : cfg["set"];
  std::set<std::string> known = ctx.input_schema.fields;
  BuildContext scoped = ctx;
  auto reserved = [](const ConfigNode& at, const std::string& name) {
    if (name != "time" && name != "device" && name != "tags") return false;
    at.Error("'" + name + "' is not a field: it is the event's " + name,
             "choose another field name");
    return true;
  };
  for (const std::string& field : set.Keys()) {
    if (reserved(set[field], field)) continue;
    scoped.input_schema.fields = known;  // earlier assignments are visible to later ones
    auto expression = CompileExpression(scoped, set[field]);
    if (!expression) continue;
    c.set.push_back({Symbol::Intern(field), std::move(*expression)});
    known.insert(field);
  }
  if (!shorthand) {
    ConfigNode convert = cfg["convert"];
    for (const std::string& field : convert.Keys()) {
      const std::string t = convert[field].Enum("double", {"double", "int", "bool", "string"});
      const TargetType type = t == "int" ? TargetType::kInt : t == "bool" ? TargetType::kBool
                            : t == "string" ? TargetType::kString : TargetType::kDouble;
      c.convert.push_back({Symbol::Intern(field), type});
    }
    ConfigNode rename = cfg["rename"];
    for (const std::string& field : rename.Keys()) {
      scoped.input_schema.fields = known;
      CheckFieldKnown(scoped, rename[field], field);
      const std::string to = rename[field].String();
      if (reserved(rename[field], to)) continue;
      c.rename.push_back({Symbol::Intern(field), Symbol::Intern(to)});
      known.erase(field);
      known.insert(to);
    }
    for (const std::string& field : cfg["drop"].StringList()) {
      c.drop.push_back(Symbol::Intern(field));
      known.erase(field);
    }
    if (cfg.Has("keep")) {
      std::set<std::string> kept;
      for (const std::string& field : cfg["keep"].StringList()) {
        c.keep.push_back(Symbol::Intern(field));
        if (known.count(field)) kept.insert(field);
      }
      known = kept;
    }
  }
  ctx.output_schema.known = ctx.input_schema.known;
  ctx.output_schema.fields = known;
  return c;
}

}  // namespace

ComponentDef MapStageDef() {
  ComponentDef def;
  def.kind = ComponentKind::kStage;
  def.type = "map";
  def.summary = "Adds computed fields, converts types, renames, drops or keeps fields.";
  def.description =
      "Sections run in this order: set (expressions, evaluated in order so later ones see "
      "earlier results; a Missing result removes the field), convert (to double, int, bool or "
      "string; a value that cannot be converted removes the field and is counted as "
      "`dropped{reason=\"convert_failed\"}`), rename, drop, keep (only the listed fields "
      "remain). A map without section names is shorthand for `set`.";
  def.params = {
      {"set", "map of expressions", "", "field: expression to compute.", false},
      {"convert", "map", "", "field: double | int | bool | string.", false},
      {"rename", "map", "", "old_name: new_name.", false},
      {"drop", "list of string", "", "Fields to remove.", false},
      {"keep", "list of string", "", "If given, only these fields remain.", false},
  };
  def.free_form_keys = true;
  def.example = "map: { temperature_c: \"convert(temperature_f, 'F', 'C')\" }";
  def.make_stage = [](BuildContext& ctx) -> std::unique_ptr<Stage> {
    auto config = ParseConfig(ctx);
    if (!config || !ctx.ok()) return nullptr;
    return std::make_unique<MapStage>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
