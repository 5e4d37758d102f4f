// Which request paths a `coap` source accepts, and where each request's
// device comes from.
//
// A resource pattern is a path of segments separated by '/'; a `+` segment
// matches any one segment (`telemetry/+` matches `telemetry/d1`, not
// `telemetry` nor `telemetry/d1/x`). The device is either left to the
// payload (its device field or default_device), taken from a segment of the
// request path (`path[1]`), or fixed by configuration. Pure functions: no
// libcoap here, so the matching is unit-tested on its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgeflow {

struct ResourcePattern {
  std::string text;                   // as configured, without a leading '/'
  std::vector<std::string> segments;  // "+" matches any one segment
};

// Parses "telemetry/+"; nullopt with `error` set when it is empty, has an
// empty segment, or a segment that mixes '+' or '#' with other text.
std::optional<ResourcePattern> ParseResourcePattern(std::string_view text, std::string* error);

struct DeviceRule {
  enum class Kind { kPayload, kPathSegment, kFixed };
  Kind kind = Kind::kPayload;
  size_t segment = 0;  // kPathSegment: 0-based index into the request path
  std::string fixed;   // kFixed
};

// "" -> kPayload, "path[N]" -> kPathSegment, anything else -> kFixed.
// nullopt with `error` set for a malformed "path[...]".
std::optional<DeviceRule> ParseDeviceRule(std::string_view text, std::string* error);

struct PathMatch {
  bool matched = false;
  // The device the path selects: a view into the request path (or into the
  // rule's fixed name); empty when the payload decides.
  std::string_view device;
};

class ResourceMatcher {
 public:
  ResourceMatcher() = default;
  ResourceMatcher(std::vector<ResourcePattern> patterns, DeviceRule device);

  // `path` as libcoap gives it: segments joined by '/', no leading '/'.
  PathMatch Match(std::string_view path) const;

  const std::vector<ResourcePattern>& patterns() const { return patterns_; }
  const DeviceRule& device_rule() const { return device_; }

 private:
  std::vector<ResourcePattern> patterns_;
  DeviceRule device_;
};

}  // namespace edgeflow
