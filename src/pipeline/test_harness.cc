#include "pipeline/test_harness.h"

namespace edgeflow {

BuildContext TestHarness::MakeContext(const ComponentDef& def, const std::string& yaml,
                                      Schema input) {
  YAML::Node node;
  try {
    node = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    diagnostics_.Add({"<test>", e.mark.line + 1, e.mark.column + 1, "", "YAML: " + e.msg, ""});
  }
  auto file = std::make_shared<const std::string>("<test>");
  ConfigNode config(node, def.type, file, &diagnostics_);
  if (config.is_scalar() && !def.shorthand_param.empty()) {
    config = config.WrapScalarAs(def.shorthand_param);
  }
  CheckDeclaredKeys(def, config);
  BuildContext ctx{config, {}, std::move(input), {}, nullptr};
  ctx.services.id = def.type;
  ctx.registry = registry_;
  ctx.services.clock = &clock_;
  ctx.services.metrics = &metrics_;
  ctx.services.dead_letters = &dead_letters_;
  const std::string labels = std::string(ComponentKindName(def.kind)) + "=\"" + def.type + "\"";
  ctx.services.counters.registry = &metrics_;
  ctx.services.counters.labels = labels;
  ctx.services.counters.in = metrics_.GetCounter("in", labels);
  ctx.services.counters.out = metrics_.GetCounter("out", labels);
  ctx.services.counters.late = metrics_.GetCounter("late", labels);
  ctx.services.counters.errors = metrics_.GetCounter("errors", labels);
  ctx.declare_output = [this](const std::string& stream) {
    side_outputs_.push_back(stream);
    return static_cast<int>(side_outputs_.size());
  };
  return ctx;
}

std::unique_ptr<Stage> TestHarness::BuildStage(const ComponentDef& def, const std::string& yaml,
                                               Schema input) {
  BuildContext ctx = MakeContext(def, yaml, std::move(input));
  auto stage = def.make_stage(ctx);
  last_output_schema = ctx.output_schema;
  if (diagnostics_.has_errors()) return nullptr;
  return stage;
}

std::unique_ptr<Source> TestHarness::BuildSource(const ComponentDef& def, const std::string& yaml) {
  BuildContext ctx = MakeContext(def, yaml, {});
  auto source = def.make_source(ctx);
  last_output_schema = ctx.output_schema;
  if (diagnostics_.has_errors()) return nullptr;
  return source;
}

std::unique_ptr<Sink> TestHarness::BuildSink(const ComponentDef& def, const std::string& yaml) {
  BuildContext ctx = MakeContext(def, yaml, {});
  auto sink = def.make_sink(ctx);
  if (diagnostics_.has_errors()) return nullptr;
  return sink;
}

}  // namespace edgeflow
