#include "pipeline/pipeline.h"

#include <algorithm>
#include <map>

namespace edgeflow {
namespace {

// Names and schemas of the streams seen so far while building in file order.
class StreamTable {
 public:
  explicit StreamTable(Pipeline* p) : p_(p) {}

  int Declare(const std::string& name) {
    auto it = index_.find(name);
    if (it != index_.end()) return it->second;
    const int id = static_cast<int>(p_->streams.size());
    p_->streams.push_back(name);
    index_[name] = id;
    schemas_.emplace_back();
    return id;
  }
  int Find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? -1 : it->second;
  }
  // A stream's schema is known only if every producer's is.
  void AddProducerSchema(int stream, const Schema& schema) {
    Entry& e = schemas_[static_cast<size_t>(stream)];
    if (e.producers == 0) {
      e.schema = schema;
    } else if (!schema.known || !e.schema.known) {
      e.schema.known = false;
    } else {
      e.schema.fields.insert(schema.fields.begin(), schema.fields.end());
    }
    ++e.producers;
  }
  Schema SchemaOf(const std::vector<int>& streams) const {
    Schema out;
    out.known = !streams.empty();
    for (int s : streams) {
      const Entry& e = schemas_[static_cast<size_t>(s)];
      if (!e.schema.known) out.known = false;
      out.fields.insert(e.schema.fields.begin(), e.schema.fields.end());
    }
    if (!out.known) out.fields.clear();
    return out;
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& [name, id] : index_) out.push_back(name);
    return out;
  }

 private:
  struct Entry {
    Schema schema;
    int producers = 0;
  };
  Pipeline* p_;
  std::map<std::string, int> index_;
  std::vector<Entry> schemas_;
};

ComponentCounters MakeCounters(MetricsRegistry* metrics, ComponentKind kind, const std::string& id) {
  ComponentCounters c;
  c.registry = metrics;
  c.labels = std::string(ComponentKindName(kind)) + "=\"" + id + "\"";
  // Sources have no input and sinks no output: they get a private counter
  // that is not exported.
  static Counter unused;
  c.in = kind == ComponentKind::kSource ? &unused : metrics->GetCounter("events_in", c.labels, "events received");
  c.out = kind == ComponentKind::kSink ? &unused : metrics->GetCounter("events_out", c.labels, "events emitted");
  c.late = metrics->GetCounter("events_late", c.labels, "events behind the watermark");
  c.errors = metrics->GetCounter("errors", c.labels, "processing errors");
  return c;
}

ComponentContext MakeServices(const BuildServices& s, const std::string& id,
                              const ComponentCounters& counters, Wakeup* wakeup,
                              const std::string& node_name) {
  ComponentContext c;
  c.id = id;
  c.node_name = node_name;
  c.clock = s.clock;
  c.metrics = s.metrics;
  c.counters = counters;
  c.dead_letters = s.dead_letters;
  c.wakeup = wakeup;
  return c;
}

// Resolves `from:` (string or list) into stream indexes, reporting unknown ones.
std::vector<int> ResolveInputs(const ConfigNode& from, const std::vector<int>& fallback,
                               const StreamTable& streams) {
  if (!from.defined()) return fallback;
  std::vector<int> out;
  for (const std::string& name : from.StringList()) {
    const int s = streams.Find(name);
    if (s < 0) {
      const std::string close = ClosestMatch(name, streams.Names());
      from.Error("unknown stream '" + name + "'",
                 close.empty() ? "a stage can only read streams produced by sources or earlier stages"
                               : "did you mean '" + close + "'?");
      continue;
    }
    out.push_back(s);
  }
  return out;
}

// Checks that `list` is a non-empty list of `what` ("source", "sink").
bool CheckComponentList(const ConfigNode& list, const std::string& what, const std::string& hint) {
  if (list.defined() && list.is_sequence() && list.size() > 0) return true;
  const bool wrong_type = list.defined() && !list.is_sequence();
  list.Error(wrong_type ? "expected a list of " + what + "s" : "a pipeline needs at least one " + what, hint);
  return false;
}

