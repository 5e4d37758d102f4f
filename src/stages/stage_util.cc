#include "stages/stage_util.h"

#include <vector>

namespace edgeflow {

void CheckFieldKnown(const BuildContext& ctx, const ConfigNode& at, const std::string& field) {
  if (!ctx.input_schema.known || ctx.input_schema.fields.count(field) > 0) return;
  std::vector<std::string> known(ctx.input_schema.fields.begin(), ctx.input_schema.fields.end());
  const std::string close = ClosestMatch(field, known);
  std::string all;
  for (const std::string& k : known) all += (all.empty() ? "" : ", ") + k;
  at.Error("unknown field '" + field + "'",
           close.empty() ? "the input carries: " + all : "did you mean '" + close + "'?");
}

std::optional<Expression> CompileExpression(const BuildContext& ctx, const ConfigNode& config) {
  if (!config.defined()) return std::nullopt;
  if (!config.is_scalar()) {
    config.Error("expected an expression (text)",
                 "quote it: \"x > 1\"; map sections are set, convert, rename, drop, keep");
    return std::nullopt;
  }
  CompileError error;
  auto compiled = Expression::CompileDetailed(config.yaml().Scalar(), &error);
  if (!compiled.ok()) {
    config.Error("bad expression at column " + std::to_string(error.column) + ": " + error.message,
                 error.hint);
    return std::nullopt;
  }
  for (const std::string& field : compiled->fields()) CheckFieldKnown(ctx, config, field);
  return std::move(compiled).value();
}

std::optional<Expression> CompileExpressionParam(const BuildContext& ctx, const std::string& key) {
  ConfigNode node = ctx.config[key];
  if (!node.defined()) {
    ctx.config.Error("missing required key '" + key + "'");
    return std::nullopt;
  }
  return CompileExpression(ctx, node);
}

}  // namespace edgeflow
