// Helpers shared by stage factories.
#pragma once

#include <optional>
#include <string>

#include "pipeline/expression.h"
#include "pipeline/registry.h"

namespace edgeflow {

// Compiles the expression at `config` (reporting syntax errors at its
// position, and fields absent from a known input schema).
std::optional<Expression> CompileExpression(const BuildContext& ctx, const ConfigNode& config);
// Same for the parameter `key` of the stage's config.
std::optional<Expression> CompileExpressionParam(const BuildContext& ctx, const std::string& key);

// Reports a field name that a known input schema does not carry.
void CheckFieldKnown(const BuildContext& ctx, const ConfigNode& at, const std::string& field);

}  // namespace edgeflow
