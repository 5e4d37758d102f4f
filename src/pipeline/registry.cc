#include "pipeline/registry.h"

#include "common/check.h"

namespace edgeflow {

std::string_view ComponentKindName(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kSource: return "source";
    case ComponentKind::kStage: return "stage";
    case ComponentKind::kSink: return "sink";
  }
  return "component";
}

void Registry::Add(ComponentDef def) {
  auto key = std::make_pair(def.kind, def.type);
  CHECK(defs_.count(key) == 0) << "duplicate component type " << def.type;
  defs_.emplace(std::move(key), std::move(def));
}

const ComponentDef* Registry::Find(ComponentKind kind, const std::string& type) const {
  auto it = defs_.find({kind, type});
  return it == defs_.end() ? nullptr : &it->second;
}

std::vector<const ComponentDef*> Registry::List(ComponentKind kind) const {
  std::vector<const ComponentDef*> out;
  for (const auto& [key, def] : defs_) {
    if (key.first == kind) out.push_back(&def);
  }
  return out;
}

void Registry::AddAction(ActionDef def) {
  CHECK(actions_.count(def.type) == 0) << "duplicate action type " << def.type;
  std::string type = def.type;
  actions_.emplace(std::move(type), std::move(def));
}

const ActionDef* Registry::FindAction(const std::string& type) const {
  auto it = actions_.find(type);
  return it == actions_.end() ? nullptr : &it->second;
}

std::vector<const ActionDef*> Registry::ListActions() const {
  std::vector<const ActionDef*> out;
  for (const auto& [type, def] : actions_) out.push_back(&def);
  return out;
}

std::vector<std::string> Registry::TypeNames(ComponentKind kind) const {
  std::vector<std::string> out;
  for (const ComponentDef* def : List(kind)) out.push_back(def->type);
  return out;
}

const std::vector<ParamDef>& CommonParams(ComponentKind kind) {
  static const std::vector<ParamDef> kSource = {
      {"id", "string", "type name", "Name of the source in metrics and logs.", false},
      {"type", "string", "", "Source type.", true},
      {"to", "string", "input", "Stream the source writes to.", false},
      {"watermark_delay", "duration", "0s",
       "How far behind the newest event time the watermark trails (tolerated disorder).", false},
      {"idle_timeout", "duration", "5s",
       "After this long without events the source stops holding back the watermark.", false},
  };
  static const std::vector<ParamDef> kStage = {
      {"id", "string", "stages[i]", "Name of the stage in metrics and logs; also names its output stream.", false},
      {"from", "string or list", "previous stage", "Stream(s) the stage reads.", false},
      {"to", "string", "its id", "Stream the stage writes to.", false},
  };
  static const std::vector<ParamDef> kSink = {
      {"id", "string", "type name", "Name of the sink in metrics and logs.", false},
      {"type", "string", "", "Sink type.", true},
      {"from", "string or list", "last stage", "Stream(s) the sink reads.", false},
  };
  switch (kind) {
    case ComponentKind::kSource: return kSource;
    case ComponentKind::kStage: return kStage;
    case ComponentKind::kSink: return kSink;
  }
  return kStage;
}

void CheckDeclaredKeys(const ComponentDef& def, const ConfigNode& config) {
  if (def.free_form_keys || !config.is_map()) return;
  std::vector<std::string> allowed;
  for (const ParamDef& p : def.params) allowed.push_back(p.name);
  if (def.kind != ComponentKind::kStage) {
    for (const ParamDef& p : CommonParams(def.kind)) allowed.push_back(p.name);
  }
  config.CheckKeys(allowed);
  for (const ParamDef& p : def.params) {
    if (p.required) config.Require(p.name);
  }
}

}  // namespace edgeflow
