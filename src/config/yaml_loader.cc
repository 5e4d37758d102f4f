#include "config/yaml_loader.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace edgeflow {

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

namespace {
bool IsEnvName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}
}  // namespace

std::string SubstituteEnv(const std::string& text, const std::string& file_name,
                          const EnvLookup& env, Diagnostics* diagnostics) {
  std::string out;
  out.reserve(text.size());
  int line = 1, column = 1;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      column += 3;
      continue;
    }
    if (text.compare(i, 2, "${") == 0) {
      const size_t close = text.find('}', i + 2);
      if (close != std::string::npos && text.find('\n', i) > close) {
        const std::string inner = text.substr(i + 2, close - i - 2);
        const size_t dash = inner.find(":-");
        const std::string name = inner.substr(0, dash);
        if (IsEnvName(name)) {
          std::optional<std::string> value = env(name);
          if (!value && dash != std::string::npos) value = inner.substr(dash + 2);
          if (value) {
            out += *value;
          } else {
            diagnostics->Add({file_name, line, column, "",
                              "environment variable " + name + " is not set",
                              "export it, or give a default: ${" + name + ":-value}"});
          }
          column += static_cast<int>(close + 1 - i);
          i = close + 1;
          continue;
        }
      }
    }
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    out += text[i++];
  }
  return out;
}

std::optional<LoadedConfig> LoadYamlText(const std::string& text, const std::string& file_name,
                                         const EnvLookup& env, Diagnostics* diagnostics) {
  const std::string substituted = SubstituteEnv(text, file_name, env, diagnostics);
  LoadedConfig loaded;
  loaded.file_name = std::make_shared<const std::string>(file_name);
  try {
    loaded.root = YAML::Load(substituted);
  } catch (const YAML::Exception& e) {
    diagnostics->Add({file_name, e.mark.line + 1, e.mark.column + 1, "",
                      "YAML syntax error: " + e.msg, "check indentation and quoting"});
    return std::nullopt;
  }
  if (!loaded.root.IsMap()) {
    diagnostics->Add({file_name, 1, 1, "", "a pipeline file must be a YAML map",
                      "start with 'sources:', 'stages:' and 'sinks:'"});
    return std::nullopt;
  }
  return loaded;
}

std::optional<LoadedConfig> LoadYamlFile(const std::string& path, Diagnostics* diagnostics) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics->Add({path, 0, 0, "", "cannot open file", "check the path"});
    return std::nullopt;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return LoadYamlText(buffer.str(), path, ProcessEnv, diagnostics);
}

}  // namespace edgeflow
