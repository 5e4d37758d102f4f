// MqttSpill: the mqtt sink's `on_full: spill`.
//
// When the client's in-memory queue is full (broker slow, or down for a
// while), messages go to a durable Outbox on disk (src/forward/outbox.h)
// instead of blocking the pipeline or being dropped, and are fed back to
// the client, oldest first, as its queue empties. While anything is
// spilled, new messages are spilled too, so that the broker receives
// everything in the order the pipeline produced it.
//
// A spilled message leaves the disk only when the client reports it
// delivered (QoS 0: written to the socket; QoS 1/2: acknowledged by the
// broker), so spilled messages survive a crash or restart of the node and
// are sent on the next start (at least once). The spill is bounded by its
// outbox's max_bytes / max_age; what it evicts is counted and logged by the
// outbox (`outbox_evicted{outbox="<sink id>"...}`).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "connectors/mqtt/mqtt_client.h"
#include "forward/outbox.h"

namespace edgeflow::mqtt {

class MqttSpill {
 public:
  static Result<std::unique_ptr<MqttSpill>> Open(const OutboxOptions& options);

  // Appends one message. kResourceExhausted when the spill is full and its
  // overflow policy refused it.
  Status Append(std::string_view device, TimeMicros time, std::string_view topic, std::string_view payload,
                uint8_t qos, bool retain);

  // Moves spilled messages into `client` while its queue takes them, each
  // published with its seq as delivery token; returns how many.
  size_t Refill(Client& client);

  // The client's delivery report for a token Refill used: delivered or
  // given up (a message the broker refused would be refused again, and the
  // client logged why), the record leaves the spill either way.
  void Delivered(uint64_t seq);

  // True while spilled messages wait (on disk or in the client's queue).
  bool backlog() const { return backlog_; }
  // Recomputes backlog() from the outbox (after deliveries).
  void UpdateBacklog();
  uint64_t pending_records() const;

  Status Commit() { return outbox_->Commit(); }

 private:
  explicit MqttSpill(std::unique_ptr<Outbox> outbox) : outbox_(std::move(outbox)) {}

  std::unique_ptr<Outbox> outbox_;
  bool backlog_ = false;
  std::vector<OutboxRecord> batch_;
  std::vector<uint64_t> returned_;
};

}  // namespace edgeflow::mqtt