// The definition named by an item's `type:`, or null after reporting why.
// `type: null` reads as a YAML null; for sinks it means the null sink.
const ComponentDef* FindItemType(const ConfigNode& item, ComponentKind kind, const Registry& registry,
                                 std::string* type) {
  if (!item.is_map()) {
    item.Error("expected a map with 'type:'");
    return nullptr;
  }
  const bool null_sink = kind == ComponentKind::kSink && item.HasKey("type") && !item.Has("type");
  if (!null_sink && !item.Require("type")) return nullptr;
  *type = null_sink ? "null" : item["type"].String();
  const ComponentDef* def = registry.Find(kind, *type);
  if (def == nullptr) {
    const std::string kind_name(ComponentKindName(kind));
    const std::string close = ClosestMatch(*type, registry.TypeNames(kind));
    item["type"].Error("unknown " + kind_name + " type '" + *type + "'",
                       close.empty() ? "see docs/reference/" + kind_name + "s.md" : "did you mean '" + close + "'?");
    return nullptr;
  }
  CheckDeclaredKeys(*def, item);
  return def;
}

void BuildSources(const ConfigNode& list, const BuildServices& s, Pipeline* p, StreamTable* streams) {
  if (!CheckComponentList(list, "source", "add 'sources:' with e.g. a 'sim' source")) return;
  std::map<std::string, int> ids;
  for (size_t i = 0; i < list.size(); ++i) {
    ConfigNode item = list.At(i);
    std::string type;
    const ComponentDef* def = FindItemType(item, ComponentKind::kSource, *s.registry, &type);
    if (def == nullptr) continue;
    SourceNode node;
    node.id = item["id"].String(list.size() == 1 ? type : type + std::to_string(i));
    if (ids.count(node.id)) item["id"].Error("duplicate source id '" + node.id + "'");
    ids[node.id] = 1;
    node.type = type;
    node.watermark_delay = item["watermark_delay"].Duration(0);
    node.idle_timeout = item["idle_timeout"].Duration(5 * kMicrosPerSecond);
    if (node.watermark_delay < 0) item["watermark_delay"].Error("must be >= 0");
    if (node.idle_timeout <= 0) item["idle_timeout"].Error("must be > 0");
    node.stream = streams->Declare(item["to"].String(kDefaultInputStream));
    node.counters = MakeCounters(s.metrics, ComponentKind::kSource, node.id);
    BuildContext ctx{item, MakeServices(s, node.id, node.counters, p->wakeup.get(), p->node_name), {}, {}, nullptr};
    ctx.declare_output = [](const std::string&) { return 0; };
    ctx.registry = s.registry;
    node.source = def->make_source(ctx);
    streams->AddProducerSchema(node.stream, ctx.output_schema);
    p->sources.push_back(std::move(node));
  }
}

// A stage item is `{TYPE: config, id:, from:, to:}`: find TYPE among its keys.
const ComponentDef* FindStageType(const ConfigNode& item, const Registry& registry, std::string* type) {
  const ComponentDef* found = nullptr;
  for (const std::string& key : item.Keys()) {
    if (key == "id" || key == "from" || key == "to") continue;
    const ComponentDef* def = registry.Find(ComponentKind::kStage, key);
    if (def == nullptr) {
      std::vector<std::string> candidates = registry.TypeNames(ComponentKind::kStage);
      const std::string close = ClosestMatch(key, candidates);
      std::string all;
      for (const std::string& c : candidates) all += (all.empty() ? "" : ", ") + c;
      item[key].Error("unknown stage type '" + key + "'",
                      close.empty() ? "stage types: " + all : "did you mean '" + close + "'?");
      return nullptr;
    }
    if (found != nullptr) {
      item[key].Error("a stage item has one type, found '" + *type + "' and '" + key + "'",
                      "start a new list item with '-' for the next stage");
      return nullptr;
    }
    found = def;
    *type = key;
  }
  if (found == nullptr) item.Error("stage has no type", "e.g. '- filter: \"x > 1\"'");
  return found;
}

