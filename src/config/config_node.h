// ConfigNode: a typed, path-aware view of one node of a parsed pipeline file.
//
// Components read their options through ConfigNode. Every getter checks the
// type and unit, and on error records a Diagnostic with file:line:column and
// the key path, then returns the default so checking can go on and report
// every error at once. Copyable and cheap (holds a YAML handle and a path).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "config/diagnostics.h"

namespace edgeflow {

class ConfigNode {
 public:
  ConfigNode(YAML::Node node, std::string path, std::shared_ptr<const std::string> file,
             Diagnostics* diagnostics, YAML::Mark parent_mark = YAML::Mark())
      : node_(std::move(node)),
        path_(std::move(path)),
        file_(std::move(file)),
        diagnostics_(diagnostics),
        parent_mark_(parent_mark) {}

  const std::string& path() const { return path_; }
  bool defined() const { return node_.IsDefined() && !node_.IsNull(); }
  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }
  size_t size() const { return node_.size(); }
  const YAML::Node& yaml() const { return node_; }
  Diagnostics* diagnostics() const { return diagnostics_; }
  // How many diagnostics were recorded so far (all nodes of the file share
  // them): compare before and after parsing a section to know whether it failed.
  size_t ErrorCount() const { return diagnostics_ == nullptr ? 0 : diagnostics_->items().size(); }

  // Child by key (path "a.b") or index (path "a[3]"); an absent child is
  // !defined() and reports errors at this node's position.
  ConfigNode operator[](std::string_view key) const;
  ConfigNode At(size_t index) const;
  // Keys of a map node, in file order.
  std::vector<std::string> Keys() const;
  bool Has(std::string_view key) const { return (*this)[key].defined(); }
  // True when the key is written, even with a null value (`type: null`).
  bool HasKey(std::string_view key) const { return (*this)[key].node_.IsDefined(); }

  // Scalar readers. When the node is absent they return `fallback` without
  // error; when present but wrong they report and return `fallback`.
  std::string String(std::string_view fallback = "") const;
  double Double(double fallback) const;
  int64_t Int(int64_t fallback) const;
  bool Bool(bool fallback) const;
  TimeMicros Duration(TimeMicros fallback) const;
  uint64_t Size(uint64_t fallback) const;
  // A string or a list of strings.
  std::vector<std::string> StringList() const;
  // One of `choices`; reports the allowed values otherwise.
  std::string Enum(std::string_view fallback, const std::vector<std::string>& choices) const;

  // Reports that a required key is missing, if it is.
  bool Require(std::string_view key) const;
  // Reports every key of this map not in `allowed`, with a did-you-mean hint.
  void CheckKeys(const std::vector<std::string>& allowed) const;

  // For a scalar shorthand (`filter: "x > 1"`): a map view {key: this node}
  // with the same path and position, so errors still point at the scalar.
  ConfigNode WrapScalarAs(const std::string& key) const;

  // Records an error at this node.
  void Error(std::string message, std::string hint = "") const;

 private:
  YAML::Mark Mark() const;

  YAML::Node node_;
  std::string path_;
  std::shared_ptr<const std::string> file_;
  Diagnostics* diagnostics_;
  YAML::Mark parent_mark_;
};

}  // namespace edgeflow
