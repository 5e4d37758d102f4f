#include "connectors/coap/coap_paths.h"

#include <charconv>

namespace edgeflow {
namespace {

// Calls `segment(text, index)` for every '/'-separated segment of `path`
// until it returns false; returns the number of segments visited.
template <typename F>
size_t ForEachSegment(std::string_view path, F&& segment) {
  size_t index = 0;
  while (true) {
    const size_t slash = path.find('/');
    if (!segment(path.substr(0, slash), index++)) return index;
    if (slash == std::string_view::npos) return index;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

std::optional<ResourcePattern> ParseResourcePattern(std::string_view text, std::string* error) {
  while (!text.empty() && text.front() == '/') text.remove_prefix(1);
  if (text.empty()) {
    *error = "a resource path must not be empty";
    return std::nullopt;
  }
  ResourcePattern pattern;
  pattern.text = std::string(text);
  bool ok = true;
  ForEachSegment(text, [&](std::string_view segment, size_t) {
    if (segment.empty()) {
      *error = "'" + pattern.text + "' has an empty segment";
      ok = false;
    } else if (segment != "+" && segment.find_first_of("+#") != std::string_view::npos) {
      *error = "'" + pattern.text + "': '+' must be a whole segment and '#' is not supported";
      ok = false;
    }
    pattern.segments.emplace_back(segment);
    return ok;
  });
  if (!ok) return std::nullopt;
  return pattern;
}

std::optional<DeviceRule> ParseDeviceRule(std::string_view text, std::string* error) {
  DeviceRule rule;
  if (text.empty()) return rule;
  if (!text.starts_with("path[")) {
    rule.kind = DeviceRule::Kind::kFixed;
    rule.fixed = std::string(text);
    return rule;
  }
  const std::string_view digits = text.substr(5, text.size() - 6);
  size_t index = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (!text.ends_with("]") || digits.empty() || ec != std::errc() ||
      ptr != digits.data() + digits.size()) {
    *error = "expected path[N] with N the 0-based index of a path segment, got '" +
             std::string(text) + "'";
    return std::nullopt;
  }
  rule.kind = DeviceRule::Kind::kPathSegment;
  rule.segment = index;
  return rule;
}

ResourceMatcher::ResourceMatcher(std::vector<ResourcePattern> patterns, DeviceRule device)
    : patterns_(std::move(patterns)), device_(std::move(device)) {}

PathMatch ResourceMatcher::Match(std::string_view path) const {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  PathMatch result;
  for (const ResourcePattern& pattern : patterns_) {
    bool same = true;
    std::string_view device;
    const size_t count = ForEachSegment(path, [&](std::string_view segment, size_t index) {
      if (index >= pattern.segments.size() || segment.empty()) {
        same = false;
      } else if (pattern.segments[index] != "+" && pattern.segments[index] != segment) {
        same = false;
      }
      if (device_.kind == DeviceRule::Kind::kPathSegment && index == device_.segment) {
        device = segment;
      }
      return same;
    });
    if (!same || count != pattern.segments.size()) continue;
    result.matched = true;
    if (device_.kind == DeviceRule::Kind::kPathSegment) result.device = device;
    if (device_.kind == DeviceRule::Kind::kFixed) result.device = device_.fixed;
    return result;
  }
  return result;
}

}  // namespace edgeflow
