// Registry: every source, stage and sink type, by name, with its declared
// parameters.
//
// A ComponentDef is the single source of truth for a type: the factory that
// builds it, a one-line summary, a description and example for the docs, and
// the parameter list used both to reject unknown keys and to generate
// docs/reference/. Types are added explicitly from builtin.cc files (no static
// initialisers). The registry is filled once at start-up, then read-only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config_node.h"
#include "pipeline/action.h"
#include "pipeline/component.h"

namespace edgeflow {

enum class ComponentKind { kSource, kStage, kSink };
std::string_view ComponentKindName(ComponentKind kind);

struct ParamDef {
  std::string name;
  std::string type;           // "duration", "string", "expression", "list of string"...
  std::string default_value;  // empty when required or no default
  std::string description;
  bool required = false;
};

// What a factory gets: its config, runtime services and the graph around it.
// An action type a rule's `then:` can name (see pipeline/action.h).
struct ActionDef {
  std::string type;  // "mqtt"
  std::string summary;
  std::vector<ParamDef> params;
  std::string example;  // the YAML of one `then:` entry
  ActionFactory make;
};

class Registry;

struct BuildContext {
  ConfigNode config;
  ComponentContext services;
  Schema input_schema;   // what the incoming stream carries, where known
  Schema output_schema;  // set by the factory when it knows what it emits

  // Stages with side outputs (e.g. late events) declare them here by stream
  // name; the returned port number is what they pass to Emitter::Emit.
  std::function<int(const std::string& stream)> declare_output;
  // The registry the component was found in (for stages that build actions).
  const Registry* registry = nullptr;

  bool ok() const { return !config.diagnostics()->has_errors(); }
};

using SourceFactory = std::function<std::unique_ptr<Source>(BuildContext&)>;
using StageFactory = std::function<std::unique_ptr<Stage>(BuildContext&)>;
using SinkFactory = std::function<std::unique_ptr<Sink>(BuildContext&)>;

struct ComponentDef {
  ComponentKind kind = ComponentKind::kStage;
  std::string type;         // "window"
  std::string summary;      // one line
  std::string description;  // paragraphs (markdown)
  std::vector<ParamDef> params;
  // For stages: the parameter a scalar config sets (`filter: "x > 1"`).
  std::string shorthand_param;
  // The component validates its own keys (e.g. `map` takes field names).
  bool free_form_keys = false;
  std::string example;  // a YAML snippet; docs embed it, tests check it
  SourceFactory make_source;
  StageFactory make_stage;
  SinkFactory make_sink;
};

class Registry {
 public:
  void Add(ComponentDef def);
  const ComponentDef* Find(ComponentKind kind, const std::string& type) const;
  std::vector<const ComponentDef*> List(ComponentKind kind) const;
  std::vector<std::string> TypeNames(ComponentKind kind) const;

  // Actions a rule can take (`then:`), by type.
  void AddAction(ActionDef def);
  const ActionDef* FindAction(const std::string& type) const;
  std::vector<const ActionDef*> ListActions() const;

 private:
  std::map<std::pair<ComponentKind, std::string>, ComponentDef> defs_;
  std::map<std::string, ActionDef> actions_;
};

// Keys every component accepts besides its own parameters.
const std::vector<ParamDef>& CommonParams(ComponentKind kind);

// Rejects keys not declared by `def` (nor common), with did-you-mean hints.
void CheckDeclaredKeys(const ComponentDef& def, const ConfigNode& config);

}  // namespace edgeflow
