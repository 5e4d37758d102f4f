// Outbox: stub until the log implementation lands (see outbox.h).
#include "forward/outbox.h"

namespace edgeflow {

std::string_view PriorityName(Priority p) {
  switch (p) {
    case Priority::kAlert: return "alert";
    case Priority::kEvent: return "event";
    case Priority::kTelemetry: return "telemetry";
  }
  return "telemetry";
}

Result<Priority> ParsePriority(std::string_view name) {
  if (name == "alert") return Priority::kAlert;
  if (name == "event") return Priority::kEvent;
  if (name == "telemetry" || name == "bulk") return Priority::kTelemetry;
  return InvalidConfig("unknown priority class '" + std::string(name) +
                       "' (expected alert, event or telemetry)");
}

std::string_view FsyncPolicyName(FsyncPolicy p) {
  switch (p) {
    case FsyncPolicy::kAlways: return "always";
    case FsyncPolicy::kInterval: return "interval";
    case FsyncPolicy::kNever: return "never";
  }
  return "interval";
}

std::string_view OverflowPolicyName(OverflowPolicy p) {
  return p == OverflowPolicy::kDropOldest ? "drop_oldest" : "drop_newest";
}

class Outbox::Impl {};

Outbox::Outbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Outbox::~Outbox() = default;

Result<std::unique_ptr<Outbox>> Outbox::Open(const OutboxOptions&) {
  return Internal("outbox: not implemented yet");
}
Result<uint64_t> Outbox::Append(Priority, std::string_view, TimeMicros, std::span<const uint8_t>) {
  return Internal("outbox: not implemented yet");
}
Result<uint64_t> Outbox::Append(Priority p, std::string_view device, TimeMicros time,
                                std::string_view payload) {
  return Append(p, device, time,
                std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
}
Status Outbox::Commit() { return Status::Ok(); }
size_t Outbox::Peek(Priority, size_t, size_t, std::vector<OutboxRecord>&) { return 0; }
size_t Outbox::PeekAny(size_t, size_t, std::vector<OutboxRecord>&) { return 0; }
void Outbox::Ack(std::span<const uint64_t>) {}
void Outbox::Nack(std::span<const uint64_t>) {}
void Outbox::NackAllInFlight() {}
Status Outbox::Maintain() { return Status::Ok(); }
bool Outbox::HasPending() const { return false; }
OutboxStats Outbox::Stats() const { return {}; }

}  // namespace edgeflow
