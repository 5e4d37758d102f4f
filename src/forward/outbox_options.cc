#include "forward/outbox_options.h"

#include <algorithm>

namespace edgeflow {

void ParseOutboxOptions(const ConfigNode& node, OutboxOptions& o, const char* example) {
  if (!node.defined() || !node.is_map()) {
    node.Error("a map with at least `path` (a directory) is required", example);
    return;
  }
  node.CheckKeys({"path", "max_bytes", "max_age", "fsync", "fsync_interval", "overflow"});
  o.path = node["path"].String("");
  if (o.path.empty()) node["path"].Error("a directory is required");
  o.max_bytes = node["max_bytes"].Size(o.max_bytes);
  if (o.max_bytes < (1u << 20)) node["max_bytes"].Error("must be at least 1MB");
  // Eviction works a segment at a time: small outboxes get smaller segments.
  o.segment_bytes = std::min<uint64_t>(o.segment_bytes, o.max_bytes / 4);
  o.max_age = node["max_age"].Duration(0);
  if (o.max_age < 0) node["max_age"].Error("must be >= 0 (0: no age bound)");
  const std::string fsync = node["fsync"].Enum("interval", {"always", "interval", "never"});
  o.fsync = fsync == "always" ? FsyncPolicy::kAlways : fsync == "never" ? FsyncPolicy::kNever : FsyncPolicy::kInterval;
  o.fsync_interval = node["fsync_interval"].Duration(o.fsync_interval);
  if (o.fsync_interval <= 0) node["fsync_interval"].Error("must be > 0");
  const std::string overflow = node["overflow"].Enum("drop_oldest", {"drop_oldest", "drop_newest"});
  o.overflow = overflow == "drop_newest" ? OverflowPolicy::kDropNewest : OverflowPolicy::kDropOldest;
}

std::string OutboxOptionsHelp() {
  return "`path` (directory, required), `max_bytes` (default 1GB), `max_age` (default 0: no bound), "
         "`fsync` (`always` | `interval` | `never`, default interval), `fsync_interval` (100ms), "
         "`overflow` (`drop_oldest` | `drop_newest`).";
}

}  // namespace edgeflow
