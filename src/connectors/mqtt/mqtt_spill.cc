#include "connectors/mqtt/mqtt_spill.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace edgeflow::mqtt {
namespace {

// A spilled message: [flags: qos | retain << 2][topic length, 2 bytes LE][topic][payload].
constexpr size_t kHeaderBytes = 3;
constexpr size_t kRefillRecords = 256;
constexpr size_t kRefillBytes = size_t{1} << 20;

std::string Encode(std::string_view topic, std::string_view payload, uint8_t qos, bool retain) {
  std::string record;
  record.reserve(kHeaderBytes + topic.size() + payload.size());
  record.push_back(static_cast<char>(qos | (retain ? 4 : 0)));
  record.push_back(static_cast<char>(topic.size() & 0xff));
  record.push_back(static_cast<char>(topic.size() >> 8));
  record.append(topic);
  record.append(payload);
  return record;
}

struct Decoded {
  std::string_view topic;
  std::string_view payload;
  uint8_t qos = 0;
  bool retain = false;
};

bool Decode(std::string_view record, Decoded& out) {
  if (record.size() < kHeaderBytes) return false;
  const auto flags = static_cast<uint8_t>(record[0]);
  const size_t topic_size = static_cast<uint8_t>(record[1]) | (static_cast<size_t>(static_cast<uint8_t>(record[2])) << 8);
  if (record.size() < kHeaderBytes + topic_size || (flags & 3) > 2) return false;
  out.qos = flags & 3;
  out.retain = (flags & 4) != 0;
  out.topic = record.substr(kHeaderBytes, topic_size);
  out.payload = record.substr(kHeaderBytes + topic_size);
  return true;
}

}  // namespace

Result<std::unique_ptr<MqttSpill>> MqttSpill::Open(const OutboxOptions& options) {
  EF_ASSIGN_OR_RETURN(std::unique_ptr<Outbox> outbox, Outbox::Open(options));
  std::unique_ptr<MqttSpill> spill(new MqttSpill(std::move(outbox)));
  spill->UpdateBacklog();  // messages left by the previous run go first
  if (spill->backlog_) {
    spdlog::info("{}: {} spilled messages from the previous run will be sent first", options.name,
                 spill->pending_records());
  }
  return spill;
}

Status MqttSpill::Append(std::string_view device, TimeMicros time, std::string_view topic,
                         std::string_view payload, uint8_t qos, bool retain) {
  Result<uint64_t> seq = outbox_->Append(Priority::kTelemetry, device, time, Encode(topic, payload, qos, retain));
  if (!seq.ok()) return seq.status();
  backlog_ = true;
  return Status::Ok();
}

size_t MqttSpill::Refill(Client& client) {
  size_t moved = 0;
  while (true) {
    // Take only what the queue has room for: what does not fit goes back
    // (Nack) and would be read again on every refill.
    const size_t room = client.queue_room();
    if (room == 0) break;
    batch_.clear();
    if (outbox_->Peek(Priority::kTelemetry, kRefillRecords, std::min(kRefillBytes, room), batch_) == 0) break;
    returned_.clear();
    bool full = false;
    for (const OutboxRecord& record : batch_) {
      Decoded m;
      if (full) {
        returned_.push_back(record.seq);
        continue;
      }
      if (!Decode(record.payload, m)) {  // the checksum passed, so this is a bug, not disk damage
        spdlog::error("mqtt spill: record {} is not a spilled message; dropped", record.seq);
        const uint64_t seq = record.seq;
        outbox_->Ack({&seq, 1});
        continue;
      }
      switch (client.Publish(m.topic, m.payload, m.qos, m.retain, QueueFullPolicy::kDropNewest, record.seq)) {
        case Client::Enqueued::kQueued:
        case Client::Enqueued::kDroppedOldest:  // not with kDropNewest
          ++moved;
          break;
        case Client::Enqueued::kTooLarge: {  // cannot happen: it was too large for the queue before
          const uint64_t seq = record.seq;
          outbox_->Ack({&seq, 1});
          break;
        }
        case Client::Enqueued::kDroppedNewest:
        case Client::Enqueued::kStopped:
          full = true;
          returned_.push_back(record.seq);
          break;
      }
    }
    if (!returned_.empty()) outbox_->Nack(returned_);
    if (full) break;
  }
  return moved;
}

void MqttSpill::Delivered(uint64_t seq) { outbox_->Ack({&seq, 1}); }

void MqttSpill::UpdateBacklog() { backlog_ = pending_records() > 0; }

uint64_t MqttSpill::pending_records() const {
  return outbox_->Stats().classes[static_cast<size_t>(Priority::kTelemetry)].backlog_records;
}

}  // namespace edgeflow::mqtt
