#include "config/config_node.h"

#include <charconv>
#include <cmath>

#include "config/units.h"

namespace edgeflow {

YAML::Mark ConfigNode::Mark() const {
  if (node_.IsDefined()) {
    YAML::Mark m = node_.Mark();
    if (m.line >= 0) return m;
  }
  return parent_mark_;
}

void ConfigNode::Error(std::string message, std::string hint) const {
  if (diagnostics_ == nullptr) return;
  const YAML::Mark m = Mark();
  Diagnostic d;
  d.file = file_ ? *file_ : "";
  d.line = m.line >= 0 ? m.line + 1 : 0;
  d.column = m.column >= 0 ? m.column + 1 : 0;
  d.path = path_;
  d.message = std::move(message);
  d.hint = std::move(hint);
  diagnostics_->Add(std::move(d));
}

ConfigNode ConfigNode::operator[](std::string_view key) const {
  std::string child_path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  YAML::Node child;
  if (node_.IsMap()) {
    // Iterate rather than node_[key]: operator[] on a non-const node inserts.
    for (const auto& kv : node_) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) {
        child = kv.second;
        break;
      }
    }
  }
  return ConfigNode(child, std::move(child_path), file_, diagnostics_, Mark());
}

ConfigNode ConfigNode::At(size_t index) const {
  YAML::Node child;
  if (node_.IsSequence() && index < node_.size()) child = node_[index];
  return ConfigNode(child, path_ + "[" + std::to_string(index) + "]", file_, diagnostics_, Mark());
}

ConfigNode ConfigNode::WrapScalarAs(const std::string& key) const {
  YAML::Node wrapped(YAML::NodeType::Map);
  wrapped[key] = node_;
  return ConfigNode(wrapped, path_, file_, diagnostics_, Mark());
}

std::vector<std::string> ConfigNode::Keys() const {
  std::vector<std::string> keys;
  if (!node_.IsMap()) return keys;
  for (const auto& kv : node_) keys.push_back(kv.first.IsScalar() ? kv.first.Scalar() : "?");
  return keys;
}

std::string ConfigNode::String(std::string_view fallback) const {
  if (!defined()) return std::string(fallback);
  if (!node_.IsScalar()) {
    Error("expected a text value, got a " + std::string(node_.IsMap() ? "map" : "list"));
    return std::string(fallback);
  }
  return node_.Scalar();
}

double ConfigNode::Double(double fallback) const {
  if (!defined()) return fallback;
  if (!node_.IsScalar()) {
    Error("expected a number");
    return fallback;
  }
  const std::string& s = node_.Scalar();
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
    Error("expected a number, got '" + s + "'");
    return fallback;
  }
  return v;
}

int64_t ConfigNode::Int(int64_t fallback) const {
  if (!defined()) return fallback;
  if (!node_.IsScalar()) {
    Error("expected an integer");
    return fallback;
  }
  const std::string& s = node_.Scalar();
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    Error("expected an integer, got '" + s + "'");
    return fallback;
  }
  return v;
}

bool ConfigNode::Bool(bool fallback) const {
  if (!defined()) return fallback;
  const std::string s = node_.IsScalar() ? node_.Scalar() : "";
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  Error("expected true or false, got '" + s + "'");
  return fallback;
}

TimeMicros ConfigNode::Duration(TimeMicros fallback) const {
  if (!defined()) return fallback;
  if (!node_.IsScalar()) {
    Error("expected a duration such as 10s");
    return fallback;
  }
  auto parsed = ParseDuration(node_.Scalar());
  if (!parsed.ok()) {
    Error(parsed.status().message());
    return fallback;
  }
  return *parsed;
}

uint64_t ConfigNode::Size(uint64_t fallback) const {
  if (!defined()) return fallback;
  if (!node_.IsScalar()) {
    Error("expected a size such as 64MB");
    return fallback;
  }
  auto parsed = ParseSize(node_.Scalar());
  if (!parsed.ok()) {
    Error(parsed.status().message());
    return fallback;
  }
  return *parsed;
}

std::vector<std::string> ConfigNode::StringList() const {
  std::vector<std::string> out;
  if (!defined()) return out;
  if (node_.IsScalar()) {
    out.push_back(node_.Scalar());
    return out;
  }
  if (!node_.IsSequence()) {
    Error("expected a text value or a list of them");
    return out;
  }
  for (size_t i = 0; i < node_.size(); ++i) {
    ConfigNode item = At(i);
    if (!item.is_scalar()) {
      item.Error("expected a text value");
      continue;
    }
    out.push_back(item.yaml().Scalar());
  }
  return out;
}

std::string ConfigNode::Enum(std::string_view fallback, const std::vector<std::string>& choices) const {
  if (!defined()) return std::string(fallback);
  const std::string value = String(fallback);
  for (const std::string& c : choices) {
    if (c == value) return value;
  }
  std::string allowed;
  for (const std::string& c : choices) allowed += (allowed.empty() ? "" : ", ") + c;
  const std::string close = ClosestMatch(value, choices);
  Error("unknown value '" + value + "'",
        (close.empty() ? "" : "did you mean '" + close + "'? ") + "allowed: " + allowed);
  return std::string(fallback);
}

bool ConfigNode::Require(std::string_view key) const {
  if (Has(key)) return true;
  Error("missing required key '" + std::string(key) + "'");
  return false;
}

void ConfigNode::CheckKeys(const std::vector<std::string>& allowed) const {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    bool known = false;
    for (const std::string& a : allowed) known = known || a == key;
    if (known) continue;
    ConfigNode child((*this)[key]);
    const std::string close = ClosestMatch(key, allowed);
    std::string all;
    for (const std::string& a : allowed) all += (all.empty() ? "" : ", ") + a;
    child.Error("unknown key '" + key + "'",
                close.empty() ? "known keys: " + all : "did you mean '" + close + "'?");
  }
}

}  // namespace edgeflow
