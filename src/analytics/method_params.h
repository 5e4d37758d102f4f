// MethodParams: a detection method's parameters as key=value text, with
// typed, range-checked getters that collect errors instead of stopping.
//
// Both the `detect` stage (from its YAML options) and `edgeflow nab`
// (from --set key=value) hand a method its parameters this way, so the
// analytics layer needs no config library. Errors carry the key, so the
// stage can report them at the right line of the pipeline file.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edgeflow::analytics {

// One documented parameter of a method (rendered in docs and --help).
struct MethodParam {
  std::string name;
  std::string type;  // "double", "int", "string", "list of string"
  std::string default_value;
  std::string description;
};

struct ParamError {
  std::string key;  // empty: not about one key
  std::string message;
};

class MethodParams {
 public:
  MethodParams() = default;
  explicit MethodParams(std::map<std::string, std::string> values) : values_(std::move(values)) {}

  // Parses "key=value" (the CLI's --set); false on a missing '='.
  bool AddAssignment(std::string_view text);
  void Set(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }

  bool Has(std::string_view key) const { return values_.count(std::string(key)) > 0; }
  // Readers return `fallback` when absent; a malformed or out-of-range value
  // records an error and returns `fallback`.
  double Double(std::string_view key, double fallback, double min, double max);
  int64_t Int(std::string_view key, int64_t fallback, int64_t min, int64_t max);
  std::string String(std::string_view key, std::string_view fallback);
  std::string Enum(std::string_view key, std::string_view fallback, const std::vector<std::string>& choices);
  // A comma-separated list.
  std::vector<std::string> List(std::string_view key);

  // The parameters whose names start with `prefix` + "." (an ensemble
  // member's own), with the prefix removed; they count as read.
  MethodParams Scoped(std::string_view prefix);

  void Error(std::string key, std::string message) { errors_.push_back({std::move(key), std::move(message)}); }
  // Records an error for every key no reader asked for.
  void CheckAllRead();

  const std::vector<ParamError>& errors() const { return errors_; }
  // OK, or every error as one invalid-config status.
  Status status() const;

 private:
  const std::string* Find(std::string_view key);

  std::map<std::string, std::string> values_;
  std::set<std::string> read_;
  std::vector<ParamError> errors_;
};

}  // namespace edgeflow::analytics