void BuildStages(const ConfigNode& list, const BuildServices& s, Pipeline* p, StreamTable* streams,
                 std::vector<int>* last_output) {
  if (!list.defined()) return;
  if (!list.is_sequence()) {
    list.Error("expected a list of stages");
    return;
  }
  std::map<std::string, int> ids;
  for (size_t i = 0; i < list.size(); ++i) {
    ConfigNode item = list.At(i);
    if (!item.is_map()) {
      item.Error("expected a stage such as '- filter: \"x > 1\"'");
      continue;
    }
    std::string type;
    const ComponentDef* def = FindStageType(item, *s.registry, &type);
    if (def == nullptr) continue;
    StageNode node;
    node.type = type;
    node.id = item["id"].String(list.path() + "[" + std::to_string(i) + "]");
    if (ids.count(node.id)) item["id"].Error("duplicate stage id '" + node.id + "'");
    ids[node.id] = 1;
    node.inputs = ResolveInputs(item["from"], *last_output, *streams);
    node.counters = MakeCounters(s.metrics, ComponentKind::kStage, node.id);

    ConfigNode config = item[type];
    if (config.is_scalar() && !def->shorthand_param.empty()) {
      config = config.WrapScalarAs(def->shorthand_param);
    }
    CheckDeclaredKeys(*def, config);
    std::vector<std::string> side_streams;
    BuildContext ctx{config, MakeServices(s, node.id, node.counters, p->wakeup.get(), p->node_name), streams->SchemaOf(node.inputs),
                     {}, nullptr};
    ctx.registry = s.registry;
    ctx.declare_output = [&side_streams](const std::string& stream) {
      side_streams.push_back(stream);
      return static_cast<int>(side_streams.size());
    };
    node.stage = def->make_stage(ctx);
    const std::string main_stream = item["to"].String(node.id);
    node.outputs.push_back(streams->Declare(main_stream));
    streams->AddProducerSchema(node.outputs[0], ctx.output_schema);
    for (const std::string& side : side_streams) {
      node.outputs.push_back(streams->Declare(side));
      streams->AddProducerSchema(node.outputs.back(), Schema{});
    }
    *last_output = {node.outputs[0]};
    p->stages.push_back(std::move(node));
  }
}

void BuildSinks(const ConfigNode& list, const BuildServices& s, Pipeline* p, const StreamTable& streams,
                const std::vector<int>& last_output) {
  if (!CheckComponentList(list, "sink", "add 'sinks: [{type: stdout}]'")) return;
  std::map<std::string, int> ids;
  for (size_t i = 0; i < list.size(); ++i) {
    ConfigNode item = list.At(i);
    std::string type;
    const ComponentDef* def = FindItemType(item, ComponentKind::kSink, *s.registry, &type);
    if (def == nullptr) continue;
    SinkNode node;
    node.type = type;
    node.id = item["id"].String(list.size() == 1 ? type : type + std::to_string(i));
    if (ids.count(node.id)) item["id"].Error("duplicate sink id '" + node.id + "'");
    ids[node.id] = 1;
    node.inputs = ResolveInputs(item["from"], last_output, streams);
    node.counters = MakeCounters(s.metrics, ComponentKind::kSink, node.id);
    BuildContext ctx{item, MakeServices(s, node.id, node.counters, p->wakeup.get(), p->node_name), streams.SchemaOf(node.inputs), {},
                     nullptr};
    ctx.declare_output = [](const std::string&) { return 0; };
    ctx.registry = s.registry;
    node.sink = def->make_sink(ctx);
    p->sinks.push_back(std::move(node));
  }
}

}  // namespace

std::unique_ptr<Pipeline> BuildPipeline(const LoadedConfig& config, const BuildServices& services,
                                        Diagnostics* diagnostics) {
  ConfigNode root = config.Root(diagnostics);
  root.CheckKeys({"node", "description", "settings", "sources", "stages", "sinks"});
  auto p = std::make_unique<Pipeline>();
  p->node_name = root["node"].String("edgeflow");
  ConfigNode settings = root["settings"];
  settings.CheckKeys({"batch_size", "tick", "max_names"});
  p->settings.batch_size = static_cast<size_t>(settings["batch_size"].Int(1024));
  p->settings.tick = settings["tick"].Duration(100 * kMicrosPerMilli);
  const int64_t max_names = settings["max_names"].Int(1'000'000);
  if (max_names < 1000 || max_names > 10'000'000) settings["max_names"].Error("must be between 1000 and 10000000");
  p->settings.max_names = static_cast<size_t>(std::clamp<int64_t>(max_names, 1000, 10'000'000));
  Symbol::SetMaxNames(p->settings.max_names);
  if (p->settings.batch_size == 0 || p->settings.batch_size > 1'000'000) {
    settings["batch_size"].Error("must be between 1 and 1000000");
  }
  if (p->settings.tick <= 0) settings["tick"].Error("must be > 0");

  StreamTable streams(p.get());
  p->dead_letter_stream = streams.Declare(kDeadLetterStream);
  BuildSources(root["sources"], services, p.get(), &streams);
  std::vector<int> last_output;
  if (const int input = streams.Find(kDefaultInputStream); input >= 0) last_output = {input};
  BuildStages(root["stages"], services, p.get(), &streams, &last_output);
  BuildSinks(root["sinks"], services, p.get(), streams, last_output);
  if (diagnostics->has_errors()) return nullptr;
  return p;
}

}  // namespace edgeflow
