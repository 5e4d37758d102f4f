// Loading a pipeline file: environment substitution, then YAML parsing.
//
// `${NAME}` and `${NAME:-default}` are replaced with environment variables
// before parsing, where NAME is UPPER_SNAKE_CASE. Lower-case `${field}` is
// left alone: it is an event-field template read by the component (e.g. an
// MQTT topic). `$${` writes a literal `${`. An unset variable without a
// default is an error at its line and column.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config_node.h"

namespace edgeflow {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Reads the process environment.
std::optional<std::string> ProcessEnv(const std::string& name);

// Substitutes environment variables in `text`, reporting unset ones.
std::string SubstituteEnv(const std::string& text, const std::string& file_name,
                          const EnvLookup& env, Diagnostics* diagnostics);

struct LoadedConfig {
  YAML::Node root;
  std::shared_ptr<const std::string> file_name;
  ConfigNode Root(Diagnostics* diagnostics) const {
    return ConfigNode(root, "", file_name, diagnostics);
  }
};

// Parses YAML text (after substitution); syntax errors go to `diagnostics`
// and the result is nullopt.
std::optional<LoadedConfig> LoadYamlText(const std::string& text, const std::string& file_name,
                                         const EnvLookup& env, Diagnostics* diagnostics);
std::optional<LoadedConfig> LoadYamlFile(const std::string& path, Diagnostics* diagnostics);

}  // namespace edgeflow
