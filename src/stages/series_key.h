// SeriesKey: what makes one series of a keyed stage (a window's key, a
// detector's state): the device, tags and/or field values, listed by the
// stage's `key` / `key_by` option ("device", "tags.<name>", field names).
#pragma once

#include <string>
#include <vector>

#include "model/event.h"
#include "pipeline/registry.h"

namespace edgeflow {

struct SeriesKeyPart {
  enum class Kind { kDevice, kTag, kField } kind;
  Symbol name;  // tag or field name
};

class SeriesKey {
 public:
  // Parses the list at cfg[option] (default: device), reporting unknown
  // fields against a known input schema and an empty list.
  static SeriesKey Parse(const BuildContext& ctx, const ConfigNode& cfg, const std::string& option);

  // Keyed by the device alone: stages index their state by device id then,
  // without building a text key.
  bool device_only() const { return device_only_; }
  const std::vector<SeriesKeyPart>& parts() const { return parts_; }

  // Writes `e`'s key to `out` (replacing it): each part followed by \x1f; a
  // missing tag or field is an empty part; numbers print with 17 digits.
  void Encode(const Event& e, std::string& out) const;

 private:
  std::vector<SeriesKeyPart> parts_;
  bool device_only_ = true;
};

}  // namespace edgeflow
